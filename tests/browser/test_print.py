"""A lesson printed from Chromium: the text alone (no header, menu, footer, language form or buttons),
at 11.5 pt, tables whole within the paper's width, link addresses written out."""
import io

import sqlalchemy as sa
from pypdf import PdfReader

from lms.config import ROOT
from lms.content.format import load_tree
from lms.content.importer import import_modules
from lms.content.models import Lesson, Module
from lms.extensions import db
from tests.conftest import PASSWORD

MEASURE = """() => {
  const shown = s => [...document.querySelectorAll(s)].some(e => e.getClientRects().length > 0);
  const link = document.querySelector("article a[href^='http']");
  return {
    chrome: ["header.site", "nav", "footer.site", ".pager", ".back", "form", "button", "select"].filter(shown),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    cut_tables: [...document.querySelectorAll("article table")]
      .filter(t => t.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                   || t.scrollWidth > t.parentElement.clientWidth + 1).length,
    tables: document.querySelectorAll("article table").length,
    font: getComputedStyle(document.querySelector("article p")).fontSize,
    after: link ? getComputedStyle(link, "::after").content : null,
  };
}"""


def _sign_in(page, live_server, username):
    page.goto(live_server + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/learn/")


def test_a_lesson_prints_as_text_alone(app, make, live_server, chromium):
    modules, problems = load_tree(ROOT / "courses")
    assert not problems
    with app.app_context():
        import_modules([m for m in modules if m.id == "mobile-ballot-box"])
        db.session.commit()
        module_id = db.session.scalar(sa.select(Module.id).where(Module.slug == "mobile-ballot-box"))
        sources = db.session.scalar(sa.select(Lesson).where(Lesson.module_id == module_id, Lesson.slug == "sources"))
        # no lesson links anywhere yet: give this one a link, as a source list may have
        sources.body_html = {**sources.body_html, "en": sources.body_html["en"]
                             + '<p><a href="https://example.org/law">The election law</a></p>'}
        db.session.commit()
    make.assign(module_id, user=make.user("ann"))
    context = chromium.new_context(viewport={"width": 680, "height": 960})  # about A4's printed width
    page = context.new_page()
    _sign_in(page, live_server, "ann")

    page.goto(live_server + "/learn/modules/mobile-ballot-box/lessons/your-law-today")  # a four-column worksheet
    assert page.is_visible("header.site") and page.is_visible("footer.site")  # on screen, they are there
    page.emulate_media(media="print")
    got = page.evaluate(MEASURE)
    assert got["chrome"] == [], got
    assert got["overflow"] <= 0 and got["tables"] >= 1 and got["cut_tables"] == 0, got
    assert got["font"] == "15.3333px", got  # 11.5 pt

    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    text = " ".join(p.extract_text() for p in pdf.pages)
    title = page.inner_text("article h1")
    assert title in " ".join(text.split())
    for chrome in ("Sign out", "My training", "Language", "Go to the quiz", "Skip to content"):
        assert chrome not in text, chrome

    page.goto(live_server + "/learn/modules/mobile-ballot-box/lessons/sources")
    after = page.evaluate(MEASURE)["after"]
    assert after == '" (https://example.org/law)"', after  # the address, on paper
    context.close()
