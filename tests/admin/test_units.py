"""The organisation tree for admins: browse with counts, create, rename, delete when empty, bulk import."""

import html
import io
import re
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from lms.auth.models import Role
from lms.extensions import db
from lms.learn.models import LearnerProgress, TrainingSession
from lms.orgs.models import Unit
from lms.progress.models import ReportUnit
from lms.reports.models import ReportScope
from lms.train.models import AuditEvent, Election
from tests.conftest import count_queries
from tests.train.test_accounts import events
from tests.train.test_user_import import confirm_form

HEADER = "code,parent_code,name_en,name_ru,name_kk,name_ky,name_uz,name_tg,name_tk\n"


# --- helpers ---------------------------------------------------------------------------------------

def setup_tree(make):
    tree = make.tree()
    make.user("admin", Role.ADMIN)
    return tree


def units(app) -> dict[str, tuple]:
    """Every unit by code: (level, parent, country, oblast, district ids, names)."""
    with app.app_context():
        return {u.code: (u.level, u.parent_id, u.country_id, u.oblast_id, u.district_id, u.names)
                for u in db.session.scalars(sa.select(Unit))}


def snapshot(app):
    """The units and the number of audit events: to prove that nothing changed."""
    with app.app_context():
        events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    return units(app), events


def user_id(app, username):
    from lms.auth.models import User
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == username))


def cells(page: str, code: str) -> list[str]:
    """The cells after the code of the table row of unit `code`: name, level, sub-units, accounts, actions."""
    match = re.search(rf"<tr><td><code>{re.escape(code)}</code></td>(.*?)</tr>", page, re.S)
    assert match, f"no row for {code}"
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", match.group(1), re.S)]


def row_codes(page: str) -> list[str]:
    return re.findall(r"<tr><td><code>([^<]+)</code></td>", page)


