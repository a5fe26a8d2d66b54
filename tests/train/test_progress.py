"""The trainer's progress matrix, exports, learner record and overdue list, and their scope."""
import csv
import io
import re
from datetime import date, timedelta

import openpyxl
import sqlalchemy as sa

from lms.auth.models import Role
from lms.extensions import db
from lms.train.models import AuditEvent
from tests.conftest import Browser, count_queries
from tests.learn.helpers import answers, start_quiz, submit


def setup_oblasts(app, make, course):
    tree = make.tree()
    ids = {
        "trainer": make.user("trainer", Role.TRAINER, tree["KZ-A"]),
        "other_trainer": make.user("other", Role.TRAINER, tree["KG-A"]),
        "ann": make.user("ann", unit=tree["KZ-A-1-1"], full_name="Ann Akhmetova"),
        "bob": make.user("bob", unit=tree["KZ-A-1-2"], full_name="=HYPERLINK(\"http://x\")"),
        "kim": make.user("kim", unit=tree["KG-A-1-1"], full_name="Kim Kasymova"),
    }
    make.assign(course, unit=tree["KZ-A"], due_date=date.today() - timedelta(days=3))
    make.assign(course, unit=tree["KG-A"], due_date=date.today() + timedelta(days=10))
    return tree, ids


def complete_module(app, client, username):
    b = Browser(client)
    b.login(username)
    for lesson in ("first", "second"):
        b.get(f"/learn/modules/sample-module/lessons/{lesson}")
    aid = start_quiz(b)
    submit(b, aid, answers(app, aid))
    return aid


def test_matrix_shows_only_the_trainers_oblast(app, browser, make, course):
    tree, ids = setup_oblasts(app, make, course)
    complete_module(app, app.test_client(), "ann")
    browser.login("trainer")
    page = browser.get("/train/progress").get_data(as_text=True)
    assert "Ann Akhmetova" in page and "HYPERLINK" in page and "Kim Kasymova" not in page
    assert "2 officials match" in page
    completed = browser.get("/train/progress?status=completed").get_data(as_text=True)
    assert "Ann Akhmetova" in completed and "HYPERLINK" not in completed
    overdue = browser.get("/train/progress?status=overdue").get_data(as_text=True)
    assert "HYPERLINK" in overdue and "Ann Akhmetova" not in overdue
    search = browser.get("/train/progress?q=akhmet").get_data(as_text=True)
    assert "1 official matches" in search
    unit = browser.get(f"/train/progress?unit={tree['KZ-A-1-2']}").get_data(as_text=True)
    assert "HYPERLINK" in unit and "Ann Akhmetova" not in unit


def test_foreign_ids_are_not_found(app, browser, make, course):
    tree, ids = setup_oblasts(app, make, course)
    aid = complete_module(app, app.test_client(), "kim")
    browser.login("trainer")
    assert browser.get(f"/train/learners/{ids['kim']}").status_code == 404
    assert browser.get(f"/train/learners/{ids['kim']}/attempts/{aid}").status_code == 404
    assert browser.get(f"/train/learners/{ids['ann']}/attempts/{aid}").status_code == 404
    assert browser.get(f"/train/progress?unit={tree['KG-A']}").status_code == 404
    assert browser.get(f"/train/progress/export.csv?unit={tree['KG-A']}").status_code == 404
    assert browser.get(f"/train/progress/export.xlsx?unit={tree['KG']}").status_code == 404
    csv_text = browser.get("/train/progress/export.csv").get_data(as_text=True)
    assert "Kim Kasymova" not in csv_text
    assert "Kim Kasymova" not in browser.get("/train/overdue").get_data(as_text=True)


def test_learners_and_monitors_are_refused(browser, make, course):
    setup_oblasts(browser.client.application, make, course)
    make.user("mon", Role.MONITOR)
    for username in ("ann", "mon"):
        b = Browser(browser.client.application.test_client())
        b.login(username)
        for url in ("/train/", "/train/progress", "/train/progress/export.csv", "/train/overdue", "/admin/audit"):
            assert b.get(url).status_code == 403, (username, url)


