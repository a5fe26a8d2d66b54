"""Figures (SVG sample forms) in course files: checked with file:line, stored by the import, shown on the
lesson page and served with their own headers to those who may read the lesson."""
import hashlib
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin

import pytest
import sqlalchemy as sa

from lms.auth.models import Role
from lms.content.figures import MAX_BYTES, resolve, svg_problems
from lms.content.format import load_tree
from lms.content.importer import import_modules
from lms.content.models import Figure, Lesson, Module
from lms.content.render import markdown_to_html
from lms.extensions import db
from lms.learn.figure_views import FIGURE_POLICY
from tests.conftest import FIXTURES

COURSES = Path(__file__).resolve().parents[2] / "courses"
SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100" width="200" height="100" role="img">
  <title>{title}</title>
  <rect x="1" y="1" width="198" height="98" fill="#fff" stroke="#000"/>
  <text x="10" y="50" font-family="sans-serif" font-size="14">{text}</text>
</svg>
"""
FIGURE_EN = SVG.format(title="A sample diagram", text="Diagram in English")
FIGURE_RU = SVG.format(title="Образец схемы", text="Схема по-русски")


def _copy(tmp_path) -> Path:
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses", root)
    return root


def _with_figure(tmp_path) -> Path:
    """The fixture module with figures/diagram.en.svg and .ru.svg, shown by its first lesson in en, ru, kk."""
    root = _copy(tmp_path)
    module = root / "sample-module"
    (module / "figures").mkdir()
    (module / "figures" / "diagram.en.svg").write_text(FIGURE_EN, encoding="utf-8")
    (module / "figures" / "diagram.ru.svg").write_text(FIGURE_RU, encoding="utf-8")
    for lang, alt in (("en", "A sample diagram"), ("ru", "Образец схемы"), ("kk", "Схема үлгісі")):
        lesson = module / "lessons" / f"first.{lang}.md"
        lesson.write_text(lesson.read_text(encoding="utf-8") + f"\n![{alt}](figures/diagram.svg)\n\nAfter.\n",
                          encoding="utf-8")
    return root


def _check(app, root) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["courses", "check", str(root)])
    return result.exit_code, result.output


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line)


def _import(app, root) -> None:
    with app.app_context():
        modules, problems = load_tree(root)
        assert not problems, problems
        import_modules(modules)
        db.session.commit()


# --- courses check ---------------------------------------------------------------------------------

def test_check_accepts_a_lesson_with_its_figures(app, database, tmp_path):
    code, out = _check(app, _with_figure(tmp_path))
    assert code == 0, out


def test_check_names_the_lesson_line_of_a_missing_figure(app, database, tmp_path):
    root = _with_figure(tmp_path)
    lesson = root / "sample-module" / "lessons" / "second.en.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nSome text.\n\n\n![A form](figures/nowhere.svg)\n",
                      encoding="utf-8")
    line = _line_of(lesson, "figures/nowhere.svg")
    code, out = _check(app, root)
    assert code != 0
    assert f"sample-module/lessons/second.en.md:{line}: figure 'figures/nowhere.svg' not found" in out


def test_check_rejects_an_image_that_is_not_a_figure_and_one_without_alt_text(app, database, tmp_path):
    root = _with_figure(tmp_path)
    lesson = root / "sample-module" / "lessons" / "second.ru.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n![Logo](https://example.org/logo.png)\n\n"
                      "![](figures/diagram.svg)\n\nText and ![inline](figures/diagram.svg) together.\n",
                      encoding="utf-8")
    code, out = _check(app, root)
    assert code != 0
    rel = "sample-module/lessons/second.ru.md"
    assert f"{rel}:{_line_of(lesson, 'logo.png')}: image 'https://example.org/logo.png'" in out
    assert f"{rel}:{_line_of(lesson, '![](')}: figure 'figures/diagram.svg' has no alt text" in out
    assert f"{rel}:{_line_of(lesson, 'Text and')}: figure 'figures/diagram.svg' must stand alone" in out


BAD_FIGURES = [
    ("script", '<svg xmlns="http://www.w3.org/2000/svg">\n<title>t</title>\n<script>alert(1)</script>\n</svg>',
     3, "a figure may not contain <script>"),
    ("event attribute", '<svg xmlns="http://www.w3.org/2000/svg">\n<title>t</title>\n\n<rect onclick="x()"/>\n</svg>',
     4, "event attribute 'onclick' is not allowed"),
    ("external href", '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">\n'
     '<title>t</title>\n<image xlink:href="https://example.org/x.png"/>\n</svg>', 3,
     "external reference 'https://example.org/x.png'"),
    ("plain href", '<svg xmlns="http://www.w3.org/2000/svg">\n<title>t</title>\n<use href="other.svg#a"/>\n</svg>', 3,
     "external reference 'other.svg#a'"),
    ("css url", '<svg xmlns="http://www.w3.org/2000/svg">\n<title>t</title>\n'
     '<rect style="fill: url(https://example.org/p)"/>\n</svg>', 3, "external reference in 'style'"),
    ("no title", '<svg xmlns="http://www.w3.org/2000/svg">\n<rect/>\n</svg>', 1, "a figure needs a <title>"),
    ("not well-formed", '<svg xmlns="http://www.w3.org/2000/svg">\n<title>t</title>\n<rect>\n</svg>', 4,
     "not well-formed XML"),
    ("not svg", '<html xmlns="http://www.w3.org/1999/xhtml"><title>t</title></html>', 1,
     "the root element must be <svg>"),
    ("doctype", '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaa">]>\n<svg xmlns="http://www.w3.org/2000/svg">'
     '<title>&a;</title></svg>', 2, "a figure may not have a DOCTYPE"),
]


@pytest.mark.parametrize(("source", "line", "message"), [case[1:] for case in BAD_FIGURES],
                         ids=[case[0] for case in BAD_FIGURES])
def test_check_rejects_a_bad_figure_with_its_line(app, database, tmp_path, source, line, message):
    root = _with_figure(tmp_path)
    (root / "sample-module" / "figures" / "diagram.ru.svg").write_text(source, encoding="utf-8")
    code, out = _check(app, root)
    assert code != 0
    assert f"sample-module/figures/diagram.ru.svg:{line}: {message}" in out, out


def test_check_rejects_a_figure_too_large_and_a_stray_file(app, database, tmp_path):
    root = _with_figure(tmp_path)
    figures = root / "sample-module" / "figures"
    padding = "<!-- " + "x" * MAX_BYTES + " -->"
    (figures / "diagram.en.svg").write_text(FIGURE_EN.replace("</svg>", padding + "</svg>"), encoding="utf-8")
    (figures / "photo.png").write_bytes(b"\x89PNG")
    code, out = _check(app, root)
    assert code != 0
    assert "sample-module/figures/diagram.en.svg:1: the figure is" in out and "at most 32,768" in out
    assert "sample-module/figures/photo.png:1: unexpected file" in out


def test_svg_rules_accept_a_clean_figure_and_internal_references():
    clean = FIGURE_EN.replace("<rect", '<defs><linearGradient id="g"/></defs><rect style="fill: url(#g)"')
    assert svg_problems(clean.encode()) == []
    assert svg_problems(FIGURE_RU.replace("<rect", '<use href="#x"/><rect').encode()) == []


def test_a_lesson_takes_its_own_language_then_russian_then_english_then_the_plain_file():
    names = {"a.en.svg", "a.ru.svg", "a.kk.svg", "b.en.svg", "c.svg"}
    assert resolve("figures/a.svg", "kk", names) == "a.kk.svg"
    assert resolve("figures/a.svg", "ky", names) == "a.ru.svg"
    assert resolve("figures/b.svg", "ky", names) == "b.en.svg"
    assert resolve("figures/c.svg", "ru", names) == "c.svg"
    assert resolve("figures/a.en.svg", "ru", names) == "a.en.svg"  # a language written out is that file
    assert resolve("figures/d.svg", "en", names) is None
    assert resolve("figures/../a.en.svg", "en", names) is None


# --- rendering -------------------------------------------------------------------------------------

def test_only_a_known_figure_becomes_an_image(app):
    src = "../figures/diagram.ru.svg?v=0123456789ab"
    with app.test_request_context():
        html = markdown_to_html("![Образец](figures/diagram.svg)\n\n![Logo](https://example.org/l.png)\n\n"
                                "![Other](figures/other.svg)\n", "ru", (("figures/diagram.svg", src),))
    assert html.count("<img") == 1
    assert f'<figure><img src="{src}" alt="Образец"><figcaption>Образец</figcaption></figure>' in html
    assert "<p>Logo</p>" in html and "<p>Other</p>" in html and "example.org" not in html


def test_an_image_address_not_made_by_the_importer_is_dropped(app):
    with app.test_request_context():
        html = markdown_to_html("![x](figures/a.svg)\n", "en", (("figures/a.svg", "/admin/units?delete=1"),))
    assert "<img" in html and "src=" not in html


# --- import ----------------------------------------------------------------------------------------

def test_import_stores_the_figures_and_the_lessons_name_them_by_hash(app, database, tmp_path):
    root = _with_figure(tmp_path)
    _import(app, root)
    en_hash = hashlib.sha256(FIGURE_EN.encode()).hexdigest()
    ru_hash = hashlib.sha256(FIGURE_RU.encode()).hexdigest()
    with app.app_context():
        stored = {f.name: (f.svg, f.content_hash) for f in db.session.scalars(sa.select(Figure))}
        assert stored == {"diagram.en.svg": (FIGURE_EN.encode(), en_hash),
                          "diagram.ru.svg": (FIGURE_RU.encode(), ru_hash)}
        body = dict(db.session.scalar(sa.select(Lesson).where(Lesson.slug == "first")).body_html)
    assert f'<img src="../figures/diagram.en.svg?v={en_hash[:12]}" alt="A sample diagram">' in body["en"]
    assert f'<img src="../figures/diagram.ru.svg?v={ru_hash[:12]}" alt="Образец схемы">' in body["ru"]
    assert f'<img src="../figures/diagram.ru.svg?v={ru_hash[:12]}" alt="Схема үлгісі">' in body["kk"]  # no kk file

    again = app.test_cli_runner().invoke(args=["courses", "import", str(root)])
    assert "0 created, 0 updated, 1 unchanged" in again.output

    new_ru = FIGURE_RU.replace("Схема по-русски", "Новая схема")
    (root / "sample-module" / "figures" / "diagram.ru.svg").write_text(new_ru, encoding="utf-8")
    (root / "sample-module" / "figures" / "diagram.en.svg").unlink()
    changed = app.test_cli_runner().invoke(args=["courses", "import", str(root)])
    assert "1 updated" in changed.output, changed.output
    new_hash = hashlib.sha256(new_ru.encode()).hexdigest()
    with app.app_context():
        assert db.session.execute(sa.select(Figure.name, Figure.content_hash)).all() == [("diagram.ru.svg", new_hash)]
        body = dict(db.session.scalar(sa.select(Lesson).where(Lesson.slug == "first")).body_html)
    assert f"diagram.ru.svg?v={new_hash[:12]}" in body["en"]  # the English lesson falls back to Russian now


# --- the lesson page and the figure route ----------------------------------------------------------

def _figure_url(page: str, lesson_url: str) -> str:
    src = re.search(r'<figure><img src="([^"]+)" alt="([^"]+)"><figcaption>([^<]+)</figcaption></figure>', page)
    assert src, page
    return urljoin("http://localhost" + lesson_url, src.group(1)).removeprefix("http://localhost")


def test_lesson_page_shows_the_figure_and_the_route_serves_it(app, database, tmp_path, browser, make):
    _import(app, _with_figure(tmp_path))
    with app.app_context():
        module_id = db.session.scalar(sa.select(Module.id).where(Module.slug == "sample-module"))
    make.assign(module_id, user=make.user("ann", locale="ru"))
    browser.login("ann")
    lesson_url = "/learn/modules/sample-module/lessons/first"
    page = browser.get(lesson_url).get_data(as_text=True)
    assert 'alt="Образец схемы"><figcaption>Образец схемы</figcaption>' in page
    url = _figure_url(page, lesson_url)
    assert url.startswith("/learn/modules/sample-module/figures/diagram.ru.svg?v=")

    response = browser.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.data == FIGURE_RU.encode()
    assert response.headers["Content-Security-Policy"] == FIGURE_POLICY
    assert FIGURE_POLICY.startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "max-age=31536000" in cache and "immutable" in cache
    assert browser.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304

    stale = browser.get("/learn/modules/sample-module/figures/diagram.ru.svg?v=000000000000")
    assert stale.status_code == 200 and "immutable" not in stale.headers["Cache-Control"]  # an old address
    for missing in ("diagram.kk.svg", "nothing.svg", "diagram.ru.svg.bak", "..%2fdiagram.ru.svg"):
        assert browser.get(f"/learn/modules/sample-module/figures/{missing}").status_code == 404, missing


def test_the_figure_follows_the_lesson_access_rules(app, database, tmp_path, browser, client, make):
    root = _with_figure(tmp_path)
    shutil.copytree(root / "sample-module", root / "other-module")
    mfile = root / "other-module" / "module.yaml"
    mfile.write_text(mfile.read_text(encoding="utf-8").replace("id: sample-module", "id: other-module"),
                     encoding="utf-8")
    _import(app, root)
    with app.app_context():
        ids = dict(db.session.execute(sa.select(Module.slug, Module.id)).all())
    url = "/learn/modules/sample-module/figures/diagram.en.svg"
    assert client.get(url).status_code == 302  # not signed in: to the sign-in page

    make.assign(ids["other-module"], user=make.user("olga"))  # a learner of the other module only
    browser.login("olga")
    assert browser.get("/learn/modules/other-module/figures/diagram.en.svg").status_code == 200
    assert browser.get("/learn/modules/sample-module/lessons/first").status_code == 404
    assert browser.get(url).status_code == 404
    browser.post("/logout", from_page="/learn/")

    make.user("mona", role=Role.MONITOR)  # monitors read the books, not the lesson pages
    browser.login("mona")
    assert browser.get("/learn/modules/sample-module/lessons/first").status_code == 404
    assert browser.get(url).status_code == 404
    browser.post("/logout", from_page="/learn/")

    make.user("tina", role=Role.TRAINER)  # trainers preview any module, figures included
    browser.login("tina")
    assert browser.get(url).status_code == 200
    with app.app_context():
        db.session.get(Module, ids["sample-module"]).active = False
        db.session.commit()
    assert browser.get(url).status_code == 404


# --- the figures of the courses --------------------------------------------------------------------

def test_the_course_figures_are_small_accessible_samples_in_english_and_russian():
    files = sorted(COURSES.glob("*/figures/*.svg"))
    names = {f.name.split(".")[0] for f in files}
    assert {"results-protocol", "mobile-voting-register", "seal-record", "complaint-form"} <= names
    for path in files:
        data = path.read_bytes()
        assert svg_problems(data) == [], path
        assert len(data) < 12 * 1024, path
        root = ET.fromstring(data)
        assert root.get("role") == "img" and root.get("viewBox"), path
        ns = {"s": "http://www.w3.org/2000/svg"}
        assert root.find("s:title", ns).text and root.find("s:desc", ns).text, path
        assert root.get("font-family") == "sans-serif", path
        texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        assert "official form may differ" in texts or "официальная форма в вашей стране может отличаться" in texts
    for name in names:
        for lang in ("en", "ru"):
            assert any(f.parent.name == "figures" and f.name == f"{name}.{lang}.svg" for f in files), (name, lang)


def _protocol_figures(path: Path) -> list[int]:
    """The figures of lines 1 to 12 of a sample protocol, read from its right-hand column."""
    root = ET.fromstring(path.read_bytes())
    cells = [t for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("x") == "684"
             and (t.text or "").replace(",", "").isdigit()]
    return [int(t.text.replace(",", "")) for t in sorted(cells, key=lambda t: float(t.get("y")))]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_sample_protocol_adds_up_like_the_lesson_teaches(lang):
    path = COURSES / "polling-and-count" / "figures" / f"results-protocol.{lang}.svg"
    figures = _protocol_figures(path)
    assert len(figures) == 12
    line = dict(enumerate(figures, start=1))
    assert line[1] == line[2] + line[3] + line[4] + line[5]
    assert line[6] + line[7] == line[8] + line[9]
    assert line[9] == line[10] + line[11] + line[12]
    # and they are the worked example of the lesson
    lesson = (COURSES / "polling-and-count" / "lessons" / f"reconciliation-and-protocol.{lang}.md").read_text()
    example = re.sub(r"(?<=\d),(?=\d{3})", "", lesson.split("\n## ")[4])  # the worked example: 1,000 -> 1000
    assert example.startswith(("Worked example", "Пример расчёта")), example[:40]
    for value in figures:
        assert re.search(rf"(?<!\d){value}(?!\d)", example), value