def flashed(browser) -> str:
    page = browser.get("/admin/units").get_data(as_text=True)
    return " ".join(html.unescape(m) for m in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', page, re.S))


def names(en: str, ru: str, **more) -> dict:
    return {"name_en": en, "name_ru": ru} | {f"name_{k}": v for k, v in more.items()}


def add_precincts(app, parent_id: int, count: int) -> None:
    with app.app_context():
        parent = db.session.get(Unit, parent_id)
        for n in range(count):
            unit = Unit(code=f"{parent.code}-P{n:03d}", names={"en": f"Precinct {n}", "ru": f"Участок {n}"})
            unit.attach(parent)
            db.session.add(unit)
        db.session.commit()


def upload(browser, data: bytes, name: str = "units.csv"):
    return browser.post("/admin/units/import", {"file": (io.BytesIO(data), name)})


def confirm(browser, form: dict):
    return browser.client.post("/admin/units/import", data=form, content_type="multipart/form-data")


def problem_lines(page: str) -> list[int]:
    return [int(n) for n in re.findall(r"Line (\d+):", page)]


# --- browsing --------------------------------------------------------------------------------------

def test_browse_countries_children_breadcrumb_and_counts(app, browser, make):
    tree = setup_tree(make)
    uz = make.unit("UZ", names={"en": "Uzbekistan", "ru": "Узбекистан", "uz": "Oʻzbekiston"})
    make.user("ann", unit=tree["KZ-A-1-1"])
    make.user("bob", unit=tree["KZ-A-1-1"])
    make.user("old", unit=tree["KZ-A-1-1"], active=False)  # not counted
    make.user("trainer", Role.TRAINER, tree["KZ-A"])
    make.user("kim", unit=tree["KG-A-1-2"])
    browser.login("admin")
    assert 'href="/admin/units"' in browser.get("/train/").get_data(as_text=True)

    top = browser.get("/admin/units").get_data(as_text=True)
    assert "3 countries" in top and row_codes(top) == ["KG", "KZ", "UZ"]
    assert cells(top, "KZ")[:4] == ["KZ", "Country", "1", "3"]
    assert cells(top, "KG")[2:4] == ["1", "1"] and cells(top, "UZ")[:4] == ["Uzbekistan", "Country", "0", "0"]
    assert f'href="/admin/units?unit={uz}"' in top

    oblast = browser.get(f"/admin/units?unit={tree['KZ-A']}").get_data(as_text=True)
    assert cells(oblast, "KZ-A-1")[1:4] == ["District or city commission", "2", "2"]  # the trainer is above it

    district = browser.get(f"/admin/units?unit={tree['KZ-A-1']}").get_data(as_text=True)
    assert "2 sub-units" in district and row_codes(district) == ["KZ-A-1-1", "KZ-A-1-2"]
    assert cells(district, "KZ-A-1-1")[1:4] == ["Precinct commission", "—", "2"]
    assert cells(district, "KZ-A-1-2")[3] == "0"
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', district, re.S).group(0)
    assert re.findall(r'href="([^"]+)"', crumbs) == ["/admin/units", f"/admin/units?unit={tree['KZ']}",
                                                    f"/admin/units?unit={tree['KZ-A']}"]
    assert f"/admin/units/{tree['KZ-A-1']}/new" in district and f"/admin/units/{tree['KZ-A-1']}/delete" in district

    precinct = browser.get(f"/admin/units?unit={tree['KZ-A-1-1']}").get_data(as_text=True)
    assert f"/admin/units/{tree['KZ-A-1-1']}/new" not in precinct and "no sub-units" in precinct

    # names in the viewer's language, with the usual fallback (no Kyrgyz name: Russian)
    make.user("uzadmin", Role.ADMIN, locale="uz")
    make.user("kyadmin", Role.ADMIN, locale="ky")
    from tests.conftest import Browser
    for username, shown in (("uzadmin", "Oʻzbekiston"), ("kyadmin", "Узбекистан")):
        other = Browser(app.test_client())
        other.login(username)
        assert cells(other.get("/admin/units").get_data(as_text=True), "UZ")[0] == shown


def test_unknown_units_are_not_found(app, browser, make):
    tree = setup_tree(make)
    browser.login("admin")
    for url in ("/admin/units?unit=999999", "/admin/units?unit=99999999999999999999", "/admin/units/999999/new",
                "/admin/units/999999/edit", "/admin/units/99999999999999999999/edit"):
        assert browser.get(url).status_code == 404, url
    before = snapshot(app)
    for url in ("/admin/units/999999/new", "/admin/units/999999/edit", "/admin/units/999999/delete"):
        response = browser.post(url, {"code": "NEW-1"} | names("N", "Н"), from_page="/admin/units")
        assert response.status_code == 404, url
    assert snapshot(app) == before
    assert browser.get(f"/admin/units?unit={tree['KZ']}&page=abc").status_code == 200


def test_children_are_paginated_with_a_fixed_number_of_queries(app, browser, make):
    tree = setup_tree(make)
    browser.login("admin")
    url = f"/admin/units?unit={tree['KZ-A-1']}"
    with count_queries(app) as few:
        assert browser.get(url).status_code == 200
    add_precincts(app, tree["KZ-A-1"], 118)
    make.user("late", unit=units_by_code(app, "KZ-A-1-P117"))
    with count_queries(app) as many:
        first = browser.get(url).get_data(as_text=True)
    assert len(many) == len(few)
    assert "120 sub-units" in first and len(row_codes(first)) == 50 and "Page 1 of 3" in first
    assert f'href="/admin/units?unit={tree["KZ-A-1"]}&amp;page=2"' in first
    last = browser.get(url + "&page=3").get_data(as_text=True)
    assert len(row_codes(last)) == 20 and cells(last, "KZ-A-1-P117")[3] == "1"
    assert row_codes(browser.get(url + "&page=99").get_data(as_text=True)) == row_codes(last)
    assert cells(browser.get(f"/admin/units?unit={tree['KZ-A']}").get_data(as_text=True), "KZ-A-1")[2:4] == ["120", "1"]


def units_by_code(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Unit.id).where(Unit.code == code))


