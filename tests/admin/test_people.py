"""A person's data: handed over as JSON, or erased, through the app and the CLI on a real database."""
from __future__ import annotations

import io
import json

import openpyxl
import pytest
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.extensions import db
from lms.learn.models import Certificate, QuizAttempt
from lms.progress import rebuild
from lms.train.models import AuditEvent
from tests.conftest import Browser
from tests.learn.helpers import answers, start_quiz, submit

NAME, USERNAME = "Алия Нурланова", "aliya.n"


def _signed_in(app, username):
    b = Browser(app.test_client())
    assert b.login(username).status_code in (302, 303)
    return b


@pytest.fixture
def world(app, make, course):
    """A trainer's oblast with two officials; Aliya read both lessons, passed (certificate) and failed once."""
    tree = make.tree()
    make.user("root", Role.ADMIN, full_name="Admin One")
    make.user("trainer", Role.TRAINER, tree["KZ-A"], full_name="Trainer One")
    aliya = make.user(USERNAME, unit=tree["KZ-A-1-1"], full_name=NAME)
    make.user("bolat", unit=tree["KZ-A-1-1"], full_name="Болат Серiков")
    make.assign(course, unit=tree["KZ-A"])
    b = _signed_in(app, USERNAME)
    for lesson in ("first", "second"):
        b.get(f"/learn/modules/sample-module/lessons/{lesson}")
    first = start_quiz(b)
    submit(b, first, answers(app, first, right=False))
    second = start_quiz(b)
    submit(b, second, answers(app, second))
    trainer = _signed_in(app, "trainer")
    assert trainer.post(f"/train/learners/{aliya}/edit", {"full_name": NAME + "ева", "unit": str(tree["KZ-A-1-1"]),
                                                         "language": "ru", "active": "y"},
                        from_page=f"/train/learners/{aliya}/edit").status_code in (302, 303)
    trainer.post(f"/train/learners/{aliya}/edit", {"full_name": NAME, "unit": str(tree["KZ-A-1-1"]),
                                                  "language": "ru", "active": "y"},
                 from_page=f"/train/learners/{aliya}/edit")
    return {"tree": tree, "aliya": aliya, "trainer": trainer, "admin": _signed_in(app, "root")}


def _figures(browser, tree):
    """What a monitor's reports say, as CSV text, for the organisation, the country and the oblast."""
    return [browser.get(f"/reports/completion.csv{q}").get_data(as_text=True)
            for q in ("", f"?unit={tree['KZ']}", f"?unit={tree['KZ-A']}", f"?unit={tree['KZ-A-1']}")]


def test_the_export_holds_everything_kept_about_the_person(app, world):
    admin = world["admin"]
    response = admin.get(f"/admin/people/{world['aliya']}/export.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = response.json
    assert data["account"]["full_name"] == NAME and data["account"]["username"] == USERNAME
    assert data["unit"]["code"] == "KZ-A-1-1" and {u["code"] for u in data["units_above"]} == {"KZ", "KZ-A", "KZ-A-1"}
    assert [a["to"] for a in data["assignments"]] == ["unit"]
    assert [(a["number"], a["passed"]) for a in data["quiz_attempts"]] == [(1, False), (2, True)]
    assert all(item["answer"] is not None for a in data["quiz_attempts"] for item in a["items"])
    assert {r["lesson"] for r in data["lesson_reads"]} == {"first", "second"}
    assert data["completions"][0]["module"] == "sample-module"
    assert data["certificates"][0]["name_as_issued"] == NAME
    assert {e["action"] for e in data["audit"]} >= {"user.update"}
    assert data["sign_ins"] and "token_hash" not in json.dumps(data)
    passed = [s for s in data["xapi_statements"] if s["verb"]["id"].endswith("/passed")]
    assert len(passed) == 1 and passed[0]["actor"]["account"]["name"] == str(world["aliya"])
    with app.app_context():  # the download itself is in the audit log
        last = db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1))
        assert last == "person.export"


