"""Bulk import of learner accounts from CSV or XLSX: every line checked, all rows or none, web and CLI."""
import csv
import html
import io
import re
import time

import openpyxl
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.extensions import db
from lms.learn.models import LearnerProgress
from lms.train.models import AuditEvent
from lms.train.user_import import USERNAME_RE
from tests.conftest import Browser

HEADER = "full_name,username,unit_code,language\n"


def setup_oblasts(make):
    tree = make.tree()
    make.user("trainer", Role.TRAINER, tree["KZ-A"])
    make.user("taken.name", unit=tree["KZ-A-1-1"])
    make.user("kim", unit=tree["KG-A-1-1"])
    return tree


def learner_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.role == Role.LEARNER))


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def upload(browser, data: bytes, name: str = "list.csv"):
    return browser.post("/train/learners/import", {"file": (io.BytesIO(data), name)})


def confirm_form(page: str) -> dict:
    """The confirmation form of a preview page, as the browser would send it."""
    hidden = dict(re.findall(r'name="(csrf_token|batch|source)"[^>]*value="([^"]*)"', page))
    assert "batch" in hidden, "no confirmation form"
    data = [html.unescape(v) for v in re.findall(r'name="data" value="([^"]*)"', page)]
    return {k: html.unescape(v) for k, v in hidden.items()} | {"data": data}


def confirm(browser, form: dict):
    return browser.client.post("/train/learners/import", data=form, content_type="multipart/form-data")


def many_rows(n: int, units: list[str]) -> str:
    lines = [f"Участник Номер {i},,{units[i % len(units)]},ru" for i in range(n)]
    return HEADER + "\n".join(lines) + "\n"


def test_upload_preview_confirm_and_printable_result(app, browser, make, course):
    tree = setup_oblasts(make)
    make.assign(course, unit=tree["KZ-A"])
    browser.login("trainer")
    text = ("\ufeffFull_Name;Username;UNIT_CODE;Language\n"
            "Гульнара Исмаилова;;KZ-A-1-1;kk\n"
            "\n"
            "  Ann   Smith ;Ann.Smith;KZ-A-1-2;\n"
            "Гульнара Исмаилова;;KZ-A-1-2;ru\n")
    page = upload(browser, text.encode()).get_data(as_text=True)
    assert "3 accounts will be created" in page and "error-summary" not in page
    assert "gulnara.ismailova" in page and "gulnara.ismailova2" in page and "ann.smith" in page
    assert learner_count(app) == 2  # nothing written by the preview
    form = confirm_form(page)
    result = confirm(browser, form)
    body = result.get_data(as_text=True)
    assert result.status_code == 200 and result.headers["Cache-Control"] == "no-store"
    assert "3 accounts were created" in body and "privately" in body
    passwords = re.findall(r'<code class="secret">([^<]+)</code>', body)
    assert len(passwords) == 6 and passwords[0] == "gulnara.ismailova"
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(
            ["gulnara.ismailova", "gulnara.ismailova2", "ann.smith"])))}
        assert users["ann.smith"].full_name == "Ann Smith" and users["ann.smith"].locale == "en"  # the default
        assert users["gulnara.ismailova"].locale == "kk" and users["gulnara.ismailova"].unit_id == tree["KZ-A-1-1"]
        assert all(u.must_change_password for u in users.values())
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LearnerProgress)
                                 .where(LearnerProgress.user_id.in_([u.id for u in users.values()]))) == 3
        [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "users.import")).all()
        assert event.details["count"] == 3 and event.details["source"] == "list.csv"
    signed_in = Browser(app.test_client()).login("gulnara.ismailova", passwords[1])
    assert signed_in.headers["Location"].endswith("/account/password")

    # the same confirmation sent again (a reload) creates nothing
    again = confirm(browser, form)
    assert again.status_code == 303 and learner_count(app) == 5


def test_one_bad_line_among_many_writes_nothing(app, browser, make):
    setup_oblasts(make)
    browser.login("trainer")
    lines = [f"Person {i},,KZ-A-1-{1 + i % 2}," for i in range(300)]
    lines[155] = "Person 155,,NO-SUCH-UNIT,"  # line 157 of the file (the header is line 1)
    page = upload(browser, (HEADER + "\n".join(lines)).encode()).get_data(as_text=True)
    assert "error-summary" in page and "1 problem was found" in page
    assert re.findall(r"Line (\d+):", page) == ["157"]
    assert "Unknown unit code &#34;NO-SUCH-UNIT&#34;" in page or 'Unknown unit code "NO-SUCH-UNIT"' in page
    assert "batch" not in page and learner_count(app) == 2