# --- create, edit, delete --------------------------------------------------------------------------

def test_create_a_country_an_oblast_and_a_precinct(app, browser, make):
    tree = setup_tree(make)
    admin = user_id(app, "admin")
    browser.login("admin")
    response = browser.post("/admin/units/new", {"code": " uz "} | names("Uzbekistan", "Узбекистан", uz="Oʻzbekiston",
                                                                          kk=""))
    assert response.status_code == 303 and response.headers["Location"] == "/admin/units"
    assert "Uzbekistan has been added." in flashed(browser)
    uz = units_by_code(app, "UZ")
    assert units(app)["UZ"] == (
        0,
        None,
        None,
        None,
        None,
        {"en": "Uzbekistan", "ru": "Узбекистан", "uz": "Oʻzbekiston"},
    )

    response = browser.post(f"/admin/units/{uz}/new", {"code": "UZ-SAM"} | names("Samarkand", "Самарканд"))
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/units?unit={uz}"
    assert units(app)["UZ-SAM"][:5] == (1, uz, uz, None, None)

    response = browser.post(
        f"/admin/units/{tree['KZ-A-1']}/new", {"code": "KZ-A-1-3"} | names("Precinct 3", "Участок 3")
    )
    assert response.status_code == 303
    assert units(app)["KZ-A-1-3"][:5] == (3, tree["KZ-A-1"], tree["KZ"], tree["KZ-A"], tree["KZ-A-1"])

    created = events(app, "unit.create")
    assert [e[3]["code"] for e in created] == ["UZ", "UZ-SAM", "KZ-A-1-3"]
    assert all(e[4] == admin for e in created) and created[2][3]["parent"] == "KZ-A-1"
    assert created[0][1] == uz and created[0][2] == uz


def test_create_errors_rerender_and_write_nothing(app, browser, make):
    tree = setup_tree(make)
    browser.login("admin")
    before = snapshot(app)
    taken = browser.post(f"/admin/units/{tree['KZ']}/new", {"code": "kz-a"} | names("Again", "Снова"))
    page = taken.get_data(as_text=True)
    assert taken.status_code == 200 and "error-summary" in page
    assert "The code KZ-A is already used by KZ-A." in html.unescape(page)
    assert 'value="Again"' in page  # what was typed stays in the form

    bad = browser.post("/admin/units/new", {"code": "KZ A"} | names("", "", kk="x" * 201)).get_data(as_text=True)
    for message in ("Use 2 to 40 capital Latin letters", "Enter the name in English.", "Enter the name in Russian.",
                    "Use at most 200 characters."):
        assert message in bad, message
    for code in ("K", "Ж-1", "KZ_A", "X" * 41):
        page = browser.post("/admin/units/new", {"code": code} | names("N", "Н")).get_data(as_text=True)
        assert "Use 2 to 40 capital Latin letters" in page, code
    assert snapshot(app) == before

    # a precinct commission has no sub-units: no form, and a forged request is refused
    precinct = tree["KZ-A-1-1"]
    assert browser.get(f"/admin/units/{precinct}/new").status_code == 404
    forged = browser.post(f"/admin/units/{precinct}/new", {"code": "KZ-A-1-1-X"} | names("X", "Х"),
                          from_page="/admin/units")
    assert forged.status_code in (400, 404)
    # without the CSRF token
    assert browser.client.post("/admin/units/new", data={"code": "NEW"} | names("N", "Н")).status_code == 400
    assert snapshot(app) == before


