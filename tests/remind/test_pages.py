"""Contact details on the pages that take them (the learner's own account page, the trainer's learner forms,
the admin's staff forms, the import), the trainer's page of reminders sent, the learner's dashboard, and
privacy: no contact detail in a monitor's reports."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.extensions import db
from lms.remind.models import Reminder
from lms.timeutil import today
from lms.train.models import AuditEvent
from tests.conftest import count_queries
from tests.remind.test_send import send
from tests.test_concurrency import _run_together, _signed_in
from tests.train.test_user_import import HEADER, confirm, confirm_form, upload


def person(app, username):
    with app.app_context():
        found = db.session.scalar(sa.select(User).where(User.username == username))
        db.session.expunge_all()
        return found


def test_a_learner_sees_and_changes_their_contact_details_and_opts_out(app, make, database):
    tree = make.tree()
    make.user("ann", unit=tree["KZ-A-1-1"], email="old@example.org")
    b = _signed_in(app, "ann")
    page = b.get("/account").get_data(as_text=True)
    assert 'value="old@example.org"' in page and "/account" in b.get("/learn/").get_data(as_text=True)
    bad = b.post("/account", {"email": "not an address", "phone": "12"})
    assert bad.status_code == 200
    text = bad.get_data(as_text=True)
    assert "Not a valid e-mail address." in text and "Not a valid phone number." in text
    assert person(app, "ann").email == "old@example.org"  # nothing saved
    ok = b.post("/account", {"email": "Ann@Example.ORG", "phone": "8 701 123 45 67", "opt_out": "y"})
    assert ok.status_code == 303
    ann = person(app, "ann")
    assert (ann.email, ann.phone, ann.reminders_opt_out) == ("Ann@example.org", "+77011234567", True)
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.contact"))
        assert event.target_id == ann.id and "example" not in str(event.details)  # the fact, not the address
    assert b.post("/account", {"email": "", "phone": ""}).status_code == 303
    ann = person(app, "ann")
    assert (ann.email, ann.phone, ann.reminders_opt_out) == (None, None, False)
    assert _signed_in(app, "ann").client.post("/account", data={"email": "x@example.org"}).status_code == 400  # CSRF


def test_two_tabs_saving_contact_details_at_once(app, make, postgres_only):
    tree = make.tree()
    make.user("ann", unit=tree["KZ-A-1-1"])
    tabs = [_signed_in(app, "ann") for _ in range(4)]
    from tests.conftest import csrf_from
    tokens = [csrf_from(t.get("/account").get_data(as_text=True)) for t in tabs]
    results = _run_together([
        (lambda i=i: tabs[i].client.post("/account", data={"csrf_token": tokens[i], "email": f"ann{i}@example.org",
                                                             "phone": "+77011234567"}))
        for i in range(4)])
    assert all(r.status_code == 303 for r in results)
    assert person(app, "ann").email in {f"ann{i}@example.org" for i in range(4)}


def test_trainers_and_admins_enter_contact_details_on_the_account_forms(app, make, database):
    tree = make.tree()
    make.user("trainer", Role.TRAINER, tree["KZ-A"])
    make.user("root", Role.ADMIN)
    trainer = _signed_in(app, "trainer")
    bad = trainer.post("/train/learners/new", {"full_name": "Dana Kerimova", "unit": tree["KZ-A-1-1"],
                                                "language": "ru", "email": "dana@", "phone": ""})
    assert bad.status_code == 200 and "Not a valid e-mail address." in bad.get_data(as_text=True)
    assert person(app, "dana.kerimova") is None
    made = trainer.post("/train/learners/new", {"full_name": "Dana Kerimova", "unit": tree["KZ-A-1-1"],
                                                 "language": "ru", "email": "dana@example.org",
                                                 "phone": "+996 555 123 456"})
    assert made.status_code in (302, 303)
    dana = person(app, "dana.kerimova")
    assert (dana.email, dana.phone) == ("dana@example.org", "+996555123456")
    edited = trainer.post(f"/train/learners/{dana.id}/edit", {"full_name": "Dana Kerimova", "unit": tree["KZ-A-1-1"],
                                                              "language": "ru", "active": "y", "email": "",
                                                              "phone": "+77017654321"})
    assert edited.status_code == 303
    dana = person(app, "dana.kerimova")
    assert (dana.email, dana.phone) == (None, "+77017654321")
    admin = _signed_in(app, "root")
    staff = person(app, "trainer")
    page = f"/admin/staff/{staff.id}/edit"
    saved = admin.post(page, {"full_name": staff.full_name, "unit": tree["KZ-A"], "language": "en", "active": "y",
                              "role": "trainer", "email": "trainer@example.org", "phone": ""})
    assert saved.status_code in (302, 303), saved.get_data(as_text=True)[:2000]
    assert person(app, "trainer").email == "trainer@example.org"
    refused = admin.post(page, {"full_name": staff.full_name, "unit": tree["KZ-A"], "language": "en", "active": "y",
                                "role": "trainer", "email": "trainer@example.org", "phone": "call me"})
    assert refused.status_code == 200 and "Not a valid phone number." in refused.get_data(as_text=True)


def test_the_import_takes_email_and_phone_with_an_error_per_line_all_or_nothing(app, make, database):
    tree = make.tree()
    make.user("trainer", Role.TRAINER, tree["KZ-A"])
    trainer = _signed_in(app, "trainer")
    header = HEADER.strip() + ",email,phone\n"
    bad = (header + "Aliya Nurova,,KZ-A-1-1,ru,aliya@example.org,+77011234567\n"
           "Bolat Serik,,KZ-A-1-1,kk,bolat@,\n" + "Chyngyz Asanov,,KZ-A-1-2,ky,,12345\n")
    page = upload(trainer, bad.encode()).get_data(as_text=True)
    assert "Line 3: email: Not a valid e-mail address." in page and "Line 4: phone: Not a valid phone number." in page
    assert "Line 2:" not in page and "2 problems were found" in page
    assert person(app, "aliya.nurova") is None
    good = header + "Aliya Nurova,,KZ-A-1-1,ru,aliya@example.org,8 701 123 4567\nBolat Serik,,KZ-A-1-1,kk,,\n"
    preview = upload(trainer, good.encode()).get_data(as_text=True)
    assert confirm(trainer, confirm_form(preview)).status_code in (200, 303)
    aliya, bolat = person(app, "aliya.nurova"), person(app, "bolat.serik")
    assert (aliya.email, aliya.phone) == ("aliya@example.org", "+77011234567")
    assert (bolat.email, bolat.phone) == (None, None)


def _reminded_world(app, make, course):
    tree = make.tree()
    make.user("trainer", Role.TRAINER, tree["KZ-A"], full_name="Tanya Trainer")
    make.user("trainer-kg", Role.TRAINER, tree["KG-A"])
    make.user("monitor", Role.MONITOR)
    make.user("ann", unit=tree["KZ-A-1-1"], full_name="Ann Akhmetova", email="ann@example.org", phone="+77011234567")
    make.assign(course, unit=tree["KZ-A"], due_date=today() + timedelta(days=1))
    send(app)
    return tree


def test_the_trainer_sees_what_was_sent_to_whom_and_other_oblasts_do_not(app, make, course, database):
    _reminded_world(app, make, course)
    trainer = _signed_in(app, "trainer")
    page = trainer.get("/train/reminders/").get_data(as_text=True)
    assert "Ann Akhmetova" in page and "Due soon" in page and "Shown in the app only" in page
    assert "Reminders sent" in trainer.get("/train/").get_data(as_text=True)
    with app.app_context():  # a failure, as delivery records it
        db.session.execute(sa.update(Reminder).values(email_status="failed", last_error="e-mail refused: SMTP 550 no",
                                                      sms_status="sent", sms_parts=2))
        db.session.commit()
    failed = trainer.get("/train/reminders/?status=failed").get_data(as_text=True)
    assert "Ann Akhmetova" in failed and "SMTP 550" in failed and "2 parts" in failed
    assert "Ann Akhmetova" not in trainer.get("/train/reminders/?status=cancelled").get_data(as_text=True)
    assert "ann@example.org" not in failed and "+77011234567" not in failed
    other = _signed_in(app, "trainer-kg").get("/train/reminders/").get_data(as_text=True)
    assert "Ann Akhmetova" not in other and "No reminders yet." in other
    assert _signed_in(app, "ann").get("/train/reminders/").status_code == 403
    assert _signed_in(app, "trainer").get("/train/reminders/?status=%00&page=-3").status_code == 200


def test_the_dashboard_shows_the_learners_reminders_in_one_query(app, make, course, database):
    tree = make.tree()
    make.user("ann", unit=tree["KZ-A-1-1"], locale="ru")
    make.assign(course, unit=tree["KZ-A"], due_date=today() + timedelta(days=30))
    b = _signed_in(app, "ann")
    b.get("/learn/")
    with count_queries(app) as before:
        page = b.get("/learn/").get_data(as_text=True)
    assert "Напоминания" not in page
    with app.app_context():
        from lms.learn.models import Assignment
        db.session.execute(sa.update(Assignment).values(due_date=today() + timedelta(days=1)))
        from tests.conftest import refresh_all
        refresh_all()
        db.session.commit()
    send(app)
    with count_queries(app) as after:
        page = b.get("/learn/").get_data(as_text=True)
    assert "Напоминания" in page and "Пробный модуль" in page
    assert len(before) == 2 and len(after) == 3  # one query more, only for someone reminded lately


def test_no_contact_detail_in_a_monitors_reports(app, make, course, database):
    _reminded_world(app, make, course)
    monitor = _signed_in(app, "monitor")
    for url in ("/reports/completion", "/reports/completion.csv", "/reports/knowledge"):
        response = monitor.get(url)
        assert response.status_code in (200, 302, 404)
        body = response.get_data(as_text=True)
        assert "ann@example.org" not in body and "+77011234567" not in body and "7011234567" not in body


def test_reminder_days_on_the_unit_and_assignment_forms(app, make, course, database):
    tree = make.tree()
    make.user("root", Role.ADMIN)
    make.user("trainer", Role.TRAINER, tree["KZ-A"])
    assignment = make.assign(course, unit=tree["KZ-A"], due_date=today() + timedelta(days=20))
    admin = _signed_in(app, "root")
    url = f"/admin/units/{tree['KZ-A']}/edit"
    bad = admin.post(url, {"name_en": "KZ-A", "name_ru": "KZ-A", "reminder_days": "soon"})
    assert bad.status_code == 200 and "Write up to five whole numbers of days" in bad.get_data(as_text=True)
    assert admin.post(url, {"name_en": "KZ-A", "name_ru": "KZ-A", "reminder_days": "3, 10"}).status_code == 303
    from lms.learn.models import Assignment
    from lms.orgs.models import Unit
    with app.app_context():
        assert db.session.get(Unit, tree["KZ-A"]).reminder_days == "10,3"
        assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "unit.reminders"))
    trainer = _signed_in(app, "trainer")
    edit = f"/train/assignments/{assignment}/edit"
    assert 'name="reminder_days"' in trainer.get(edit).get_data(as_text=True)
    due = (today() + timedelta(days=20)).isoformat()
    refused = trainer.post(edit, {"due": "date", "due_date": due, "reminder_days": "1,2,3,4,5,6"})
    assert refused.status_code == 200 and "Write up to five whole numbers" in refused.get_data(as_text=True)
    assert trainer.post(edit, {"due": "date", "due_date": due, "reminder_days": "5"}).status_code == 303
    with app.app_context():
        assert db.session.get(Assignment, assignment).reminder_days == "5"
    page = admin.get("/admin/audit?page=1").get_data(as_text=True)
    assert "Reminder days" in page
