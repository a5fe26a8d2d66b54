"""Moving and closing organisation units: everything below a moved unit follows it in every scope, report
and export, with the derived tables as a rebuild would make them; a closed unit takes nothing new."""

import csv
import html
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.extensions import db
from lms.learn.models import Assignment, LearnerProgress
from lms.orgs.models import Unit
from lms.progress.models import ReportItem
from lms.reports.models import ReportScope
from lms.train.models import Election
from tests.admin.test_units import HEADER, flashed, snapshot, units, units_by_code
from tests.conftest import Browser, truncate_all
from tests.reports.test_reports import take
from tests.test_concurrency import _second_module
from tests.train.test_accounts import events

# --- helpers ---------------------------------------------------------------------------------------

def signed_in(app, username: str) -> Browser:
    b = Browser(app.test_client())
    assert b.login(username).status_code in (302, 303)
    return b


def table(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def completion(browser, unit: int | None = None, role: str = "learner") -> dict[str, tuple[int, ...]]:
    """The completion report's CSV: code -> (learners, assigned, started, completed); the total as "total"."""
    url = "/reports/completion.csv?role=" + role + (f"&unit={unit}" if unit else "")
    rows = table(browser.get(url))[1:]
    out = {row[1]: tuple(int(x) for x in row[2:6]) for row in rows[:-1]}
    out["total"] = tuple(int(x) for x in rows[-1][2:6])
    return out


def matrix_usernames(browser) -> list[str]:
    return sorted(row[1] for row in table(browser.get("/train/progress/export.csv"))[1:])


def learner_list(browser) -> str:
    return browser.get("/train/learners").get_data(as_text=True)


def assert_rebuild_finds_nothing(app) -> None:
    result = app.test_cli_runner().invoke(args=["reports", "rebuild", "--check"])
    assert result.exit_code == 0, result.output
    assert "The derived tables match the records." in result.output


def two_oblasts(app, make, course):
    """KZ with oblasts KZ-A (district KZ-A-1 and its two precincts) and KZ-B (KZ-B-1, KZ-B-1-1), and KG;
    a trainer in each KZ oblast; officials with work done; modules assigned to the district and to both
    oblasts."""
    tree = make.tree()
    tree["KZ-B"] = make.unit("KZ-B", tree["KZ"], names={"en": "Oblast B", "ru": "Область Б"})
    tree["KZ-B-1"] = make.unit("KZ-B-1", tree["KZ-B"])
    tree["KZ-B-1-1"] = make.unit("KZ-B-1-1", tree["KZ-B-1"])
    second = _second_module(app, course)
    make.user("admin", Role.ADMIN)
    make.user("trainer_a", Role.TRAINER, tree["KZ-A"])
    make.user("trainer_b", Role.TRAINER, tree["KZ-B"])
    people = {name: make.user(name, unit=tree[code]) for name, code in (
        ("ann", "KZ-A-1-1"), ("bob", "KZ-A-1-1"), ("cat", "KZ-A-1-2"), ("dan", "KZ-B-1-1"))}
    make.assign(course, unit=tree["KZ-A-1"])  # goes with the district
    make.assign(second, unit=tree["KZ-A"])  # stays with the old oblast
    make.assign(second, unit=tree["KZ-B"], due_date=date(2031, 1, 31))  # reaches the district once moved
    take(app, "ann", right=True)  # completes the first module: a completion, a first attempt in the item analysis
    take(app, "bob", right=False)
    signed_in(app, "cat").get("/learn/modules/second-module/lessons/first")
    return tree, people, second


# --- the move ----------------------------------------------------------------------------------------

def test_moving_a_district_moves_its_precincts_and_learners_in_every_report_scope_and_export(app, make, course,
                                                                                           database):
    tree, people, second = two_oblasts(app, make, course)
    admin, trainer_a, trainer_b = (signed_in(app, n) for n in ("admin", "trainer_a", "trainer_b"))
    kz, district = tree["KZ"], tree["KZ-A-1"]
    # before: the district and its three officials are in oblast A
    assert completion(admin, kz) == {"KZ-A": (3, 6, 3, 1), "KZ-B": (1, 1, 0, 0), "total": (4, 7, 3, 1)}
    assert matrix_usernames(trainer_a) == ["ann", "bob", "cat"] and matrix_usernames(trainer_b) == ["dan"]

    page = admin.get(f"/admin/units/{district}/move").get_data(as_text=True)
    assert "2 units below it move with it" in page and "with 3 active accounts" in page
    offered = re.findall(r'name="parent" value="(\d+)"', page)
    assert sorted(map(int, offered)) == sorted([tree["KZ-B"], tree["KG-A"]])  # oblasts, not the one it is in
    response = admin.post(f"/admin/units/{district}/move", {"parent": str(tree["KZ-B"])})
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/units?unit={district}"
    assert "KZ-A-1 has been moved from KZ-A to Oblast B, with the units and officials below it." in flashed(admin)

    # the tree: the district and each precinct below it
    saved = units(app)
    for code in ("KZ-A-1", "KZ-A-1-1", "KZ-A-1-2"):
        assert saved[code][2:4] == (kz, tree["KZ-B"]), code
    assert saved["KZ-A-1"][1] == tree["KZ-B"] and saved["KZ-A-1-1"][1:5:3] == (district, district)

    # the report figures per oblast: the first module goes with the district; oblast A's second module
    # no longer reaches its officials, oblast B's does (due dates included; cat's lesson read counts there)
    assert completion(admin, kz) == {"KZ-A": (0, 0, 0, 0), "KZ-B": (4, 7, 3, 1), "total": (4, 7, 3, 1)}
    assert completion(admin, tree["KZ-B"]) == {"KZ-A-1": (3, 6, 3, 1), "KZ-B-1": (1, 1, 0, 0), "total": (4, 7, 3, 1)}
    with app.app_context():
        moved = db.session.execute(sa.select(LearnerProgress.user_id, LearnerProgress.due_date).where(
            LearnerProgress.module_id == second, LearnerProgress.user_id.in_(people.values()))).all()
        assert sorted(moved) == sorted((people[n], date(2031, 1, 31)) for n in ("ann", "bob", "cat", "dan"))
        answered = dict(db.session.execute(sa.select(ReportItem.unit_id, sa.func.sum(ReportItem.answered))
                                           .group_by(ReportItem.unit_id)).all())
        assert answered.get(tree["KZ-A"], 0) == 0 and answered[tree["KZ-B"]] == answered[district] > 0

    # each trainer's scope: lists, records, matrix export and reports
    assert "ann" not in learner_list(trainer_a) and "ann" in learner_list(trainer_b)
    assert trainer_a.get(f"/train/learners/{people['ann']}").status_code == 404
    assert trainer_b.get(f"/train/learners/{people['ann']}").status_code == 200
    assert matrix_usernames(trainer_a) == [] and matrix_usernames(trainer_b) == ["ann", "bob", "cat", "dan"]
    row = next(r for r in table(trainer_b.get("/train/progress/export.csv"))[1:] if r[1] == "ann")
    assert row[2] == "KZ-A-1-1" and "Completed" in row[4]
    assert completion(trainer_a) == {"KZ-A": (0, 0, 0, 0), "total": (0, 0, 0, 0)}
    assert completion(trainer_b)["KZ-B"] == (4, 7, 3, 1)
    assert trainer_a.get(f"/reports/completion?unit={district}").status_code == 404
    assert trainer_b.get(f"/reports/completion?unit={district}").status_code == 200
    knowledge = trainer_b.get(f"/reports/knowledge?unit={district}").get_data(as_text=True)
    assert "KZ-A-1-1" in knowledge

    # the export of the tree, the assignments and the audit log
    exported = {r[0]: r[1] for r in table(admin.get("/admin/units/export.csv"))[1:]}
    assert exported["KZ-A-1"] == "KZ-B" and exported["KZ-A-1-1"] == "KZ-A-1"
    with app.app_context():
        assert db.session.scalar(sa.select(Assignment.unit_id).where(Assignment.module_id == course)) == district
    [(action, target, unit, details, _actor)] = events(app, "unit.move")
    assert (action, target, unit, details["parent"], details["sub_units"]) == (
        "unit.move", district, district, ["KZ-A", "KZ-B"], 2)
    assert_rebuild_finds_nothing(app)

    # and back again
    admin.post(f"/admin/units/{district}/move", {"parent": str(tree["KZ-A"])})
    assert completion(admin, kz) == {"KZ-A": (3, 6, 3, 1), "KZ-B": (1, 1, 0, 0), "total": (4, 7, 3, 1)}
    assert_rebuild_finds_nothing(app)


def test_a_move_to_another_country_changes_which_monitors_see_the_district(app, make, course, database):
    tree, people, _second = two_oblasts(app, make, course)
    kz_monitor, kg_monitor = make.user("kzmon", Role.MONITOR), make.user("kgmon", Role.MONITOR)
    make.user("kim", unit=tree["KG-A-1-1"])
    with app.app_context():
        db.session.add_all([ReportScope(user_id=kz_monitor, unit_id=tree["KZ"]),
                            ReportScope(user_id=kg_monitor, unit_id=tree["KG"])])
        db.session.commit()
    kz, kg = signed_in(app, "kzmon"), signed_in(app, "kgmon")
    district = tree["KZ-A-1"]
    assert completion(kz)["KZ"][0] == 4 and completion(kg)["KG"][0] == 1
    assert kg.get(f"/reports/completion?unit={district}").status_code == 404

    response = signed_in(app, "admin").post(f"/admin/units/{district}/move", {"parent": str(tree["KG-A"])})
    assert response.status_code == 303
    assert units(app)["KZ-A-1-2"][2:5] == (tree["KG"], tree["KG-A"], district)
    assert completion(kz)["KZ"] == (1, 1, 0, 0) and completion(kg)["KG"][:2] == (4, 3)
    assert kz.get(f"/reports/completion?unit={district}").status_code == 404
    assert kg.get(f"/reports/completion?unit={district}").status_code == 200
    assert_rebuild_finds_nothing(app)


def test_bad_moves_are_refused_with_a_message_and_change_nothing(app, make, course, database):
    tree, people, _second = two_oblasts(app, make, course)
    admin = signed_in(app, "admin")
    district = tree["KZ-A-1"]
    url = f"/admin/units/{district}/move"
    for parent, message in ((tree["KZ-A"], "KZ-A-1 is already under KZ-A."),
                            (tree["KZ-B-1"], "Choose a unit of the level above: oblast."),
                            (tree["KZ-A-1-1"], "Choose a unit of the level above: oblast."),
                            (district, "Choose a unit of the level above: oblast."),
                            (999999, "Choose a unit of the level above: oblast."),
                            ("", "Choose the unit to move it under."),
                            ("abc", "Choose the unit to move it under.")):
        response = admin.post(url, {"parent": str(parent)})
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 200 and "error-summary" in page and message in page, (parent, message)
    assert admin.get(f"/admin/units/{tree['KZ']}/move").status_code == 404  # a country has no parent
    assert admin.post(f"/admin/units/{tree['KZ']}/move", {"parent": "1"}, from_page=url).status_code == 404
    assert admin.client.post(url, data={"parent": str(tree["KZ-B"])}).status_code == 400  # no CSRF token

    # under a closed oblast: not offered, and refused when sent
    admin.post(f"/admin/units/{tree['KZ-B']}/close", from_page=f"/admin/units/{tree['KZ-B']}/close")
    before = snapshot(app)
    assert f'value="{tree["KZ-B"]}"' not in admin.get(url).get_data(as_text=True)
    page = html.unescape(admin.post(url, {"parent": str(tree["KZ-B"])}).get_data(as_text=True))
    assert "Oblast B is closed: it takes no new sub-units." in page

    # to another country while an assignment follows an election of this one
    with app.app_context():
        election = Election(country_id=tree["KZ"], name="Vote", polling_date=date(2031, 5, 1))
        db.session.add(election)
        db.session.flush()
        db.session.add(Assignment(module_id=course, user_id=people["cat"], election_id=election.id, days_before=5,
                                  due_date=date(2031, 4, 26)))
        db.session.commit()
    page = html.unescape(admin.post(url, {"parent": str(tree["KG-A"])}).get_data(as_text=True))
    assert "Live assignments in KZ-A-1 follow the dates of an election of its country." in page
    assert snapshot(app) == before
    # within the country the election still applies: allowed
    admin.post(f"/admin/units/{tree['KZ-B']}/reopen", from_page=f"/admin/units?unit={tree['KZ-B']}")
    assert admin.post(url, {"parent": str(tree["KZ-B"])}).status_code == 303


def test_a_precinct_moves_to_another_district(app, make, course, database):
    tree, people, _second = two_oblasts(app, make, course)
    admin = signed_in(app, "admin")
    precinct = tree["KZ-A-1-1"]
    page = admin.get(f"/admin/units/{precinct}/move").get_data(as_text=True)
    assert "0 units below it move with it" in page and "KZ-B-1" in page and "data-unit-search" in page
    assert admin.post(f"/admin/units/{precinct}/move", {"parent": str(tree["KZ-B-1"])}).status_code == 303
    assert units(app)["KZ-A-1-1"][1:5] == (tree["KZ-B-1"], tree["KZ"], tree["KZ-B"], tree["KZ-B-1"])
    # the first module was assigned to the old district: it no longer reaches ann and bob
    assert completion(admin, tree["KZ"]) == {"KZ-A": (1, 2, 1, 0), "KZ-B": (3, 3, 0, 0), "total": (4, 5, 1, 0)}
    assert_rebuild_finds_nothing(app)


# --- closing ---------------------------------------------------------------------------------------

def test_closing_a_district_closes_its_precincts_keeps_records_and_marks_reports(app, make, course, database):
    tree, people, _second = two_oblasts(app, make, course)
    admin = signed_in(app, "admin")
    district = tree["KZ-A-1"]
    confirm = admin.get(f"/admin/units/{district}/close").get_data(as_text=True)
    assert "The 2 open units below it are closed with it." in confirm and "3 active accounts" in confirm
    assert snapshot(app)[0]["KZ-A-1"] == units(app)["KZ-A-1"]  # the confirmation page changes nothing
    response = admin.post(f"/admin/units/{district}/close", from_page=f"/admin/units/{district}/close")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/units?unit={district}"
    assert "KZ-A-1 has been closed, with 2 units below it." in flashed(admin)
    with app.app_context():
        closed = {u.code for u in db.session.scalars(sa.select(Unit).where(Unit.closed_at.is_not(None)))}
    assert closed == {"KZ-A-1", "KZ-A-1-1", "KZ-A-1-2"}
    [(_action, target, _unit, details, _actor)] = events(app, "unit.close")
    assert target == district and details["sub_units"] == 2

    page = admin.get(f"/admin/units?unit={district}").get_data(as_text=True)
    assert "Closed on" in page and "Reopen" in page and f"/admin/units/{district}/new" not in page
    assert 'tag-closed' in admin.get(f"/admin/units?unit={tree['KZ-A']}").get_data(as_text=True)
    # the records stay: figures, officials, their progress
    assert completion(admin, tree["KZ"])["KZ-A"] == (3, 6, 3, 1)
    report = admin.get(f"/reports/completion?unit={tree['KZ-A']}").get_data(as_text=True)
    assert re.search(r"KZ-A-1</a> <strong class=\"tag tag-closed\">Closed</strong>", report)
    labels = [r[0] for r in table(admin.get(f"/reports/completion.csv?unit={tree['KZ-A']}"))[1:]]
    assert labels == ["KZ-A-1 (closed)", "Total"]
    assert signed_in(app, "trainer_a").get(f"/train/learners/{people['ann']}").status_code == 200
    assert_rebuild_finds_nothing(app)

    # closing again, or a sub-unit already closed: said, nothing changes
    admin.post(f"/admin/units/{district}/close", from_page=f"/admin/units?unit={district}")
    assert "KZ-A-1 is already closed." in flashed(admin) and len(events(app, "unit.close")) == 1


def test_a_closed_unit_takes_no_new_officials_staff_assignments_or_sub_units(app, make, course, database):
    tree, people, _second = two_oblasts(app, make, course)
    admin = signed_in(app, "admin")
    precinct, other = tree["KZ-A-1-2"], tree["KZ-A-1-1"]
    admin.post(f"/admin/units/{precinct}/close", from_page=f"/admin/units/{precinct}/close")
    trainer = signed_in(app, "trainer_a")

    # a new learner: not offered; sent anyway, a form error
    form = trainer.get("/train/learners/new").get_data(as_text=True)
    assert f'value="{precinct}"' not in form and f'value="{other}"' in form
    page = html.unescape(trainer.post("/train/learners/new", {"full_name": "New One", "unit": str(precinct),
                                                               "language": "ru"}).get_data(as_text=True))
    assert "KZ-A-1-2 is closed: it takes no new officials. Choose an open unit." in page and "error-summary" in page
    # moving ann there: refused; cat, already there, keeps it and can be edited and moved out
    edit = f"/train/learners/{people['ann']}/edit"
    page = html.unescape(trainer.post(edit, {"full_name": "Ann", "unit": str(precinct), "language": "ru",
                                             "active": "y"}).get_data(as_text=True))
    assert "KZ-A-1-2 is closed: it takes no new officials." in page
    cat = f"/train/learners/{people['cat']}/edit"
    assert f'<option selected value="{precinct}">' in trainer.get(cat).get_data(as_text=True)
    assert trainer.post(cat, {"full_name": "Cat Renamed", "unit": str(precinct), "language": "ru",
                              "active": "y"}).status_code == 303
    # a bulk import: an error on each line naming it
    from tests.train.test_user_import import upload
    text = "full_name,unit_code\nOne,KZ-A-1-1\nTwo,KZ-A-1-2\nThree,KZ-A-1-2\n"
    page = html.unescape(upload(trainer, text.encode()).get_data(as_text=True))
    assert 'Line 3: The unit "KZ-A-1-2" is closed: it takes no new officials.' in page
    assert 'Line 4: The unit "KZ-A-1-2" is closed' in page and "Line 2:" not in page
    # a trainer (staff) account there
    page = html.unescape(admin.post("/admin/staff/new", {"role": "trainer", "full_name": "T Two", "unit": str(precinct),
                                                         "language": "ru"}).get_data(as_text=True))
    assert "KZ-A-1-2 is closed: it takes no new officials." in page
    # an assignment: the tree does not offer it; sent anyway, a form error
    new = trainer.get("/train/assignments/new").get_data(as_text=True)
    assert f'value="{precinct}"' not in new and f'value="{other}"' in new
    page = html.unescape(trainer.post("/train/assignments/new", {"modules": [str(course)], "units": [str(precinct)],
                                                                "due": "none"}).get_data(as_text=True))
    assert has_errors(page) and "KZ-A-1-2 is closed: it takes no new assignments." in page
    # a sub-unit of a closed district
    district = tree["KZ-A-1"]
    admin.post(f"/admin/units/{district}/close", from_page=f"/admin/units/{district}/close")
    before = snapshot(app)
    response = admin.get(f"/admin/units/{district}/new")
    assert response.status_code == 303 and "KZ-A-1 is closed: it takes no new sub-units." in flashed(admin)
    forged = admin.post(f"/admin/units/{district}/new", {"code": "KZ-A-1-3", "name_en": "P3", "name_ru": "У3"},
                        from_page="/admin/units/new")
    assert forged.status_code == 303 and "KZ-A-1-3" not in units(app)
    from tests.admin.test_units import upload as upload_units
    page = html.unescape(upload_units(admin, (HEADER + "KZ-A-1-3,KZ-A-1,P3,У3,,,,,\nKZ-A-1-1,KZ-A-1,KZ-A-1-1,KZ-A-1-1,"
                                              ",,,,\n").encode()).get_data(as_text=True))
    assert 'Line 2: The parent unit "KZ-A-1" is closed: it takes no new sub-units.' in page and "Line 3:" not in page
    assert snapshot(app)[0] == before[0]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.unit_id == precinct)) == 1
    assert_rebuild_finds_nothing(app)