def test_edit_names(app, browser, make):
    tree = setup_tree(make)
    browser.login("admin")
    url = f"/admin/units/{tree['KZ-A']}/edit"
    page = browser.get(url).get_data(as_text=True)
    form = re.search(r'<form method="post" novalidate.*?</form>', page, re.S).group(0)
    assert 'name="name_en"' in form and 'value="KZ-A"' in form
    assert 'name="code"' not in form and 'name="parent' not in form and "<select" not in form
    response = browser.post(url, names("Almaty oblast", "Алматинская область", kk="Алматы облысы", tk=""))
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/units?unit={tree['KZ-A']}"
    assert "The names have been saved." in flashed(browser)
    level, parent, *_rest, saved = units(app)["KZ-A"]
    assert (level, parent) == (1, tree["KZ"])
    assert saved == {"en": "Almaty oblast", "ru": "Алматинская область", "kk": "Алматы облысы"}
    [(action, target, unit, details, _actor)] = events(app)
    assert (action, target, unit) == ("unit.update", tree["KZ-A"], tree["KZ-A"])
    assert details["names"] == [{"en": "KZ-A", "ru": "KZ-A"}, saved]

    browser.post(url, names("Almaty oblast", "Алматинская область", kk="Алматы облысы"))
    assert "Nothing was changed." in flashed(browser) and len(events(app)) == 1
    before = snapshot(app)
    page = browser.post(url, names("", "Алматинская область")).get_data(as_text=True)
    assert "Enter the name in English." in page and snapshot(app) == before


def test_delete_an_empty_unit_and_its_report_rows(app, browser, make):
    tree = setup_tree(make)
    admin = user_id(app, "admin")
    spare = make.unit("KZ-A-1-3", tree["KZ-A-1"])
    with app.app_context():  # figures left at zero after its officials moved away, and an old audit event
        db.session.add(ReportUnit(unit_id=spare, role="learner", learners=0))
        db.session.add(AuditEvent(action="user.move", target_type="user", target_id=1, unit_id=spare, details={}))
        db.session.commit()
    browser.login("admin")
    response = browser.post(f"/admin/units/{spare}/delete", from_page=f"/admin/units?unit={spare}")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/units?unit={tree['KZ-A-1']}"
    assert "KZ-A-1-3 has been deleted." in flashed(browser)
    assert "KZ-A-1-3" not in units(app)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportUnit)
                                 .where(ReportUnit.unit_id == spare)) == 0
        old = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.move"))
        assert old.unit_id is None  # the history stays, without the unit
    [(action, target, unit, details, actor)] = events(app, "unit.delete")
    assert (target, unit, actor) == (spare, tree["KZ-A-1"], admin) and details["code"] == "KZ-A-1-3"

    # an empty country too
    country = make.unit("TM")
    assert (
        browser.post(f"/admin/units/{country}/delete", from_page="/admin/units").headers["Location"] == "/admin/units"
    )
    assert "TM" not in units(app)


def test_delete_is_refused_while_anything_refers_to_the_unit(app, browser, make, course):
    tree = setup_tree(make)
    ann = make.user("ann", unit=tree["KZ-A-1-1"])
    make.assign(course, unit=tree["KZ-A-1-2"])
    make.assign(course, user=ann)  # gives ann a progress row
    blocked = {"sub-units": tree["KZ-A-1"], "user accounts": tree["KZ-A-1-1"], "assignments": tree["KZ-A-1-2"]}
    for code in ("KG-A-1-3", "KG-A-1-4", "KG-A-1-5"):
        blocked[code] = make.unit(code, tree["KG-A-1"])
    monitor = make.user("monitor", Role.MONITOR)
    with app.app_context():
        db.session.add(TrainingSession(module_id=course, unit_id=blocked["KG-A-1-3"], held_on=date(2030, 1, 1),
                                       place="Hall", trainer_name="T"))
        db.session.add(ReportScope(user_id=monitor, unit_id=blocked["KG-A-1-4"]))
        progress = db.session.scalar(sa.select(LearnerProgress).where(LearnerProgress.user_id == ann))
        progress.unit_id = blocked["KG-A-1-5"]  # a row left pointing at the unit
        db.session.add(Election(country_id=tree["KG"], name="Vote", polling_date=date(2030, 2, 1)))
        db.session.commit()
    reasons = {"sub-units": "sub-units", "user accounts": "user accounts", "assignments": "assignments",
               "KG-A-1-3": "in-person sessions", "KG-A-1-4": "monitors who read its reports",
               "KG-A-1-5": "training progress records"}
    browser.login("admin")
    before = snapshot(app)
    for key, reason in reasons.items():
        unit = blocked[key]
        response = browser.post(f"/admin/units/{unit}/delete", from_page=f"/admin/units?unit={unit}")
        assert response.status_code == 303 and response.headers["Location"] == f"/admin/units?unit={unit}", key
        message = flashed(browser)
        assert "cannot be deleted" in message and reason in message, (key, message)
    browser.post(f"/admin/units/{tree['KG']}/delete", from_page="/admin/units")
    message = flashed(browser)
    assert "sub-units" in message and "elections" in message
    assert snapshot(app) == before and not events(app, "unit.delete")