def test_the_export_from_the_command_line(app, world, tmp_path):
    out = tmp_path / "aliya.json"
    result = app.test_cli_runner().invoke(args=["people", "export", USERNAME, "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["quiz_attempts"]) == 2 and data["account"]["full_name"] == NAME
    missing = app.test_cli_runner().invoke(args=["people", "export", "nobody"])
    assert missing.exit_code == 1 and "nobody" in missing.output


def test_erasing_keeps_every_report_total_and_leaves_the_name_nowhere(app, world):
    tree, admin, trainer = world["tree"], world["admin"], world["trainer"]
    with app.app_context():
        code = db.session.scalar(sa.select(Certificate.code))
    before = _figures(admin, tree)
    assert NAME in trainer.get("/train/progress").get_data(as_text=True)  # shown before, so the check below means it
    page = f"/admin/people/{world['aliya']}"
    wrong = admin.post(f"{page}/erase", {"confirm": "bolat"}, from_page=page)
    assert wrong.status_code == 303
    with app.app_context():
        assert db.session.get(User, world["aliya"]).erased_at is None  # not confirmed: nothing changed
    assert admin.post(f"{page}/erase", {"confirm": USERNAME}, from_page=page).status_code == 303

    assert _figures(admin, tree) == before
    with app.app_context():
        assert rebuild.check(limit=5).count == 0
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)) == 2  # kept, anonymous
    surfaces = {
        "learners": trainer.get("/train/learners").get_data(as_text=True),
        "matrix": trainer.get("/train/progress").get_data(as_text=True),
        "csv": trainer.get("/train/progress/export.csv").get_data(as_text=True),
        "audit": admin.get("/admin/audit").get_data(as_text=True),
        "audit-ru": admin.get("/admin/audit?page=2").get_data(as_text=True),
        "precinct report": admin.get(f"/reports/completion?unit={tree['KZ-A-1-1']}").get_data(as_text=True),
        "verify": app.test_client().get(f"/verify/{code}").get_data(as_text=True),
        "people": admin.get("/admin/people?q=aliya").get_data(as_text=True),
    }
    book = openpyxl.load_workbook(io.BytesIO(trainer.get("/train/progress/export.xlsx").data))
    surfaces["xlsx"] = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value)
    for where, text in surfaces.items():
        for secret in (NAME, USERNAME, NAME + "ева"):
            assert secret not in text, f"{secret} still in {where}"
    assert "Болат" in surfaces["matrix"]  # the other official is untouched
    assert 'class="flash flash-info" role="status"' in surfaces["verify"]  # "issued, holder erased"
    with app.app_context():
        for details in db.session.scalars(sa.select(AuditEvent.details)):
            assert NAME not in json.dumps(details, ensure_ascii=False)
            assert USERNAME not in json.dumps(details, ensure_ascii=False)
    # the person can no longer sign in, and trainers no longer open the record
    assert Browser(app.test_client()).login(USERNAME).status_code == 200
    assert Browser(app.test_client()).login(f"erased-{world['aliya']}").status_code == 200
    assert trainer.get(f"/train/learners/{world['aliya']}").status_code == 404
    assert trainer.get(f"/train/learners/{world['aliya']}/edit").status_code == 404


def test_erasing_from_the_command_line_needs_yes_and_happens_once(app, world):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["people", "erase", USERNAME]).exit_code == 2
    with app.app_context():
        assert db.session.get(User, world["aliya"]).erased_at is None
    result = runner.invoke(args=["people", "erase", USERNAME, "--yes"])
    assert result.exit_code == 0 and f"erased-{world['aliya']}" in result.output
    again = runner.invoke(args=["people", "erase", f"erased-{world['aliya']}", "--yes"])
    assert again.exit_code == 1


def test_an_admin_cannot_erase_their_own_account(app, world):
    with app.app_context():
        root = db.session.scalar(sa.select(User.id).where(User.username == "root"))
    page = f"/admin/people/{root}"
    world["admin"].post(f"{page}/erase", {"confirm": "root"}, from_page=page)
    with app.app_context():
        assert db.session.get(User, root).erased_at is None


def test_only_admins_reach_a_persons_data(app, world):
    aliya = world["aliya"]
    urls = ["/admin/people", f"/admin/people/{aliya}", f"/admin/people/{aliya}/export.json"]
    for who in (world["trainer"], _signed_in(app, "bolat")):
        for url in urls:
            assert who.get(url).status_code == 403, url
        assert who.client.post(f"/admin/people/{aliya}/erase", data={"confirm": USERNAME}).status_code in (400, 403)
    assert app.test_client().get(urls[2]).status_code in (302, 401)
    assert world["admin"].get("/admin/people/999999").status_code == 404
    with app.app_context():
        assert db.session.get(User, aliya).erased_at is None


def test_an_erasure_racing_the_persons_own_requests_and_a_second_admin(app, make, world, postgres_only):
    """On PostgreSQL: the person submits a quiz and reads a lesson while two admins erase them at once.
    No request fails with a 500, the erasure happens once, and the derived tables match the records."""
    from tests.test_concurrency import _run_together

    make.user("root2", Role.ADMIN, full_name="Admin Two")
    admins = [world["admin"], _signed_in(app, "root2")]
    person = _signed_in(app, USERNAME)
    page = f"/admin/people/{world['aliya']}"
    tokens = [a.get(page).get_data(as_text=True) for a in admins]
    from tests.conftest import csrf_from

    jobs = [lambda a=a, t=t: a.client.post(f"{page}/erase", data={"csrf_token": csrf_from(t), "confirm": USERNAME})
            for a, t in zip(admins, tokens, strict=True)]
    jobs += [lambda: person.get("/learn/modules/sample-module/lessons/first"), lambda: person.get("/learn/")]
    responses = _run_together(jobs)
    assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]
    with app.app_context():
        erasures = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "person.erase")).all()
        assert len(erasures) == 1
        assert rebuild.check(limit=5).count == 0
        db.session.rollback()