def test_every_error_is_listed_with_its_line(app, browser, make):
    setup_oblasts(make)
    browser.login("trainer")
    text = (HEADER +
            ",,KZ-A-1-1,\n"                       # 2: no full name
            "Bad Name,no spaces allowed,KZ-A-1-1,\n"  # 3: bad username
            "First,dup.name,KZ-A-1-1,\n"          # 4
            "Second,DUP.NAME,KZ-A-1-1,\n"         # 5: duplicate in the file
            "Third,taken.name,KZ-A-1-1,\n"        # 6: already taken
            "Fourth,,KZ-A-1-1,fr\n"               # 7: bad language
            "Fifth,,KG-A-1-1,\n"                  # 8: another oblast: same as unknown
            "Sixth,,XX-UNKNOWN,\n"                # 9: unknown
            "Seventh,,,\n")                       # 10: no unit
    page = html.unescape(upload(browser, text.encode()).get_data(as_text=True))
    lines = [int(n) for n in re.findall(r"Line (\d+):", page)]
    assert lines == [2, 3, 5, 6, 7, 8, 9, 10]
    assert "Enter the full name." in page and 'The username "no spaces allowed" is not valid' in page
    assert 'appears more than once in the file (first on line 4)' in page
    assert 'The username "taken.name" is already taken.' in page
    assert 'Unknown language "fr"' in page
    assert 'Unknown unit code "KG-A-1-1".' in page and 'Unknown unit code "XX-UNKNOWN".' in page
    assert "Enter the unit code." in page and learner_count(app) == 2


def test_bad_or_missing_header(app, browser, make):
    setup_oblasts(make)
    browser.login("trainer")
    cases = {
        "Ann Smith,,KZ-A-1-1,ru\n": "The first line must be a header",
        "full_name,unit,language\nAnn,KZ-A-1-1,ru\n": 'Unknown column "unit"',
        "full_name,username\nAnn,ann\n": 'The header has no "unit_code" column.',
        HEADER: "The file has no learners after the header line.",
        HEADER + "\n\n\"Ann\nSmith\",,KZ-A-1-1,\nBob,,NOPE,\n": "Line 6: Unknown unit code",
        "": "The file is empty.",
    }
    for text, message in cases.items():
        page = html.unescape(upload(browser, text.encode()).get_data(as_text=True))
        assert message in page, text
        assert re.findall(r"Line (\d+):", page)[0] in ("1", "2", "6")
    latin1 = upload(browser, (HEADER + "Zoë,,KZ-A-1-1,\n").encode("latin-1")).get_data(as_text=True)
    assert "Line 2: The file is not UTF-8 text" in html.unescape(latin1)
    assert "Choose a file to upload." in browser.post("/train/learners/import", {}).get_data(as_text=True)
    assert learner_count(app) == 2


def test_at_most_twenty_thousand_rows(app, browser, make):
    setup_oblasts(make)
    browser.login("trainer")
    page = html.unescape(upload(browser, many_rows(20_001, ["KZ-A-1-1"]).encode()).get_data(as_text=True))
    assert "Line 20002: The file has more than 20,000 rows" in page and learner_count(app) == 2


def test_confirmation_is_checked_again(app, browser, make):
    tree = setup_oblasts(make)
    browser.login("trainer")
    page = upload(browser, (HEADER + "Ann Smith,,KZ-A-1-1,\nBob Brown,bob.b,KZ-A-1-2,\n").encode()).get_data(
        as_text=True
    )
    form = confirm_form(page)
    tampered = dict(form, data=[form["data"][0].replace("KZ-A-1-2", "KG-A-1-1")])
    response = confirm(browser, tampered)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and 'Line 3: Unknown unit code "KG-A-1-1".' in body
    damaged = confirm(browser, dict(form, data=["line,full_name\n1,x\n"]))
    assert "The confirmation data is damaged" in damaged.get_data(as_text=True)
    assert confirm(browser, dict(form, batch="not-hex")).status_code == 400
    make.user("bob.b", unit=tree["KZ-A-1-1"])  # taken between the preview and the confirmation
    late = html.unescape(confirm(browser, form).get_data(as_text=True))
    assert 'Line 3: The username "bob.b" is already taken.' in late
    assert learner_count(app) == 3 and audit_count(app) == 0