def test_every_reference_to_a_unit_is_checked_or_cascades(app):
    """A new foreign key to units must be added to delete_blockers() or be a derived or history row."""
    checked = {("units", "parent_id"), ("users", "unit_id"), ("report_members", "unit_id"), ("assignments", "unit_id"),
               ("training_sessions", "unit_id"), ("elections", "country_id"), ("report_scopes", "unit_id"),
               ("learner_progress", "unit_id")}
    below_a_child = {("units", "country_id"), ("units", "oblast_id"), ("units", "district_id")}  # sub-units first
    summaries = {(t, "unit_id") for t in ("report_units", "report_cells", "report_due", "report_weeks", "report_days",
                                          "report_items", "report_options")}
    # certificates keep the unit's code and name, xAPI statements its path
    history = {("audit_events", "unit_id"), ("certificates", "unit_id"), ("xapi_statements", "unit_id")}
    found = {}
    for table in db.metadata.tables.values():
        for fk in table.foreign_keys:
            if fk.column.table.name == "units":
                found[(table.name, fk.parent.name)] = fk.ondelete
    assert set(found) == checked | below_a_child | summaries | history
    assert all(found[key] == "CASCADE" for key in summaries) and all(found[key] == "SET NULL" for key in history)


# --- bulk import -----------------------------------------------------------------------------------

GOOD = (HEADER +
        "UZ,,Uzbekistan,Узбекистан,,,Oʻzbekiston,,\n"                       # 2: a new country
        "uz-sam,UZ,Samarkand region,Самаркандская область,,,Samarqand viloyati,,\n"  # 3: parent on line 2
        "UZ-SAM-URG,UZ-SAM,Urgut,Ургут,,,,,\n"                              # 4
        "UZ-SAM-URG-001,UZ-SAM-URG,Precinct 1,Участок 1,,,,,\n"              # 5
        "KZ-A-1-3,KZ-A-1,New precinct,Новый участок,,,,,\n"                  # 6: parent saved already
        "KZ-A,KZ,Almaty oblast,Алматинская область,Алматы облысы,,,,\n"      # 7: new names
        "KG,,KG,KG,,,,,\n")                                                 # 8: the same as saved


