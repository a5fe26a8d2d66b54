"""The HTML the pages are made of: form fields described only by what is there, a required select with an
empty placeholder, tables in labelled scrolling boxes, main links that mark the current section."""
from collections import Counter
from html.parser import HTMLParser

import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.content.format import load_tree
from lms.content.importer import import_modules
from lms.content.models import Lesson
from lms.content.render import markdown_to_html
from lms.extensions import db
from tests.conftest import FIXTURES


class Tags(HTMLParser):
    """Every start tag of a page, as (name, attributes), and the text of each element with an id."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        """Keep the tag and its attributes."""
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, **attrs) -> list[dict]:
        """The attributes of each `tag` whose attributes include `attrs`."""
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def ids(self) -> Counter:
        """How many times each id is used."""
        return Counter(a["id"] for _t, a in self.tags if "id" in a)


def _describedby_points_at_real_ids(page: Tags) -> None:
    ids = page.ids()
    assert all(n == 1 for n in ids.values()), ids
    for _tag, attrs in page.tags:
        if "aria-describedby" in attrs:
            names = attrs["aria-describedby"].split()
            assert names and all(ids[name] == 1 for name in names), attrs


def test_fields_are_described_only_by_a_hint_or_error_that_is_there(browser, make):
    make.user("ann")
    login = Tags(browser.get("/login").get_data(as_text=True))
    username = login.find("input", id="username")[0]
    assert "aria-describedby" not in username and "aria-invalid" not in username  # no hint, no error
    _describedby_points_at_real_ids(login)

    browser.login("ann")
    form = Tags(browser.get("/account/password").get_data(as_text=True))
    assert "aria-describedby" not in form.find("input", id="current")[0]
    assert form.find("input", id="new")[0]["aria-describedby"] == "new-hint"
    _describedby_points_at_real_ids(form)

    failed = browser.post("/account/password", {"current": "", "new": "short", "confirm": "other"},
                          from_page="/account/password")
    html = failed.get_data(as_text=True)
    assert failed.status_code == 200 and 'aria-describedby=""' not in html
    page = Tags(html)
    new = page.find("input", id="new")[0]
    assert new["aria-describedby"] == "new-hint new-error" and new["aria-invalid"] == "true"
    assert page.find("input", id="current")[0]["aria-describedby"] == "current-error"
    _describedby_points_at_real_ids(page)  # one error element per field, even with two errors


def test_the_precinct_placeholder_is_empty_and_a_choice_is_still_required(app, browser, make):
    tree = make.tree()
    make.user("trainer", Role.TRAINER, tree["KZ-A"])
    browser.login("trainer")
    page = Tags(browser.get("/train/learners/new").get_data(as_text=True))
    select = page.find("select", id="unit")[0]
    assert "required" in select
    first_option = next(a for i, (t, a) in enumerate(page.tags) if t == "option" and page.tags[i - 1][0] == "select"
                        and page.tags[i - 1][1].get("id") == "unit")
    assert first_option["value"] == ""

    def count():
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(User))

    before = count()
    for unit in ("", "not-a-number", " "):
        response = browser.post("/train/learners/new", {"full_name": "Gulnara Ismailova", "unit": unit,
                                                        "language": "ru"})
        html = response.get_data(as_text=True)
        assert response.status_code == 200, unit
        assert "Choose the precinct commission." in html and "Not a valid choice" not in html, unit
        assert count() == before
    response = browser.post("/train/learners/new", {"full_name": "Gulnara Ismailova", "unit": str(tree["KZ-A-1-1"]),
                                                    "language": "ru"})
    assert response.status_code == 303 and count() == before + 1


def test_lesson_tables_get_a_labelled_scrolling_box(app):
    source = "## Channels\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nText.\n\n| c |\n|---|\n| 3 |\n"
    html = markdown_to_html(source, "en")
    boxes = Tags(html).find("div", **{"class": "table-scroll", "role": "region", "tabindex": "0"})
    assert [b["aria-label"] for b in boxes] == ["Channels", "Table 2"]  # the heading just above, else a number
    assert html.count("<table>") == 2 and html.count('<div class="table-scroll"') == 2
    with app.app_context():
        assert 'aria-label="Таблица 1"' in markdown_to_html("Text.\n\n| c |\n|---|\n| 3 |\n", "ru")
    # a heading's markup and quotes stay text in the label; a raw <div> in the Markdown stays text too
    tricky = markdown_to_html('## A "B" & <i>C</i>\n\n<div class="table-scroll">x</div>\n\n| c |\n|---|\n| 3 |\n')
    assert Tags(tricky).find("div")[0]["aria-label"] == "Table 1"  # the heading is not just above
    near = markdown_to_html('## A "B" & *C*\n\n| c |\n|---|\n| 3 |\n')
    assert Tags(near).find("div")[0]["aria-label"] == 'A "B" & C'
    assert "&lt;div" in tricky and tricky.count("<div") == 1


def test_a_new_import_renders_lessons_saved_by_an_older_renderer(app, database):
    modules, problems = load_tree(FIXTURES / "courses")
    assert not problems
    with app.app_context():
        import_modules(modules)
        db.session.commit()
        lesson = db.session.scalar(sa.select(Lesson).where(Lesson.slug == "second"))
        lesson.body_html = {lang: html.replace('<div class="table-scroll"', "<div") for lang, html
                            in lesson.body_html.items()}  # as saved before tables had their box
        lesson.content_hash = "0" * 64
        db.session.commit()
    with app.app_context():
        report = import_modules(modules)
        db.session.commit()
        assert report.unchanged == ["sample-module"] and not report.changed  # the module itself is the same
        lesson = db.session.scalar(sa.select(Lesson).where(Lesson.slug == "second"))
        assert '<div class="table-scroll" role="region" aria-label="Table 1" tabindex="0">' in lesson.body_html["en"]


def test_main_links_mark_the_section_and_admins_have_their_pages(browser, make, client):
    make.user("ann")
    make.user("root", Role.ADMIN)
    make.user("tina", Role.TRAINER)
    browser.login("ann")
    page = Tags(browser.get("/learn/").get_data(as_text=True))
    assert [a["href"] for a in page.find("a", **{"aria-current": "page"})] == ["/learn/", "/learn/"]  # both menus
    assert page.find("details") and not page.find("a", href="/admin/")
    account = Tags(browser.get("/account/password").get_data(as_text=True))
    assert [a["href"] for a in account.find("a", **{"aria-current": "page"})] == ["/account/password"] * 2

    browser.post("/logout", from_page="/learn/")
    browser.login("tina")
    trainer = Tags(browser.get("/train/").get_data(as_text=True))
    assert not trainer.find("a", href="/admin/") and browser.get("/admin/").status_code == 403

    browser.post("/logout", from_page="/train/")
    browser.login("root")
    admin = browser.get("/admin/")
    html = admin.get_data(as_text=True)
    assert admin.status_code == 200
    assert [a["href"] for a in Tags(html).find("a", **{"aria-current": "page"})] == ["/admin/", "/admin/"]
    for path in ("/admin/staff", "/admin/monitors", "/admin/units", "/admin/audit"):
        assert f'href="{path}"' in html
    audit = Tags(browser.get("/admin/audit").get_data(as_text=True))
    assert [a["href"] for a in audit.find("a", **{"aria-current": "page"})] == ["/admin/", "/admin/"]
    box = audit.find("div", **{"class": "table-scroll"})[0]
    assert box["role"] == "region" and box["tabindex"] == "0" and box["aria-label"] == "Audit log"
