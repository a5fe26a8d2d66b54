"""`flask demo seed`: the public contract's accounts and the learner's assigned modules."""
import sqlalchemy as sa

from lms.auth.models import User
from lms.config import ROOT
from lms.extensions import db
from tests.conftest import Browser


def test_demo_seed_gives_working_accounts(app, database, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["courses", "import", str(ROOT / "courses")]).exit_code == 0
    app.config["LMS_DEMO_PASSWORD"] = "demo-pass-123"
    try:
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0  # a second run is harmless
    finally:
        app.config["LMS_DEMO_PASSWORD"] = "election-demo"
    with app.app_context():
        names = set(db.session.scalars(sa.select(User.username)))
    assert {"admin", "monitor", "trainer", "learner"} <= names
    browser = Browser(app.test_client())
    assert browser.login("learner", "demo-pass-123").status_code == 302
    dashboard = browser.get("/learn/").get_data(as_text=True)
    assert dashboard.count('class="card"') == 3  # modules the demo trainer assigned


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
