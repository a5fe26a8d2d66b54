"""`reminders send` against a real SMTP server and a real SMS gateway on 127.0.0.1, both down for the first
tries and then up: every due message arrives exactly once, in its recipient's language; two runs at once
send nothing twice; opted-out people get nothing; a completed module or a withdrawn assignment cancels."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.auth.models import Role
from lms.extensions import db
from lms.learn.models import Assignment
from lms.remind import cli as remind_cli
from lms.remind.models import Reminder
from lms.timeutil import today, utcnow
from tests.remind.servers import Gateway, Mailbox, free_port
from tests.test_concurrency import _run_together, _second_module

TOKEN = "sms-token-for-tests"


@pytest.fixture
def servers(app, monkeypatch):
    mailbox, gateway = Mailbox(free_port()), Gateway(free_port(), TOKEN)
    monkeypatch.setitem(app.config, "LMS_SMTP_URL", f"smtp://127.0.0.1:{mailbox.port}")
    monkeypatch.setitem(app.config, "LMS_MAIL_FROM", "training@example.org")
    monkeypatch.setitem(app.config, "LMS_SMS_URL", f"http://127.0.0.1:{gateway.port}/send")
    monkeypatch.setitem(app.config, "LMS_SMS_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "LMS_REMINDER_RETRY_SECONDS", 10.0)
    yield mailbox, gateway
    mailbox.stop()
    gateway.stop()


def world(app, make, course):
    """A trainer of oblast KZ-A; ann (Russian, e-mail and phone), erin (English, e-mail), dan (opted out) in
    precinct KZ-A-1-1 with the module due tomorrow; bob (Kazakh, phone) with a second module three days late."""
    tree = make.tree()
    ids = {
        "trainer": make.user("trainer", Role.TRAINER, tree["KZ-A"], full_name="Tanya Trainer", locale="en",
                             email="tanya@example.org"),
        "ann": make.user("ann", unit=tree["KZ-A-1-1"], full_name="Ann Akhmetova", locale="ru",
                         email="ann@example.org", phone="+77011234567"),
        "erin": make.user("erin", unit=tree["KZ-A-1-1"], full_name="Erin English", locale="en",
                          email="erin@example.org"),
        "dan": make.user("dan", unit=tree["KZ-A-1-1"], full_name="Dan Optout", locale="ru", email="dan@example.org",
                         phone="+77017654321", reminders_opt_out=True),
        "bob": make.user("bob", unit=tree["KZ-A-1-2"], full_name="Bob Bekov", locale="kk", phone="+77019998877"),
        "kim": make.user("kim", unit=tree["KG-A-1-1"], full_name="Kim Kasymova", email="kim@example.org"),
    }
    second = _second_module(app, course)
    ids["soon"] = make.assign(course, unit=tree["KZ-A-1-1"], due_date=today() + timedelta(days=1))
    ids["late"] = make.assign(second, user=ids["bob"], due_date=today() - timedelta(days=3))
    return tree, ids


def send(app, **kw):
    lines: list[str] = []
    with app.app_context():
        done = remind_cli.send(echo=lambda text, err=False: lines.append(text), **kw)
    return done, "\n".join(lines)


def rows(app):
    with app.app_context():
        found = db.session.scalars(sa.select(Reminder).order_by(Reminder.id)).all()
        db.session.expunge_all()
        return found


def make_due(app):
    """Time passes: every waiting message is due again."""
    with app.app_context():
        db.session.execute(sa.update(Reminder).where(Reminder.next_try_at.is_not(None))
                           .values(next_try_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def test_channels_down_then_up_deliver_every_message_once_in_its_language(app, make, course, servers, database):
    mailbox, gateway = servers
    world(app, make, course)
    done, out = send(app)  # nobody listens on either port yet
    assert "written 4," in out and done.sent == 0 and done.failed == 4
    found = rows(app)
    assert {(r.kind, r.email_status, r.sms_status) for r in found} == {
        ("due_soon", "queued", "queued"), ("due_soon", "queued", "off"), ("overdue", "off", "queued"),
        ("digest", "queued", "off")}
    assert all(r.tries == 1 and "retry" in r.last_error for r in found)
    waited = [r.next_try_at - utcnow() for r in found]
    assert all(timedelta(seconds=8) < w <= timedelta(seconds=10) for w in waited)  # LMS_REMINDER_RETRY_SECONDS

    done, out = send(app)  # a minute later by cron: nothing new, nothing due yet
    assert "written 0, cancelled 0, sent 0, failed 0, waiting 4" in out
    make_due(app)
    send(app)
    assert {r.tries for r in rows(app)} == {2}
    assert all(timedelta(seconds=18) < r.next_try_at - utcnow() <= timedelta(seconds=20) for r in rows(app))

    mailbox.start()
    gateway.start()
    mailbox.failing, gateway.failing = 1, 1  # up, but each refuses one message for now
    make_due(app)
    send(app)
    make_due(app)
    done, out = send(app)
    assert "waiting 0" in out, out
    assert all(r.status == "sent" and r.next_try_at is None and r.sent_at for r in rows(app))

    mails = sorted(mailbox.received())
    assert [m[0] for m in mails] == ["ann@example.org", "erin@example.org", "tanya@example.org"]  # once each
    ann, erin, tanya = mails
    assert ann[1] == "Напоминание: Пробный модуль" and "Пробный модуль" in ann[2] and "Ann Akhmetova" in ann[3]
    assert erin[1] == "Reminder: Sample module" and "due in 1 day" in erin[2] and "<p>" in erin[3]
    assert "Bob Bekov" in tanya[2] and "KZ-A-1-2" in tanya[2] and "<li>Bob Bekov" in tanya[3]
    assert "dan@example.org" not in str(mails) and "kim@example.org" not in str(mails)
    texts = {s["to"]: s["text"] for s in gateway.received}
    assert len(gateway.received) == 2 and set(texts) == {"+77011234567", "+77019998877"}
    assert texts["+77011234567"].startswith("Срок ") and "Пробный модуль" in texts["+77011234567"]
    assert texts["+77019998877"].startswith("Мерзімі өтті")  # Kazakh; the title falls back to Russian
    sent = {f"reminder-{r.id}" for r in rows(app) if r.sms_status == "sent"}
    assert {s["reference"] for s in gateway.received} == sent

    make_due(app)
    done, out = send(app)  # never sent again
    assert "written 0, cancelled 0, sent 0" in out
    assert len(mailbox.received()) == 3 and len(gateway.received) == 2


def test_a_refused_address_fails_with_its_reason_and_does_not_hold_back_the_others(app, make, course, servers,
                                                                                    database):
    mailbox, gateway = servers
    world(app, make, course)
    mailbox.refuse = {"erin@example.org"}
    mailbox.start()
    gateway.start()
    done, out = send(app)
    erin = [r for r in rows(app) if r.email_status == "failed"]
    assert len(erin) == 1 and "refused: SMTP 550" in erin[0].last_error and erin[0].next_try_at is None
    assert len(mailbox.received()) == 2 and len(gateway.received) == 2 and "waiting 0" in out


def test_two_runs_at_once_send_nothing_twice(app, make, course, servers, database):
    mailbox, gateway = servers
    tree, ids = world(app, make, course)
    for n in range(12):  # more learners due, so that the runs overlap
        make.user(f"more{n}", unit=tree["KZ-A-1-1"], email=f"more{n}@example.org", phone=f"+7701555{n:04d}")
    with app.app_context():
        from tests.conftest import refresh_all
        refresh_all()
        db.session.commit()
    mailbox.start()
    gateway.start()
    results = _run_together([lambda: send(app, batch=3) for _ in range(3)])
    send(app)  # whatever a run left when it saw the other's lease
    recipients = [m[0] for m in mailbox.received()]
    assert len(recipients) == len(set(recipients)) == 15  # ann, erin, the trainer and twelve more
    phones = [s["to"] for s in gateway.received]
    assert len(phones) == len(set(phones)) == 14  # ann, bob and twelve more
    assert sum(done.sent for done, _ in results) <= 17
    assert len(rows(app)) == 16 and all(r.status == "sent" for r in rows(app))


def test_an_opted_out_learner_gets_nothing(app, make, course, servers, database):
    mailbox, gateway = servers
    world(app, make, course)
    mailbox.start()
    gateway.start()
    send(app)
    with app.app_context():
        from lms.auth.models import User
        dan = db.session.scalar(sa.select(User).where(User.username == "dan"))
        assert db.session.scalar(sa.select(sa.func.count()).where(Reminder.user_id == dan.id)) == 0
    assert "dan@example.org" not in [m[0] for m in mailbox.received()]
    assert "+77017654321" not in [s["to"] for s in gateway.received]


def test_a_completed_module_or_a_withdrawn_assignment_cancels_what_is_queued(app, make, course, servers, database):
    mailbox, gateway = servers
    tree, ids = world(app, make, course)
    send(app)  # both channels down: everything waits
    assert all(r.status == "queued" for r in rows(app))
    from tests.train.test_assignments import complete_module
    complete_module(app, "ann")  # ann completes the module due tomorrow
    trainer = make_browser(app, "trainer")
    response = trainer.post(f"/train/assignments/{ids['late']}/withdraw", from_page=f"/train/assignments/{ids['late']}")
    assert response.status_code in (302, 303)
    with app.app_context():
        assert db.session.get(Assignment, ids["late"]).withdrawn_at is not None
    mailbox.start()
    gateway.start()
    make_due(app)
    done, out = send(app)
    by_user = {r.user_id: r for r in rows(app) if r.kind != "digest"}
    assert by_user[ids["ann"]].status == "cancelled" and by_user[ids["ann"]].last_error == "no longer applies"
    assert by_user[ids["bob"]].status == "cancelled"
    assert by_user[ids["erin"]].status == "sent"
    assert [m[0] for m in mailbox.received()] == ["erin@example.org"]  # the digest: nobody is overdue now
    assert gateway.received == []


def make_browser(app, username):
    from tests.test_concurrency import _signed_in
    return _signed_in(app, username)