def _csv_rows(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_exports_contain_exactly_the_rows_shown_and_no_formulas(app, browser, make, course):
    setup_oblasts(app, make, course)
    complete_module(app, app.test_client(), "ann")
    browser.login("trainer")
    for query in ("", "?status=overdue", "?status=completed", "?q=ann"):
        page = browser.get("/train/progress" + query).get_data(as_text=True)
        shown = {name for name in ("Ann Akhmetova", "HYPERLINK") if name in page}
        rows = _csv_rows(browser.get("/train/progress/export.csv" + query))
        assert len(rows) - 1 == len(shown)
        exported = {("HYPERLINK" if "HYPERLINK" in r[0] else r[0]) for r in rows[1:]}
        assert exported == shown, query
        book = openpyxl.load_workbook(io.BytesIO(browser.get("/train/progress/export.xlsx" + query).data))
        xrows = list(book.active.iter_rows(values_only=True))
        assert [r[0] for r in xrows[1:]] == [r[0] for r in rows[1:]]
    rows = _csv_rows(browser.get("/train/progress/export.csv"))
    bob = next(r for r in rows if "HYPERLINK" in r[0])
    assert bob[0].startswith("'=")
    ann = next(r for r in rows if r[0] == "Ann Akhmetova")
    assert ann[4] == "Completed" and ann[5] == "100.0"


def test_learner_record_shows_every_attempt(app, browser, make, course):
    setup_oblasts(app, make, course)
    aid = complete_module(app, app.test_client(), "ann")
    browser.login("trainer")
    page = browser.get("/train/learners/" + str(_id(app, "ann"))).get_data(as_text=True)
    assert "Sample module" in page and "100%" in page and "Passed" in page
    result = browser.get(f"/train/learners/{_id(app, 'ann')}/attempts/{aid}").get_data(as_text=True)
    assert "Two members, ideally from different parties." in result


def _id(app, username):
    from lms.auth.models import User
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.username == username))


def test_overdue_list_groups_by_precinct(app, browser, make, course):
    tree, ids = setup_oblasts(app, make, course)
    make.user("cat", unit=tree["KZ-A-1-2"], full_name="Cat Ospanova")
    status_refresh(app)
    complete_module(app, app.test_client(), "ann")
    browser.login("trainer")
    page = browser.get("/train/overdue").get_data(as_text=True)
    assert "Ann Akhmetova" not in page  # completed, so not overdue
    assert page.count("<caption>") == 1 and "KZ-A-1-2" in page
    assert "Cat Ospanova" in page and "HYPERLINK" in page


def status_refresh(app):
    from tests.conftest import refresh_all
    with app.app_context():
        refresh_all()
        db.session.commit()


def test_matrix_query_count_does_not_grow_with_learners(app, browser, make, course):
    tree, ids = setup_oblasts(app, make, course)
    browser.login("trainer")
    browser.get("/train/progress")
    with count_queries(app) as few:
        browser.get("/train/progress")
    for n in range(60):
        make.user(f"extra{n}", unit=tree["KZ-A-1-1"])
    status_refresh(app)
    with count_queries(app) as many:
        page = browser.get("/train/progress").get_data(as_text=True)
    assert "62 officials match" in page and "Page 1 of 2" in page
    assert len(many) == len(few)


def test_admin_reads_the_audit_log(app, make, course):
    make.user("root", Role.ADMIN)
    with app.app_context():
        db.session.add(AuditEvent(action="user.create", target_type="user", target_id=999, details={"username": "zed"}))
        db.session.commit()
    b = Browser(app.test_client())
    b.login("root")
    page = b.get("/admin/audit").get_data(as_text=True)
    assert "The system or a deleted account created the account of zed." in page


def test_overdue_list_pages_and_counts_every_row(app, browser, make, course, monkeypatch):
    from lms.train import progress
    tree, ids = setup_oblasts(app, make, course)
    make.user("cat", unit=tree["KZ-A-1-2"], full_name="Cat Ospanova")
    status_refresh(app)
    browser.login("trainer")
    whole = browser.get("/train/overdue").get_data(as_text=True)
    names = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', whole)
    assert len(names) >= 2 and "page 1 of" not in whole
    monkeypatch.setattr(progress, "OVERDUE_PAGE", 1)
    seen = []
    for page in range(1, len(names) + 1):
        html = browser.get(f"/train/overdue?page={page}").get_data(as_text=True)
        assert f"{len(names)} overdue modules." in html  # the total, not the page's rows
        assert f"page {page} of {len(names)}" in html
        seen += re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', html)
        assert ('rel="next"' in html) == (page < len(names))
    assert seen == names
    past = browser.get(f"/train/overdue?page={len(names) + 1}").get_data(as_text=True)
    assert "past the end" in past


def test_one_rule_for_a_failed_learner_past_the_due_date(app, browser, make, course):
    """Out of attempts and past due: "Not passed" on the learner's dashboard, in the matrix and on
    the learner's record alike (lms.learn.rules), and still on the overdue list."""
    tree, ids = setup_oblasts(app, make, course)
    learner = Browser(app.test_client())
    learner.login("ann")
    for _ in range(2):  # the fixture module allows two attempts
        aid = start_quiz(learner)
        submit(learner, aid, answers(app, aid, right=False))
    dashboard = learner.get("/learn/").get_data(as_text=True)
    assert "tag-failed" in dashboard and "tag-overdue" not in dashboard

    browser.login("trainer")
    matrix = browser.get("/train/progress?q=akhmet").get_data(as_text=True)
    assert "tag-failed" in matrix and "tag-overdue" not in matrix
    record = browser.get(f"/train/learners/{ids['ann']}").get_data(as_text=True)
    assert "tag-failed" in record
    assert "Ann Akhmetova" in browser.get("/train/overdue").get_data(as_text=True)
    assert "Ann Akhmetova" in browser.get("/train/progress?status=failed").get_data(as_text=True)
