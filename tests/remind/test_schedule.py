"""Which reminders are written, on which day, for whom: reminder days from the assignment, the nearest unit or
the default; the SMS lengths in all seven languages; `--dry-run`; the demo."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from lms.auth.models import Role, User
from lms.config import LANGUAGES
from lms.extensions import db
from lms.i18n import pick
from lms.orgs.models import Unit
from lms.remind import messages, schedule
from lms.remind.models import Reminder
from lms.timeutil import today
from tests.remind.test_send import send

ROOT = Path(__file__).resolve().parents[2]


def test_reminder_days_are_read_strictly():
    assert schedule.parse_days(" 1, 7;7 ") == (7, 1) and schedule.parse_days("") is None
    assert schedule.format_days((14, 3)) == "14,3"
    for bad in ("seven", "7,-1", "400", "1,2,3,4,5,6", ","):
        with pytest.raises(schedule.DaysError):
            schedule.parse_days(bad)


def test_the_nearest_reminder_day_due_is_the_one_written(app):
    due = date(2030, 5, 10)
    with app.app_context():
        assert schedule.due_on(due, (7, 1), date(2030, 5, 2)) is None  # eight days before
        assert schedule.due_on(due, (7, 1), date(2030, 5, 3)) == ("due_soon", date(2030, 5, 3), 7)
        assert schedule.due_on(due, (7, 1), date(2030, 5, 7)) == ("due_soon", date(2030, 5, 3), 7)  # same key
        assert schedule.due_on(due, (7, 1), date(2030, 5, 9)) == ("due_soon", date(2030, 5, 9), 1)
        assert schedule.due_on(due, (7, 1), due) == ("due_soon", date(2030, 5, 9), 1)
        assert schedule.due_on(due, (7, 1), date(2030, 5, 11)) == ("overdue", date(2030, 5, 11), None)
        assert schedule.due_on(due, (7, 1), date(2030, 5, 25)) == ("overdue", date(2030, 5, 11), None)  # same key
        assert schedule.due_on(due, (7, 1), date(2030, 7, 1)) is None  # LMS_REMINDER_OVERDUE_WITHIN


def _written(app):
    with app.app_context():
        rows = db.session.execute(sa.select(User.username, Reminder.kind, Reminder.on_date)
                                  .join(User, User.id == Reminder.user_id).order_by(User.username)).all()
        return {(u, k, d) for u, k, d in rows}


def test_the_nearest_unit_setting_wins_and_an_assignment_overrides_it(app, make, course, database):
    tree = make.tree()
    for name, unit in (("ann", "KZ-A-1-1"), ("bob", "KZ-A-1-2"), ("kim", "KG-A-1-1")):
        make.user(name, unit=tree[unit])
    in_three = today() + timedelta(days=3)
    make.assign(course, unit=tree["KZ"], due_date=in_three)
    make.assign(course, unit=tree["KG"], due_date=in_three)
    with app.app_context():
        db.session.get(Unit, tree["KZ"]).reminder_days = "14"   # the country: 14 days before
        db.session.get(Unit, tree["KZ-A-1-2"]).reminder_days = "2"  # bob's precinct: 2 days before
        db.session.commit()
    send(app)
    key14, key7 = in_three - timedelta(days=14), in_three - timedelta(days=7)
    # ann: the country's 14 days; bob: his precinct says 2, not yet; kim: the default 7 and 1
    assert _written(app) == {("ann", "due_soon", key14), ("kim", "due_soon", key7)}
    with app.app_context():
        from lms.learn.models import Assignment
        for a in db.session.scalars(sa.select(Assignment)):
            a.reminder_days = "3"  # the assignment's own days win over every unit
        db.session.commit()
    send(app)
    key3 = in_three - timedelta(days=3)
    assert {("ann", "due_soon", key3), ("bob", "due_soon", key3), ("kim", "due_soon", key3)} <= _written(app)


def test_dry_run_prints_what_it_would_write_and_writes_nothing(app, make, course, database):
    tree = make.tree()
    make.user("ann", unit=tree["KZ-A-1-1"], email="ann@example.org")
    make.user("trainer", Role.TRAINER, tree["KZ-A"])
    make.assign(course, unit=tree["KZ-A"], due_date=today() - timedelta(days=2))
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"overdue   {(today() - timedelta(days=1)).isoformat()} ann Sample module" in result.output
    assert "digest    " in result.output and "trainer Sample module" in result.output  # trainers train too
    assert "3 new messages would be written; 0 queued wait to be sent" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 0
    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert "written 3," in result.output
    again = app.test_cli_runner().invoke(args=["reminders", "send", "--dry-run"])
    assert "0 new messages would be written" in again.output
    status = app.test_cli_runner().invoke(args=["reminders", "status"])
    assert "off 3" in status.output  # no channel configured: recorded, shown in the app


def test_set_days_command(app, make, database):
    tree = make.tree()
    runner = app.test_cli_runner()
    assert "KZ-A: 7,3" in runner.invoke(args=["reminders", "set-days", "KZ-A", "3, 7"]).output
    assert runner.invoke(args=["reminders", "set-days", "KZ-A", "soon"]).exit_code != 0
    assert runner.invoke(args=["reminders", "set-days", "NOPE", "7"]).exit_code != 0
    assert "KZ-A: default" in runner.invoke(args=["reminders", "set-days", "KZ-A", "-"]).output
    with app.app_context():
        assert db.session.get(Unit, tree["KZ-A"]).reminder_days is None


def test_a_fresh_demo_lists_at_least_one_reminder_for_its_learner(app, database):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["courses", "import", str(ROOT / "courses")]).exit_code == 0
    app.config["LMS_DEMO_LEARNERS"] = "0"
    try:
        assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    finally:
        app.config["LMS_DEMO_LEARNERS"] = "300"
    with app.app_context():
        learner = db.session.scalar(sa.select(User).where(User.username == "learner"))
        assert learner.email and learner.phone and learner.phone.startswith("+")
    result = runner.invoke(args=["reminders", "send", "--dry-run"])
    assert result.exit_code == 0
    assert "due_soon" in result.output and " learner " in result.output, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)) == 0


def _titles() -> list[dict[str, str]]:
    return [yaml.safe_load(p.read_text())["title"] for p in sorted((ROOT / "courses").glob("*/module.yaml"))]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_sms_texts_fit_one_part_or_say_how_many(app, lang):
    """Every module title in every language: the text is the template plus the title, its part count follows the
    encoding's limits, and the translated modules' titles fit one Cyrillic part (70 characters)."""
    day = date(2030, 12, 9)
    with app.app_context(), messages.in_locale(lang):
        overhead = {kind: len(messages.sms_text(kind, "", day)) for kind in ("due_soon", "overdue")}
        assert max(overhead.values()) <= 22, overhead  # at least 48 characters left for the title
        digest = messages.sms_text("digest", "", day, 1234)
        assert messages.sms_parts(digest) == 1, digest
        for titles in _titles():
            title = pick(titles, lang)
            for kind in ("due_soon", "overdue"):
                text = messages.sms_text(kind, title, day)
                assert title in text and "09.12" in text
                units = len(text.encode("utf-16-le")) // 2
                gsm = all(c in messages.GSM_BASIC or c in messages.GSM_EXTENDED for c in text)
                limit, part = (160, 153) if gsm else (70, 67)
                expected = 1 if units <= limit else -(-units // part)
                assert messages.sms_parts(text) == expected
        for module in ("polling-and-count", "observers"):  # translated, or short: one part
            title = pick(yaml.safe_load((ROOT / "courses" / module / "module.yaml").read_text())["title"], lang)
            for kind in ("due_soon", "overdue"):
                assert messages.sms_parts(messages.sms_text(kind, title, day)) == 1, (lang, kind, title)


def test_sms_parts_counts_both_encodings():
    assert messages.sms_parts("a" * 160) == 1 and messages.sms_parts("a" * 161) == 2
    assert messages.sms_parts("€" * 80) == 1 and messages.sms_parts("€" * 81) == 2  # two units each in GSM
    assert messages.sms_parts("я" * 70) == 1 and messages.sms_parts("я" * 71) == 2
    assert messages.sms_parts("я" * 134) == 2 and messages.sms_parts("я" * 135) == 3


def test_two_assignments_of_one_module_with_one_due_date_tell_the_learner_once(app, make, course, database):
    tree = make.tree()
    make.user("ann", unit=tree["KZ-A-1-1"])
    tomorrow = today() + timedelta(days=1)
    make.assign(course, unit=tree["KZ"], due_date=tomorrow)
    make.assign(course, unit=tree["KZ-A-1"], due_date=tomorrow)
    make.assign(course, unit=tree["KZ-A"], due_date=tomorrow + timedelta(days=5))  # not the earliest: no message
    send(app)
    assert _written(app) == {("ann", "due_soon", today())}