def test_import_preview_confirm_creates_and_updates(app, browser, make):
    tree = setup_tree(make)
    browser.login("admin")
    before = snapshot(app)
    page = upload(browser, GOOD.encode()).get_data(as_text=True)
    assert "error-summary" not in page
    assert "5 units will be created." in page and "1 unit will get new names." in page
    assert "1 unit is already saved as it is in the file." in page
    assert snapshot(app) == before  # the preview writes nothing
    form = confirm_form(page)
    response = confirm(browser, form)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/units"
    assert "5 units were created. 1 unit was updated." in flashed(browser)

    saved = units(app)
    uz, sam, urg = (units_by_code(app, c) for c in ("UZ", "UZ-SAM", "UZ-SAM-URG"))
    assert saved["UZ"][:5] == (0, None, None, None, None)
    assert saved["UZ-SAM"][:5] == (1, uz, uz, None, None)
    assert saved["UZ-SAM-URG"][:5] == (2, sam, uz, sam, None)
    assert saved["UZ-SAM-URG-001"][:5] == (3, urg, uz, sam, urg)
    assert saved["KZ-A-1-3"][:5] == (3, tree["KZ-A-1"], tree["KZ"], tree["KZ-A"], tree["KZ-A-1"])
    assert saved["UZ-SAM"][5] == {"en": "Samarkand region", "ru": "Самаркандская область", "uz": "Samarqand viloyati"}
    assert saved["KZ-A"][:2] == (1, tree["KZ"])
    assert saved["KZ-A"][5] == {"en": "Almaty oblast", "ru": "Алматинская область", "kk": "Алматы облысы"}
    assert saved["KG"] == before[0]["KG"]
    [(action, target, unit, details, actor)] = events(app)
    assert action == "units.import" and actor == user_id(app, "admin")
    assert (details["created"], details["updated"], details["unchanged"]) == (5, 1, 1)
    assert details["source"] == "units.csv"

    # the same confirmation sent again (a reload) changes nothing
    after = snapshot(app)
    again = confirm(browser, form)
    assert again.status_code == 303 and snapshot(app) == after


def test_import_lists_every_bad_line_and_writes_nothing(app, browser, make):
    setup_tree(make)
    browser.login("admin")
    text = (HEADER +
            "KZ-B,KZ,Oblast B,Область Б,,,,,\n"          # 2: fine
            "kz b,KZ,Oblast,Область,,,,,\n"               # 3: bad code
            "KZ-C,KZ,Oblast C,,,,,,\n"                     # 4: no Russian name
            "KZ-B,KZ,Oblast B,Область Б,,,,,\n"          # 5: twice in the file
            "KZ-A-1-1-X,KZ-A-1-1,X,Х,,,,,\n"               # 6: under a precinct commission
            "KZ-A-1,KG-A,District,Район,,,,,\n"           # 7: saved under another parent
            "X-1,NOPE,X,Х,,,,,\n"                          # 8: unknown parent
            "LATE-CHILD,LATE-PARENT,C,Ц,,,,,\n"            # 9: parent comes later
            "LATE-PARENT,KZ,P,П,,,,,\n"                    # 10: fine
            "KG,KZ,KG,KG,,,,,\n"                           # 11: a country given a parent
            ",KZ,,Имя,,,,,\n"                              # 12: no code, no English name
            "KZ-A-1-9,KZ-A-1,P9,У9,,,,,\n"                 # 13: fine, a new precinct
            "KZ-A-1-9-1,KZ-A-1-9,P,У,,,,,\n"               # 14: under the precinct of line 13
            "SELF,SELF,S,С,,,,,\n")                        # 15: its own parent
    before = snapshot(app)
    page = html.unescape(upload(browser, text.encode()).get_data(as_text=True))
    assert "error-summary" in page and "batch" not in page
    assert sorted(set(problem_lines(page))) == [3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 15]
    for line, message in ((3, 'The code "KZ B" is not valid'), (4, "Enter the name in Russian."),
                          (5, 'The code "KZ-B" appears more than once in the file (first on line 2).'),
                          (6, 'The parent unit "KZ-A-1-1" is a precinct commission'),
                          (7, 'The unit "KZ-A-1" already exists under another parent unit, "KZ-A".'),
                          (8, 'Unknown parent code "NOPE".'),
                          (9, 'The parent unit "LATE-PARENT" comes later in the file (line 10)'),
                          (11, 'The unit "KG" already exists as a country.'),
                          (12, "Enter the code."), (12, "Enter the name in English."),
                          (14, 'The parent unit "KZ-A-1-9" is a precinct commission'),
                          (15, "A unit cannot be its own parent.")):
        assert f"Line {line}: {message}" in page, (line, message)
    assert snapshot(app) == before

    missing = html.unescape(upload(browser, b"code,name_en\nKZ-Z,Z\n").get_data(as_text=True))
    assert 'Line 1: The header has no "parent_code" column.' in missing
    assert 'Line 1: The header has no "name_ru" column.' in missing
    assert snapshot(app) == before


