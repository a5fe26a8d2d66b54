"""Pages of every role on a 360x740 phone: no sideways page scrolling, every table in a labelled box that
scrolls on its own and takes focus, the main links folded into one "Menu" row that marks the section,
tap targets 44 px high. One browser, two signed-in people, a page load or two per page checked."""
import dataclasses
from datetime import date

from lms.auth.models import Role, User
from lms.content.format import load_tree
from lms.content.importer import import_modules
from lms.extensions import db
from lms.learn.models import TrainingSession
from lms.train import audit
from tests.browser.journey import sign_in
from tests.conftest import FIXTURES, refresh_all

LONG = "Territorial election commission of the Almaty region, district number seventeen"
TITLES = ["Mobile ballot box and other special voting procedures", "Complaints and appeals at precinct level",
          "Campaign finance: limits, accounts and reports"]

# Everything measured on one page, in one round trip.
CHECK = """() => {
  const visible = e => e.offsetParent !== null || getComputedStyle(e).position === "fixed";
  const boxes = [...document.querySelectorAll(".table-scroll")];
  const details = document.querySelector("header nav.nav-phone details");
  const targets = "header summary, header .nav-links a, main button, main select, main textarea, .pager a, "
    + "main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), footer select, footer button";
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    loose_tables: [...document.querySelectorAll("main table")].filter(t => !t.closest(".table-scroll")).length,
    boxes: boxes.length,
    bad_boxes: boxes.filter(b => b.getAttribute("role") !== "region" || !(b.getAttribute("aria-label") || "").trim()
                                 || b.tabIndex !== 0).map(b => b.outerHTML.slice(0, 120)),
    menu: details ? {shown: visible(details), open: details.open} : null,
    wide_nav_shown: [...document.querySelectorAll("header nav.nav-wide")].some(visible),
    current: [...document.querySelectorAll("header nav.nav-phone [aria-current=page]")]
      .map(a => a.getAttribute("href")),
    header: document.querySelector("header.site").getBoundingClientRect().height,
    small: [...document.querySelectorAll(targets)].filter(e => visible(e) && e.getBoundingClientRect().height < 44)
      .map(e => e.outerHTML.slice(0, 100)),
  };
}"""


def _check(page, url, current, tables=True):
    page.goto(url)
    got = page.evaluate(CHECK)
    assert got["overflow"] <= 0, (url, got)
    assert got["loose_tables"] == 0 and got["bad_boxes"] == [], (url, got)
    assert got["boxes"] >= (1 if tables else 0), (url, got)
    assert got["menu"] == {"shown": True, "open": False} and not got["wide_nav_shown"], (url, got)
    assert got["current"] == [current], (url, got)
    assert got["header"] <= 90, (url, got)  # brand and Menu on one row
    assert got["small"] == [], (url, got)
    return got


def _more_modules(app) -> list[int]:
    """Three more modules with long titles (copies of the fixture module), so that the matrix is wide."""
    modules, problems = load_tree(FIXTURES / "courses")
    assert not problems
    copies = [dataclasses.replace(modules[0], id=f"long-module-{n}", data={**modules[0].data, "title": {"en": t}})
              for n, t in enumerate(TITLES, start=1)]
    with app.app_context():
        import_modules(modules + copies)
        db.session.commit()
        from lms.content.models import Module
        return [db.session.query(Module.id).filter_by(slug=c.id).scalar() for c in copies]


