"""One pagination helper (lms.core.paging) and one pager macro, through the test client on a real database."""
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.core.paging import Page, clamp_page, paginate, requested_page
from lms.extensions import db
from lms.train.models import AuditEvent
from tests.conftest import count_queries

BAD_PAGES = ["abc", "0", "-3", "9999", "2.5", "", "1e3", str(10**30)]


def add_learners(app, unit_id: int, n: int, prefix: str = "Person", active: bool = True) -> None:
    """`n` learner accounts in one transaction (no password: nobody signs in as them)."""
    with app.app_context():
        db.session.add_all(User(username=f"{prefix.lower()}{i:03d}", full_name=f"{prefix} {i:03d}",
                                role=Role.LEARNER, unit_id=unit_id, active=active) for i in range(n))
        db.session.commit()


def names(page: str) -> list[str]:
    """The officials' names in the list's rows, in order."""
    return [html.unescape(n) for n in re.findall(r'<th scope="row"><a href="/train/learners/\d+">([^<]+)</a>', page)]


def pager(page: str) -> str:
    """The pager's markup ('' when the page has none)."""
    found = re.search(r'<nav class="pager" aria-label="Pages">(.*?)</nav>', page, re.S)
    return found.group(1) if found else ""


def link(page: str, rel: str) -> dict[str, list[str]] | None:
    """The query arguments of the pager's rel=prev or rel=next link, None without one."""
    found = re.search(rf'rel="{rel}" href="([^"]+)"', pager(page))
    return parse_qs(urlsplit(html.unescape(found.group(1))).query) if found else None


@pytest.fixture
def trainer_with_learners(app, make, database):
    """A trainer of oblast KZ-A with 57 learners in it (two pages of 50) and one in another country."""
    tree = make.tree()
    make.user("trainer", Role.TRAINER, tree["KZ-A"], full_name="Timur Trenerov")
    add_learners(app, tree["KZ-A-1-1"], 55)
    add_learners(app, tree["KZ-A-1-2"], 2, prefix="Other", active=False)
    add_learners(app, tree["KG-A-1-1"], 1, prefix="Kyrgyz")
    return tree


# --- the helper on its own ------------------------------------------------------------------------

def test_requested_page_reads_any_value_as_a_positive_number():
    assert [requested_page(v) for v in ["3", " 2 ", 7, None]] == [3, 2, 7, 1]
    assert [requested_page(v) for v in BAD_PAGES] == [1, 1, 1, 9999, 1, 1, 1, 10**30]
    assert clamp_page("9999", total=120, size=50) == 3 and clamp_page("-3", total=120, size=50) == 1
    assert clamp_page("abc", total=0, size=50) == 1
    assert clamp_page("9999", total=120, size=50, past_end=True) == 4


def test_the_page_knows_its_neighbours():
    middle = Page(list(range(50)), number=2, size=50, total=120)
    assert (middle.pages, middle.has_prev, middle.has_next) == (3, True, True)
    assert (middle.prev_number, middle.next_number) == (1, 3)
    assert (middle.first, middle.last) == (51, 100)
    last = Page(list(range(20)), number=3, size=50, total=120)
    assert (last.has_next, last.next_number, last.first, last.last) == (False, None, 101, 120)
    empty = Page([], number=1, size=50, total=0)
    assert (empty.pages, empty.has_prev, empty.has_next, empty.first, empty.last) == (1, False, False, 0, 0)


def test_paginate_counts_once_and_fetches_once(app, trainer_with_learners):
    query = sa.select(User).where(User.role == Role.LEARNER).order_by(User.username)
    with count_queries(app) as statements, app.test_request_context("/?page=2"):
        page = paginate(query, size=50)
    assert len(statements) == 2 and "count(*)" in statements[0].lower()
    assert (page.number, page.pages, page.total, len(page.items)) == (2, 2, 58, 8)
    assert all(isinstance(u, User) for u in page.items)  # one entity: the entities, not rows
    with app.test_request_context("/?page=-3"):
        assert paginate(query, size=50).number == 1
    with app.app_context():
        rows = paginate(sa.select(User.username, User.active).order_by(User.username), "9999", size=50)
        assert rows.number == 2 and rows.items[-1] == ("trainer", True)  # several columns: rows
        past = paginate(query, "9999", size=50, past_end=True)
        assert (past.number, past.items, past.has_next, past.prev_number) == (3, [], False, 2)
        empty = paginate(query.where(User.full_name == "nobody"), "5")
        assert (empty.number, empty.pages, empty.total, empty.items) == (1, 1, 0, [])