def test_cli_import(app, make, tmp_path):
    tree = setup_tree(make)
    runner = app.test_cli_runner()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["TJ", None, "Tajikistan", "Таджикистан", None, None, None, "Тоҷикистон", None])
    sheet.append(["TJ-SUG", "TJ", "Sughd", "Согд", None, None, None, None, None])
    sheet.append(["KZ-A-1", "KZ-A", "Talgar", "Талгар", None, None, None, None, None])
    good = tmp_path / "units.xlsx"
    book.save(good)
    result = runner.invoke(args=["units", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "Created 2 unit(s), updated 1, unchanged 0." in result.output
    saved = units(app)
    tj = units_by_code(app, "TJ")
    assert saved["TJ-SUG"][:5] == (1, tj, tj, None, None) and saved["TJ"][5]["tg"] == "Тоҷикистон"
    assert saved["KZ-A-1"][5] == {"en": "Talgar", "ru": "Талгар"}
    [(action, _target, _unit, details, actor)] = events(app)
    assert action == "units.import" and actor is None and details["source"] == "units.xlsx"

    # an empty cell keeps the saved name
    keep = tmp_path / "keep.csv"
    keep.write_text(HEADER + "TJ,,Tajikistan (new),Таджикистан,,,,,\n", encoding="utf-8")
    assert runner.invoke(args=["units", "import", str(keep)]).exit_code == 0
    assert units(app)["TJ"][5] == {"en": "Tajikistan (new)", "ru": "Таджикистан", "tg": "Тоҷикистон"}

    before = snapshot(app)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "TM,,Turkmenistan,Туркменистан,,,,,\nTM-AHA,TM,,Ахал,,,,,\nKZ-A-1-1-1,KZ-A-1-1,X,Х,,,,,\n",
                   encoding="utf-8")
    result = runner.invoke(args=["units", "import", str(bad)])
    assert result.exit_code != 0
    assert f"{bad}:3: Enter the name in English." in result.output
    assert f'{bad}:4: The parent unit "KZ-A-1-1" is a precinct commission' in result.output
    assert f"{bad}:2:" not in result.output and "nothing was imported" in result.output
    assert snapshot(app) == before and tree["KZ"] == units_by_code(app, "KZ")


# --- access ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.TRAINER, Role.MONITOR, Role.LEARNER])
def test_non_admins_are_refused_on_every_route(app, browser, make, role):
    tree = setup_tree(make)
    make.user("someone", role, tree["KZ"] if role != Role.MONITOR else None)
    browser.login("someone")
    unit = tree["KZ-A-1"]
    before = snapshot(app)
    gets = ["/admin/units", f"/admin/units?unit={unit}", "/admin/units/new", f"/admin/units/{unit}/new",
            f"/admin/units/{unit}/edit", "/admin/units/import"]
    for url in gets:
        assert browser.get(url).status_code == 403, url
    posts = ["/admin/units/new", f"/admin/units/{unit}/new", f"/admin/units/{unit}/edit", f"/admin/units/{unit}/delete",
             "/admin/units/import"]
    for url in posts:
        response = browser.post(url, {"code": "NEW-UNIT", "batch": "0123456789abcdef", "data": HEADER}
                                | names("N", "Н"), from_page="/account/password")
        assert response.status_code == 403, url
    assert snapshot(app) == before