def test_every_role_fits_a_phone(app, make, course, live_server, chromium):
    tree = make.tree()
    district = make.unit("KZ-A-LONG", tree["KZ-A"], {"en": LONG, "ru": LONG})
    precinct = make.unit("KZ-A-LONG-P1", district, {"en": LONG + ", precinct 1", "ru": LONG})
    root = make.user("root", Role.ADMIN, full_name="Administrator Konstantin Abdrakhmanov-Vasiliev")
    ann = make.user("ann", unit=precinct, full_name="Gulnara Ismailovna Abdrakhmanova-Nurpeisova")
    make.assign(course, unit=district)
    for module_id in _more_modules(app):
        make.assign(module_id, unit=district)
    with app.app_context():
        session = TrainingSession(module_id=course, unit_id=district, held_on=date.today(), place=LONG,
                                  trainer_name="Tatyana Konstantinovna Vasilyeva-Abdrakhmanova", created_by_id=root)
        db.session.add(session)
        audit.record(db.session.get(User, root), "session.attendance", "training_session", 1, district,
                     added=list(range(1000, 1030)), note=LONG)
        refresh_all()
        db.session.commit()
        session_id = session.id

    # a precinct official, without JavaScript: dashboard, a lesson with a table, the quiz
    context = chromium.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "ann")
    _check(page, live_server + "/learn/", "/learn/", tables=False)
    _check(page, live_server + "/learn/modules/sample-module/lessons/second", "/learn/")
    assert page.get_attribute("article .table-scroll", "aria-label") == "Table 1"
    page.click("header summary")  # the menu opens without JavaScript, in full, and the page stays narrow
    assert page.evaluate("document.querySelector('header nav.nav-phone details').open") is True
    assert page.is_visible("header nav.nav-phone a[href='/account/password']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _check(page, live_server + "/account", "/account", tables=False)  # contact details and reminders
    page.goto(live_server + "/learn/modules/sample-module")
    page.click("button:has-text('Start the quiz')")
    page.wait_for_url("**/attempts/*")
    _check(page, page.url, "/learn/")  # the protocol question's table is boxed too
    page.set_viewport_size({"width": 320, "height": 640})  # the smallest phones too
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()

    # an administrator: the trainer's pages, the reports, API tokens and the audit log
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    sign_in(page, live_server, "root")

    _check(page, live_server + f"/train/progress?unit={district}", "/train/")
    box = page.locator(".table-scroll").first
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # wide: it scrolls...
    box.focus()
    page.keyboard.press("ArrowRight")  # ...from the keyboard too
    for _ in range(30):  # the page's CSP forbids eval, so no wait_for_function: poll from here
        if box.evaluate("b => b.scrollLeft") > 0:
            break
        page.wait_for_timeout(100)
    assert box.evaluate("b => b.scrollLeft") > 0
    matrix = page.evaluate("""() => {
      const box = document.querySelector('.table-scroll').getBoundingClientRect();
      const name = document.querySelector('.matrix tbody th[scope=row]').getBoundingClientRect();
      const caption = document.querySelector('.matrix caption').getBoundingClientRect();
      const heads = [...document.querySelectorAll('.matrix thead th[title]')];
      return {name_left: name.left - box.left, caption_left: caption.left, caption_right: caption.right,
              heads: heads.map(h => h.getBoundingClientRect().height), titles: heads.map(h => h.title)};
    }""")
    assert abs(matrix["name_left"]) <= 1, matrix  # the name column stays in view while the rest scrolls
    assert matrix["caption_left"] >= 0 and matrix["caption_right"] <= 360, matrix  # the caption is not cut
    assert max(matrix["heads"]) <= 70, matrix  # two lines at most
    assert set(TITLES) <= set(matrix["titles"]), matrix  # the full title is kept
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 360, "height": 740})

    _check(page, live_server + f"/train/sessions/{session_id}", "/train/")
    _check(page, live_server + f"/train/learners/{ann}", "/train/")
    _check(page, live_server + "/train/reminders/", "/train/", tables=False)
    page.goto(live_server + "/account/tokens")
    page.fill("#name", "Reports for the district commission of Almaty, weekly export to the oblast")
    page.click("main button[type=submit]")
    _check(page, page.url, "/account/tokens")
    _check(page, live_server + "/admin/audit", "/admin/")
    _check(page, live_server + f"/reports/completion?unit={precinct}", "/reports/completion")
    _check(page, live_server + "/admin/", "/admin/", tables=False)

    page.set_viewport_size({"width": 1366, "height": 900})  # a desktop: a row of links instead of the menu
    assert page.is_visible("header nav.nav-wide a[aria-current=page][href='/admin/']")
    assert not page.is_visible("header nav.nav-phone")
    assert page.evaluate("document.querySelector('header.site').getBoundingClientRect().height") <= 60
    context.close()