# --- through the pages ----------------------------------------------------------------------------

def test_a_list_longer_than_a_page_shows_the_pager_and_page_two_the_next_rows(app, browser, trainer_with_learners):
    browser.login("trainer")
    first = browser.get("/train/learners").get_data(as_text=True)
    assert "57 accounts" in first and len(names(first)) == 50
    nav = pager(first)
    assert 'aria-current="page">Page 1 of 2<' in nav and 'rel="prev"' not in nav
    assert link(first, "next") == {"page": ["2"]}
    second = browser.get("/train/learners?page=2").get_data(as_text=True)
    assert len(names(second)) == 7 and not set(names(first)) & set(names(second))
    assert 'aria-current="page">Page 2 of 2<' in pager(second)
    assert link(second, "prev") == {"page": ["1"]} and link(second, "next") is None
    assert "Kyrgyz 000" not in first + second  # the scope holds across pages

    few = browser.get("/train/learners?state=inactive").get_data(as_text=True)
    assert "2 accounts" in few and pager(few) == ""  # one page: no pager


@pytest.mark.parametrize("bad", BAD_PAGES)
def test_a_bad_page_number_gives_a_valid_page(app, browser, trainer_with_learners, bad):
    browser.login("trainer")
    first = names(browser.get("/train/learners").get_data(as_text=True))
    last = names(browser.get("/train/learners?page=2").get_data(as_text=True))
    response = browser.get(f"/train/learners?page={bad}")
    assert response.status_code == 200
    shown = names(response.get_data(as_text=True))
    assert shown == (last if requested_page(bad) >= 2 else first)


def test_filters_survive_paging(app, browser, trainer_with_learners):
    browser.login("trainer")
    unit = trainer_with_learners["KZ-A-1-1"]
    first = browser.get(f"/train/learners?q=person&state=active&unit={unit}").get_data(as_text=True)
    assert "55 accounts" in first
    following = link(first, "next")
    assert following == {"q": ["person"], "state": ["active"], "unit": [str(unit)], "page": ["2"]}
    second = browser.get("/train/learners?" + "&".join(f"{k}={v[0]}" for k, v in following.items()))
    assert names(second.get_data(as_text=True)) == [f"Person {i:03d}" for i in range(50, 55)]
    assert link(second.get_data(as_text=True), "prev") == {"q": ["person"], "state": ["active"],
                                                            "unit": [str(unit)], "page": ["1"]}
    # the matrix keeps the request's own arguments, whatever their order
    matrix = browser.get(f"/train/progress?page=1&q=person&unit={unit}").get_data(as_text=True)
    assert "55 officials match" in matrix
    assert link(matrix, "next") == {"q": ["person"], "unit": [str(unit)], "page": ["2"]}
    assert "Person 054" in browser.get(f"/train/progress?q=person&unit={unit}&page=9999").get_data(as_text=True)


def test_the_audit_log_clamps_and_keeps_its_filters(app, browser, make, database):
    admin = make.user("root", Role.ADMIN)
    with app.app_context():
        db.session.add_all(AuditEvent(action="user.create" if n % 2 else "unit.create", target_type="user",
                                      target_id=1000 + n, actor_id=admin, details={}) for n in range(130))
        db.session.commit()
    browser.login("root")
    first = browser.get("/admin/audit?action=user.&person=ROOT").get_data(as_text=True)
    assert "65 events" in first and 'aria-current="page">Page 1 of 2<' in pager(first)
    assert link(first, "next") == {"action": ["user."], "person": ["ROOT"], "page": ["2"]}
    past = browser.get("/admin/audit?action=user.&page=9999")
    assert past.status_code == 200 and 'aria-current="page">Page 2 of 2<' in pager(past.get_data(as_text=True))
    assert past.get_data(as_text=True).count(" created the account of ") == 15


LISTS = ["/train/learners", "/train/progress", "/train/overdue", "/train/assignments", "/train/elections",
         "/train/sessions", "/admin/staff", "/admin/units", "/admin/audit"]


def test_no_list_fails_on_a_bad_page_number(app, browser, make, database):
    make.tree()
    make.user("root", Role.ADMIN)
    browser.login("root")
    for url in LISTS:
        for bad in BAD_PAGES:
            assert browser.get(f"{url}?page={bad}").status_code == 200, (url, bad)