def test_five_thousand_rows_import_in_seconds(app, browser, make):
    setup_oblasts(make)
    browser.login("trainer")
    text = many_rows(5000, ["KZ-A-1-1", "KZ-A-1-2", "KZ-A-1"])
    started = time.perf_counter()
    page = upload(browser, text.encode()).get_data(as_text=True)
    assert "5000 accounts will be created" in page or "5,000 accounts will be created" in page
    assert page.count("<tr><td>") == 50  # the preview shows the first 50
    form = confirm_form(page)
    assert len(form["data"]) >= 2  # split under the form-field size limit
    result = confirm(browser, form)
    elapsed = time.perf_counter() - started
    assert result.status_code == 200
    assert learner_count(app) == 5002
    assert result.get_data(as_text=True).count('<code class="secret">') == 10000
    with app.app_context():
        names = db.session.scalars(sa.select(User.username).where(User.username.like("uchastnik.nomer.%"))).all()
        assert len(names) == len(set(names)) == 5000 and all(USERNAME_RE.match(n) for n in names)
    assert elapsed < 30, elapsed


def test_xlsx_import(app, browser, make):
    setup_oblasts(make)
    browser.login("trainer")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Full name".replace(" ", "_"), "USERNAME", "unit_code", "language"])
    sheet.append(["Әсел Қожахметова", None, "KZ-A-1-1", "kk"])
    sheet.append(["Үмүт Өмүрбекова", "umut", "KZ-A-1-2", None])
    sheet.append([None, None, None, None])
    sheet.append(["Bad Lang", None, "KZ-A-1-2", "xx"])
    out = io.BytesIO()
    book.save(out)
    bad = html.unescape(upload(browser, out.getvalue(), "list.xlsx").get_data(as_text=True))
    assert re.findall(r"Line (\d+):", bad) == ["5"] and learner_count(app) == 2
    sheet.delete_rows(5)
    out = io.BytesIO()
    book.save(out)
    page = upload(browser, out.getvalue(), "list.xlsx").get_data(as_text=True)
    assert "2 accounts will be created" in page and "asel.qozhakhmetova" in page
    confirm(browser, confirm_form(page))
    with app.app_context():
        names = set(db.session.scalars(sa.select(User.username)))
    assert {"asel.qozhakhmetova", "umut"} <= names and learner_count(app) == 4
    damaged = upload(browser, b"PK\x03\x04not really a zip", "x.xlsx").get_data(as_text=True)
    assert "The Excel file could not be read" in damaged


def test_cli_import(app, make, tmp_path):
    setup_oblasts(make)
    runner = app.test_cli_runner()
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "Ann Smith,,KZ-A-1-1,\nKim Lee,kim.lee,KG-A-1-2,ky\n", encoding="utf-8")
    out = tmp_path / "passwords.csv"
    result = runner.invoke(args=["users", "import", str(good), "--passwords-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Imported 2 learner account(s)." in result.output
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["username", "temporary_password"] and [r[0] for r in rows[1:]] == ["ann.smith", "kim.lee"]
    assert learner_count(app) == 4
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "users.import"))
        assert event.actor_id is None and event.details["count"] == 2

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Ok Person,,KZ-A-1-1,\nNo Unit,,,\nOther,,KZ-A-1-2,zz\n", encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(bad)])
    assert result.exit_code != 0
    assert f"{bad}:3: Enter the unit code." in result.output and f"{bad}:4: Unknown language" in result.output
    assert learner_count(app) == 4

    # with --actor the trainer's scope applies: a unit of another oblast is unknown
    scoped = tmp_path / "scoped.csv"
    scoped.write_text(HEADER + "Some One,,KG-A-1-1,\n", encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(scoped), "--actor", "trainer"])
    assert result.exit_code != 0 and f'{scoped}:2: Unknown unit code "KG-A-1-1".' in result.output
    result = runner.invoke(args=["users", "import", str(scoped), "--actor", "kim"])
    assert result.exit_code != 0 and learner_count(app) == 4

    to_stdout = runner.invoke(args=["users", "import", str(scoped)])
    assert to_stdout.exit_code == 0 and "some.one," in to_stdout.stdout
    assert to_stdout.stdout.startswith("username,temporary_password")