def has_errors(page: str) -> bool:
    return "error-summary" in page


def test_reopen_brings_back_what_was_closed_with_it(app, make, course, database):
    tree, _people, _second = two_oblasts(app, make, course)
    admin = signed_in(app, "admin")
    district, p1, p2 = tree["KZ-A-1"], tree["KZ-A-1-1"], tree["KZ-A-1-2"]
    admin.post(f"/admin/units/{p1}/close", from_page=f"/admin/units/{p1}/close")  # closed on its own first
    admin.post(f"/admin/units/{district}/close", from_page=f"/admin/units/{district}/close")
    assert "KZ-A-1 has been closed, with 1 unit below it." in flashed(admin)
    # a precinct cannot be reopened under its closed district
    admin.post(f"/admin/units/{p2}/reopen", from_page=f"/admin/units?unit={p2}")
    assert "KZ-A-1, the unit above it, is closed: reopen it first." in flashed(admin)
    admin.post(f"/admin/units/{district}/reopen", from_page=f"/admin/units?unit={district}")
    assert "KZ-A-1 is open again, with 1 unit below it." in flashed(admin)
    with app.app_context():
        closed = {u.code for u in db.session.scalars(sa.select(Unit).where(Unit.closed_at.is_not(None)))}
    assert closed == {"KZ-A-1-1"}  # closed before the district: stays closed
    admin.post(f"/admin/units/{p1}/reopen", from_page=f"/admin/units?unit={p1}")
    assert "KZ-A-1-1 is open again." in flashed(admin)
    admin.post(f"/admin/units/{p1}/reopen", from_page=f"/admin/units?unit={p1}")
    assert "KZ-A-1-1 is open." in flashed(admin)
    assert [e[0] for e in events(app) if e[0].startswith("unit.")] == ["unit.close", "unit.close", "unit.reopen",
                                                                      "unit.reopen"]


