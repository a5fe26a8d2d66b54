"""`flask demo seed`: the public contract's accounts and the learner's assigned modules."""
import csv
import io

import sqlalchemy as sa

from lms.auth.models import User
from lms.config import ROOT
from lms.extensions import db
from lms.learn.models import Assignment
from lms.orgs.models import Unit
from lms.xapi.models import XapiStatement
from tests.conftest import Browser


def test_demo_seed_gives_working_accounts_and_living_reports(app, database, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["courses", "import", str(ROOT / "courses")]).exit_code == 0
    app.config["LMS_DEMO_PASSWORD"] = "demo-pass-123"
    try:
        first = runner.invoke(args=["demo", "seed"])
        assert first.exit_code == 0 and "Added 300 demo officials" in first.output
        again = runner.invoke(args=["demo", "seed"])  # a second run is harmless
        assert again.exit_code == 0 and "Added" not in again.output
    finally:
        app.config["LMS_DEMO_PASSWORD"] = "election-demo"
    with app.app_context():
        names = set(db.session.scalars(sa.select(User.username)))
        oblasts = db.session.scalar(sa.select(sa.func.count(sa.distinct(Unit.oblast_id)))
                                    .join(User, User.unit_id == Unit.id).where(User.username.like("demo-%")))
    assert {"admin", "monitor", "trainer", "learner"} <= names
    assert len(names) == 4 + 300 and oblasts == 10  # not doubled by the second run; every oblast has some
    result = runner.invoke(args=["reports", "rebuild", "--check"])
    assert result.exit_code == 0, result.output
    with app.app_context():  # xAPI statements: the learner's through the events, the officials' from the back-fill
        by_user = dict(db.session.execute(sa.select(User.username, sa.func.count(XapiStatement.id))
                                          .join(User, User.id == XapiStatement.user_id).group_by(User.username)).all())
    assert by_user.pop("learner", 0) > 0 and sum(by_user.values()) > 1000
    assert runner.invoke(args=["xapi", "backfill"]).output.strip().endswith("\n0 statements written")
    browser = Browser(app.test_client())
    assert browser.login("learner", "demo-pass-123").status_code == 302
    dashboard = browser.get("/learn/").get_data(as_text=True)
    assert dashboard.count('class="card"') == 3  # modules the demo trainer assigned, and only those
    with app.app_context():
        learner = db.session.scalar(sa.select(User).where(User.username == "learner"))
        trainer = db.session.scalar(sa.select(User.id).where(User.username == "trainer"))
        assigned_by = set(db.session.scalars(sa.select(Assignment.assigned_by_id)
                                             .where(Assignment.user_id == learner.id)))
    assert assigned_by == {trainer}
    with app.app_context():  # one module completed, with its certificate, once in spite of two runs
        from lms.learn.models import Certificate, ModuleCompletion
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ModuleCompletion)
                                 .where(ModuleCompletion.user_id == learner.id)) == 1
        [cert] = db.session.scalars(sa.select(Certificate).where(Certificate.user_id == learner.id)).all()
        assert cert.full_name == "Gulnara Ismailova" and cert.score == 100.0 and cert.revoked_at is None
    assert dashboard.count('href="/learn/modules/mobile-ballot-box/certificate"') == 1
    assert dashboard.count("/certificate\"") == 1  # the other two modules are not completed
    page = browser.get("/learn/modules/mobile-ballot-box/certificate")
    assert page.status_code == 200 and cert.module_title in page.get_data(as_text=True)
    code = "-".join(cert.code[i:i + 4] for i in range(0, 16, 4))
    assert "This certificate is valid." in app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert browser.get("/learn/modules/mobile-ballot-box/certificate.pdf").status_code == 200
    monitor = Browser(app.test_client())
    assert monitor.login("monitor", "demo-pass-123").status_code == 302
    rows = list(csv.reader(io.StringIO(monitor.get("/reports/completion.csv").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    total = rows[-1]
    assert int(total[2]) >= 300 and int(total[5]) > 50  # learners, completed: a report with figures


def test_demo_seed_learners_setting(app, database):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["courses", "import", str(ROOT / "courses")]).exit_code == 0
    try:
        app.config["LMS_DEMO_LEARNERS"] = "many"
        bad = runner.invoke(args=["demo", "seed"])
        assert bad.exit_code == 2 and "LMS_DEMO_LEARNERS must be a whole number" in bad.output
        app.config["LMS_DEMO_LEARNERS"] = "0"
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 4
        app.config["LMS_DEMO_LEARNERS"] = "24"
        assert "Added 24 demo officials" in runner.invoke(args=["demo", "seed"]).output
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 4 + 24
    finally:
        app.config["LMS_DEMO_LEARNERS"] = "300"


def test_demo_generate(app, database):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["courses", "import"]).exit_code == 0
    result = runner.invoke(args=["demo", "generate", "--learners", "50"])
    assert result.exit_code == 0, result.output
    assert "50 learners" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 50


def test_the_demo_and_generated_data_leave_nothing_for_a_rebuild(app, database):
    """Seeded accounts and generated learners go through the event path like any other write."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["courses", "import", str(ROOT / "courses")]).exit_code == 0
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    for _ in range(2):  # a second run also reaches the learners of the first
        assert runner.invoke(args=["demo", "generate", "--learners", "40"]).exit_code == 0
    result = runner.invoke(args=["reports", "rebuild", "--check"])
    assert result.exit_code == 0, result.output
    backfilled = runner.invoke(args=["xapi", "backfill"])  # generated records are written in bulk
    assert backfilled.exit_code == 0 and not backfilled.output.strip().endswith("\n0 statements written")
    assert runner.invoke(args=["xapi", "backfill"]).output.strip().endswith("\n0 statements written")
