"""Searching the audit log by person, action, record and dates, paged, and its CSV and Excel export."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from lms.admin import audit_search
from lms.auth.models import Role, User
from lms.extensions import db
from lms.train.models import AuditEvent
from tests.admin.test_audit import _world
from tests.conftest import Browser
from tests.test_i18n import visible_text


def _text(response) -> str:
    return " ".join(visible_text(response.get_data(as_text=True)).split())


def _found(response) -> int:
    match = re.search(r"(\d+) events? found", _text(response))
    assert match, _text(response)[:400]
    return int(match.group(1))


def _count(app, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(*where))


@pytest.fixture
def world(app, make, course):
    tree, ids, browser = _world(app, make, course)
    with app.app_context():
        db.session.get(User, ids["admin"]).locale = "en"
        db.session.commit()
    return tree, ids, browser


def test_person_filter_finds_what_they_did_and_what_concerns_them(app, world, database):
    tree, ids, browser = world
    by_trainer = _count(app, AuditEvent.actor_id == ids["trainer"])
    assert _found(browser.get("/admin/audit?person=nurlan")) == by_trainer  # nobody else is called Nurlan
    aliya = browser.get("/admin/audit?person=ALIYA")
    text = _text(aliya)
    about_learner = _count(app, AuditEvent.target_type == "user", AuditEvent.target_id == ids["learner"])
    assert _found(aliya) == about_learner and "Nurlan Abenov moved Aliya Ospan" in text
    assert "Nurlan Abenov assigned the module" not in text  # assigned to a district, not to her
    elena = _text(browser.get("/admin/audit?person=morozova"))
    assert "created the account of Elena Morozova" in elena and "changed which reports Elena Morozova" in elena
    assert _found(browser.get("/admin/audit?person=nobody-is-called-this")) == 0
    assert "No events match these filters." in _text(browser.get("/admin/audit?person=nobody-is-called-this"))
    assert _found(browser.get("/admin/audit?person=%25")) == 0  # % is a plain character


def test_action_and_record_filters(app, world, database):
    tree, ids, browser = world
    page = browser.get("/admin/audit?action=user.role")
    assert _found(page) == 1 and "changed the role of Olga Petrova" in _text(page)
    assert 'value="user.role" selected' in page.get_data(as_text=True)
    assert _found(browser.get("/admin/audit?action=user.")) == _count(app, AuditEvent.action.like("user.%"))
    # a unit code: events in that unit or under it, and about the unit itself
    district = _text(browser.get("/admin/audit?target=kz-a-1"))
    assert "Precinct Nine" in district and "recorded attendance" in district
    assert "Nurlan Abenov assigned the module “Sample module” to KZ-A-1 (KZ-A-1)." in district
    assert "Elena Morozova" not in district  # a monitor has no unit
    below = _count(app, AuditEvent.unit_id.in_([tree["KZ-A-1"], tree["KZ-A-1-1"], tree["KZ-A-1-2"]]))
    assert _found(browser.get("/admin/audit?target=KZ-A-1")) >= below
    # a username: what concerns that account only, not what it did
    learner = browser.get("/admin/audit?target=Aliya.Nurova")
    assert _found(learner) == _count(app, AuditEvent.target_type == "user", AuditEvent.target_id == ids["learner"])
    trainer = _text(browser.get("/admin/audit?target=trainer"))
    assert "0 events found" in trainer
    # a record number
    assert _found(browser.get(f"/admin/audit?target=No. {ids['assignment']}")) >= 3
    # nothing with that name: said on the field
    response = browser.get("/admin/audit?target=NO-SUCH-UNIT")
    assert response.status_code == 200
    assert "No unit code, username or record number matches this." in _text(response)
    assert "Correct the filters above to see the events." in _text(response)
    # every filter together
    combined = browser.get("/admin/audit?person=nurlan&action=user.&target=aliya.nurova&date_from=2000-01-01")
    assert _found(combined) == _count(app, AuditEvent.actor_id == ids["trainer"], AuditEvent.action.like("user.%"),
                                      AuditEvent.target_id == ids["learner"], AuditEvent.target_type == "user")


def test_date_range_is_inclusive_and_bad_dates_are_said_never_a_500(app, make, browser, database):
    admin = make.user("root", Role.ADMIN)
    with app.app_context():
        for day, hour in ((1, 0), (2, 23), (3, 12), (4, 0)):
            db.session.add(AuditEvent(at=datetime(2030, 3, day, hour, 59), actor_id=admin, action="user.update",
                                      target_type="user", target_id=admin, details={"full_name": ["A", "B"]}))
        db.session.commit()
    browser.login("root")
    assert _found(browser.get("/admin/audit?date_from=2030-03-02&date_to=2030-03-03")) == 2
    assert _found(browser.get("/admin/audit?date_from=2030-03-02")) == 3
    assert _found(browser.get("/admin/audit?date_to=2030-03-01")) == 1
    assert _found(browser.get("/admin/audit?date_from=2030-03-03&date_to=2030-03-03")) == 1
    for bad in ("2030-02-30", "31.03.2030", "tomorrow", "0001-01-01", "9999-12-31", "2030-3-1", "２０３０-０３-０１",
                "2030-03-01T00:00"):
        response = browser.get("/admin/audit", query_string={"date_from": bad})
        assert response.status_code == 200, bad
        text = _text(response)
        assert "Enter a date as year-month-day, for example 2025-03-31." in text, bad
        assert "There is a problem" in text and "Correct the filters above" in text
        assert browser.get("/admin/audit/export.csv", query_string={"date_to": bad}).status_code == 200
    response = browser.get("/admin/audit?date_from=2030-03-04&date_to=2030-03-01")
    assert response.status_code == 200 and "The end date is before the start date." in _text(response)
    page = response.get_data(as_text=True)
    assert 'value="2030-03-04"' in page and 'aria-invalid="true"' in page  # the form keeps what was typed
    long = browser.get("/admin/audit", query_string={"person": "x" * 500})
    assert long.status_code == 200 and "There is a problem" in _text(long)


def test_pages_keep_the_filters(app, make, browser, database):
    admin = make.user("root", Role.ADMIN, full_name="Root Admin")
    with app.app_context():
        db.session.add_all(AuditEvent(at=datetime(2030, 1, 1 + n % 28), action="user.reset_password",
                                      target_type="user", target_id=admin, actor_id=admin, details={})
                           for n in range(120))
        db.session.commit()
    browser.login("root")
    first = browser.get("/admin/audit?person=root&date_from=2030-01-01&action=user.reset_password")
    assert _found(first) == 120
    page = first.get_data(as_text=True)
    next_link = html.unescape(re.search(r'rel="next" href="([^"]+)"', page).group(1))
    assert "person=root" in next_link and "date_from=2030-01-01" in next_link and "page=2" in next_link
    assert "action=user.reset_password" in next_link


def _csv(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_and_excel_export_of_the_filtered_events_in_the_readers_language(app, world, database, monkeypatch):
    tree, ids, browser = world
    response = browser.get("/admin/audit")
    assert 'href="/admin/audit/export.csv"' in response.get_data(as_text=True)
    filtered = browser.get("/admin/audit?person=nurlan&action=user.")
    assert "/admin/audit/export.csv?person=nurlan&amp;action=user." in filtered.get_data(as_text=True)

    monkeypatch.setattr(audit_search, "EXPORT_CHUNK", 3)  # several chunks, with events of the same second
    rows = _csv(browser.get("/admin/audit/export.csv?person=nurlan&action=user."))
    assert rows[0] == ["Event No.", "When (UTC)", "Done by", "Username", "What was done", "What happened", "Changes"]
    expected = _count(app, AuditEvent.actor_id == ids["trainer"], AuditEvent.action.like("user.%"))
    assert len(rows) - 1 == expected and len({r[0] for r in rows[1:]}) == expected
    assert {r[3] for r in rows[1:]} == {"trainer"} and all(r[4] for r in rows[1:])
    moved = [r for r in rows if r[4] == "Account moved to another unit"]
    assert moved and "Nurlan Abenov moved Aliya Ospan" in moved[0][5]
    [renamed] = [r for r in rows if r[5].startswith("Nurlan Abenov changed the account of")]
    assert "Full name: Aliya Nurova → Aliya Ospan" in renamed[6] and "Language: Русский → Қазақша" in renamed[6]
    ids_in_order = [int(r[0]) for r in rows[1:]]
    with app.app_context():
        newest_first = db.session.scalars(sa.select(AuditEvent.id).where(AuditEvent.id.in_(ids_in_order))
                                          .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())).all()
    assert ids_in_order == newest_first

    with app.app_context():  # in the reader's language
        db.session.get(User, ids["admin"]).locale = "ru"
        db.session.commit()
    rows = _csv(browser.get("/admin/audit/export.csv?action=session.attendance"))
    assert rows[0][0] == "№ события" and len(rows) == 2
    assert rows[1][5].startswith("Nurlan Abenov отметил(а) присутствие 1 слушателя")

    xlsx = browser.get("/admin/audit/export.xlsx?target=KZ-A-1")
    assert xlsx.headers["Content-Disposition"] == 'attachment; filename="audit-log.xlsx"'
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = list(sheet.values)
    assert len(values) == len(_csv(browser.get("/admin/audit/export.csv?target=KZ-A-1"))) > 5
    assert values[0][0] == "№ события" and isinstance(values[1][1], datetime)
    assert browser.get("/admin/audit/export.pdf").status_code == 404


def test_formula_like_names_are_neutralised_in_the_export(app, make, browser, database):
    admin = make.user("root", Role.ADMIN, full_name="=HYPERLINK(\"http://x\")")
    with app.app_context():
        db.session.add(AuditEvent(actor_id=admin, action="user.unlock", target_type="user", target_id=admin,
                                  details={}))
        db.session.commit()
    browser.login("root")
    rows = _csv(browser.get("/admin/audit/export.csv"))
    assert rows[1][2].startswith("'=")


def test_non_admins_cannot_search_or_export(app, make, database):
    make.tree()
    for username, role in (("t", Role.TRAINER), ("m", Role.MONITOR), ("l", Role.LEARNER)):
        make.user(username, role)
        b = Browser(app.test_client())
        b.login(username)
        for url in ("/admin/audit?person=x", "/admin/audit/export.csv", "/admin/audit/export.xlsx"):
            assert b.get(url).status_code == 403, (username, url)