# --- export ----------------------------------------------------------------------------------------

def test_the_exported_tree_imports_into_an_empty_database_as_the_same_tree(app, make, database, tmp_path):
    tree = make.tree()
    make.unit("UZ", names={"en": "Uzbekistan", "ru": "Узбекистан", "uz": "Oʻzbekiston", "tk": "Özbegistan"})
    make.unit("KZ-B", tree["KZ"], names={"en": "Oblast, \"B\"", "ru": "Область; Б", "kk": "Б облысы"})
    make.user("admin", Role.ADMIN)
    admin = signed_in(app, "admin")
    assert "/admin/units/export.csv" in admin.get("/admin/units").get_data(as_text=True)
    response = admin.get("/admin/units/export.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="units.csv"'
    data = response.get_data()
    rows = table(response)
    assert rows[0] == HEADER.strip().split(",")
    assert [r[0] for r in rows[1:4]] == ["KG", "KZ", "UZ"]  # parents first

    def shape():
        with app.app_context():
            by_id = {u.id: u.code for u in db.session.scalars(sa.select(Unit))}
            return {u.code: (u.level, by_id.get(u.parent_id), by_id.get(u.oblast_id), u.names)
                    for u in db.session.scalars(sa.select(Unit))}

    before = shape()
    truncate_all(app)
    path = tmp_path / "units.csv"
    path.write_bytes(data)
    result = app.test_cli_runner().invoke(args=["units", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Created {len(before)} unit(s)" in result.output
    assert shape() == before


# --- the command line ------------------------------------------------------------------------------

def test_cli_move_close_and_reopen(app, make, course, database):
    tree, people, _second = two_oblasts(app, make, course)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["units", "move", "kz-a-1", "KZ-B"])
    assert result.exit_code == 0, result.output
    assert "Moved KZ-A-1 from KZ-A to KZ-B, with 2 unit(s) below it; progress refreshed for 3 official(s)." in \
        result.output
    assert units(app)["KZ-A-1-1"][3] == tree["KZ-B"]
    [(_a, _t, _u, details, actor)] = events(app, "unit.move")
    assert details["parent"] == ["KZ-A", "KZ-B"] and actor is None
    assert_rebuild_finds_nothing(app)
    before = snapshot(app)
    for args, message in ((["units", "move", "NOPE", "KZ-B"], "No unit has the code 'NOPE'."),
                          (["units", "move", "KZ-A-1", "NOPE"], "No unit has the code 'NOPE'."),
                          (["units", "move", "KZ-A-1", "KZ-B-1"],
                           "KZ-A-1 was not moved: Choose a unit of the level above: oblast."),
                          (["units", "move", "KZ-A-1", "KZ-B"], "KZ-A-1 was not moved: KZ-A-1 is already under"),
                          (["units", "move", "KZ", "KG"], "KZ was not moved: A country is at the top of the tree"),
                          (["units", "close", "NOPE"], "No unit has the code 'NOPE'."),
                          (["units", "reopen", "KZ-A-1"], "KZ-A-1 was not reopened: KZ-A-1 is open.")):
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    assert snapshot(app) == before
    result = runner.invoke(args=["units", "close", "KZ-A-1"])
    assert result.exit_code == 0 and "Closed KZ-A-1 and 2 unit(s) below it." in result.output
    result = runner.invoke(args=["units", "close", "KZ-A-1-1"])
    assert result.exit_code == 1 and "KZ-A-1-1 was not closed: KZ-A-1-1 is already closed." in result.output
    result = runner.invoke(args=["units", "move", "KZ-B-1", "KZ-A"])  # under an open oblast: fine
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["units", "reopen", "KZ-A-1"])
    assert result.exit_code == 0 and "Reopened KZ-A-1 and 2 unit(s) below it." in result.output
    assert_rebuild_finds_nothing(app)


# --- access ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.TRAINER, Role.MONITOR, Role.LEARNER])
def test_non_admins_are_refused_on_the_move_close_and_export_routes(app, make, role, database):
    tree = make.tree()
    make.user("someone", role, tree["KZ"] if role != Role.MONITOR else None)
    browser = signed_in(app, "someone")
    unit = tree["KZ-A-1"]
    before = snapshot(app)
    for url in (f"/admin/units/{unit}/move", f"/admin/units/{unit}/close", "/admin/units/export.csv"):
        assert browser.get(url).status_code == 403, url
    for url in (f"/admin/units/{unit}/move", f"/admin/units/{unit}/close", f"/admin/units/{unit}/reopen"):
        response = browser.post(url, {"parent": str(tree["KG-A"])}, from_page="/account/password")
        assert response.status_code == 403, url
    assert snapshot(app) == before
    assert units_by_code(app, "KZ-A-1") == unit
