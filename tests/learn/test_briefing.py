"""The briefing book: every real module as a PDF in English and Russian, its order (self-test, then
the answers at the very end), who may download it, and the lesson pages' print stylesheet."""
import io
import re
import time

import sqlalchemy as sa
from flask_babel import force_locale, gettext
from pypdf import PdfReader

from lms.auth.models import Role
from lms.config import ROOT
from lms.content.briefing import printable
from lms.content.importer import import_modules
from lms.content.models import Module
from lms.extensions import db
from lms.i18n import pick
from tests.content.test_curriculum import MODULES, curriculum

BOOK = "/learn/modules/{slug}/briefing-book.pdf"


def pdf_text(data: bytes) -> str:
    """The book's text in reading order, whitespace collapsed, without the footer line of each page."""
    pages = []
    for page in PdfReader(io.BytesIO(data)).pages:
        lines = page.extract_text().splitlines()
        assert re.search(r"\d+\D+\d+$", lines[-1]), lines[-1]  # the footer: "<title> · page N of M"
        pages.append(" ".join(lines[:-1]))
    return norm(" ".join(pages))


def norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def heading(app, lang: str, text: str) -> str:
    with app.test_request_context(), force_locale(lang):
        return gettext(text)


def _import_real_courses(app) -> dict[str, int]:
    with app.app_context():
        import_modules(list(curriculum().values()))
        db.session.commit()
        return dict(db.session.execute(sa.select(Module.slug, Module.id)).all())


def test_every_module_has_a_briefing_book_in_english_and_russian(app, browser, make, database):
    ids = _import_real_courses(app)
    learner = make.user("ann", locale="ru")
    for module_id in ids.values():
        make.assign(module_id, user=learner)
    browser.login("ann")
    slowest = 0.0
    for slug in MODULES:
        spec = curriculum()[slug]
        for lang in ("en", "ru"):
            started = time.perf_counter()
            response = browser.get(BOOK.format(slug=slug) + f"?lang={lang}")
            slowest = max(slowest, time.perf_counter() - started)
            assert response.status_code == 200, (slug, lang, response.headers.get("Location"))
            assert response.mimetype == "application/pdf"
            assert "private" in response.headers["Cache-Control"]
            assert f'filename="{slug}-{lang}.pdf"' in response.headers["Content-Disposition"]
            text = pdf_text(response.data)
            where = f"{slug} [{lang}]"

            assert norm(spec.data["title"][lang]) in text, where
            for lesson in spec.lessons:
                assert norm(lesson.title[lang]) in text, f"{where}: lesson {lesson.id}"

            key_heading = heading(app, lang, "Answers to the self-test")
            test_heading = heading(app, lang, "Self-test")
            key_at = text.rindex(key_heading)
            test_at = text.rindex(test_heading, 0, key_at)  # the self-test's own heading (the first is in the contents)
            self_test, key = text[test_at:key_at], text[key_at:]
            last = heading(app, lang, "Question %(num)s") % {"num": len(spec.questions)}
            assert last in self_test, f"{where}: the last question comes before the answers"
            for q in spec.questions:
                assert norm(pick(q["prompt"], lang))[:80] in self_test, f"{where}: {q['id']} in the self-test"
                explanation = norm(pick(q["explanation"], lang))  # whole: a first sentence may quote a lesson
                assert text.find(explanation) > key_at, f"{where}: the explanation of {q['id']} before the answers"
                if q["type"] == "single":
                    right = next(o for o in q["options"] if o.get("correct"))
                    assert norm(pick(right["text"], lang))[:60] in key, f"{where}: {q['id']}'s right option"
            assert key.count(heading(app, lang, "Question %(num)s").split("%")[0]) >= len(spec.questions)
            if lang == "ru":  # the Russian text is extracted intact, Cyrillic letters and all
                assert re.search(r"[А-Яа-яЁё]{6,}", text)
                assert norm(spec.data["summary"]["ru"]) in text, where
    print(f"slowest briefing book: {slowest:.2f} s")  # shown with pytest -s


def test_book_follows_the_readers_language_and_falls_back_like_the_lesson_pages(app, browser, make, course, database):
    """The fixture's second lesson has no Kazakh text: it is printed in Russian, as its page shows it."""
    learner = make.user("aru", locale="kk")
    make.assign(course, user=learner)
    browser.login("aru")
    text = pdf_text(browser.get(BOOK.format(slug="sample-module")).data)
    assert "Пробный модуль" in text
    with app.app_context():
        module = db.session.get(Module, course)
        second = next(lesson for lesson in module.lessons if lesson.slug == "second")
        first = next(lesson for lesson in module.lessons if lesson.slug == "first")
        assert norm(second.title["ru"]) in text and norm(first.title["kk"]) in text
    response = browser.get(BOOK.format(slug="sample-module") + "?lang=en")
    assert response.status_code == 200 and "Sample module" in pdf_text(response.data)


def test_unknown_or_missing_language_is_a_clear_404(browser, make, course, database):
    make.user("tina", role=Role.TRAINER)
    browser.login("tina")
    for lang in ("tk", "xx", "<script>"):
        response = browser.get(BOOK.format(slug="sample-module") + f"?lang={lang}")
        assert response.status_code == 404
        assert "no briefing book in that language" in response.get_data(as_text=True)
    assert browser.get(BOOK.format(slug="sample-module") + "?lang=").status_code == 200  # empty: the reader's own


def test_who_may_download_the_book(app, browser, client, make, course, database):
    url = BOOK.format(slug="sample-module")
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    make.user("lonely")
    browser.login("lonely")
    assert browser.get("/learn/modules/sample-module").status_code == 404
    assert browser.get(url).status_code == 404
    assert browser.get(BOOK.format(slug="no-such-module")).status_code == 404
    browser.post("/logout", from_page="/learn/")

    for username, role in (("tina", Role.TRAINER), ("mona", Role.MONITOR), ("adam", Role.ADMIN)):
        make.user(username, role=role)
        browser.login(username)
        assert browser.get(url).status_code == 200, username
        browser.post("/logout", from_page="/learn/")

    with app.app_context():
        db.session.get(Module, course).active = False
        db.session.commit()
    browser.login("tina")
    assert browser.get(url).status_code == 404  # a retired module is no longer handed out


def test_assigned_learner_gets_the_book_and_its_links(browser, make, course, database):
    learner = make.user("ann")
    make.assign(course, user=learner)
    browser.login("ann")
    page = browser.get("/learn/modules/sample-module").get_data(as_text=True)
    assert "Download the briefing book (PDF)" in page
    assert 'href="/learn/modules/sample-module/briefing-book.pdf"' in page
    assert 'href="/learn/modules/sample-module/briefing-book.pdf?lang=ru"' in page  # another language
    first = browser.get(BOOK.format(slug="sample-module"))
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    again = browser.get(BOOK.format(slug="sample-module"), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304  # the same book today: nothing sent again


def test_trainer_workspace_lists_the_books(browser, make, course, database):
    make.user("tina", role=Role.TRAINER)
    browser.login("tina")
    assert 'href="/train/briefing-books"' in browser.get("/train/").get_data(as_text=True)
    assert 'href="/train/briefing-books"' in browser.get("/train/sessions").get_data(as_text=True)
    page = browser.get("/train/briefing-books").get_data(as_text=True)
    for lang in ("en", "ru", "kk"):
        assert f'href="/learn/modules/sample-module/briefing-book.pdf?lang={lang}"' in page
    make.user("lena")
    browser.post("/logout", from_page="/train/")
    browser.login("lena")
    assert browser.get("/train/briefing-books").status_code == 403


def test_printable_html_keeps_every_text_fpdf_cannot_lay_out():
    html = ('<div class="table-scroll" role="region" aria-label="T" tabindex="0"><table><thead><tr>'
            '<th scope="col">Line</th></tr></thead><tbody><tr><td>the <strong>real</strong> figure, '
            '<a href="https://example.org/law">the law</a></td></tr></tbody></table></div>'
            '<ul>\n<li>[ ] Every complaint is registered.</li>\n<li>[ ] Every decision is written.</li>\n</ul>'
            '<p>See <a href="https://example.org/a">the code</a>.</p>')
    out = printable(html)
    assert "table-scroll" not in out and '<table border="1">' in out
    assert '<td align="left">the real figure, the law (https://example.org/law)</td>' in out
    assert '<ul type="☐">' in out and "[ ]" not in out and "Every decision is written." in out
    assert '<a href="https://example.org/a">the code</a> (https://example.org/a)' in out


def test_print_stylesheet_hides_the_chrome_of_lesson_pages():
    css = (ROOT / "lms" / "static" / "app.css").read_text(encoding="utf-8")
    blocks = re.findall(r"@media print \{(.*?)\n\}", css, re.S)
    last = blocks[-1]
    hidden = re.search(r"([^{}]+)\{\s*display:\s*none !important;\s*\}", last).group(1)
    for selector in ("header.site", "footer.site", "nav", ".pager", "form", "button", ".button"):
        assert selector in [s.strip() for s in hidden.split(",")], selector
    assert "overflow: visible" in last and "break-inside: avoid" in last
    # the print rules come after the screen rule that makes tables scroll, so that they win
    assert css.rindex("@media print") > css.index(".table-scroll { overflow-x: auto")


EVERYTHING = """## Heading two

### Heading three

#### Heading four

Paragraph with **bold**, *emphasis*, `code` and a [link](https://example.org/x).
A second line.

1. First step
   - nested **bold** item
2. Second step

- [ ] Box one
- [ ] Box two

> A quote with *emphasis*.
>
> - a list in a quote

```
a pre block
```

Before the table.

| Line | **Where** it comes from |
|---|---|
| the *real* figure | [the law](https://example.org/l) |

---

Қазақша: әңғөқұүһі. Oʻzbekcha: oʻgʻil. Türkmençe: ýäňžş. Тоҷикӣ: ҳҷӣӯқғ.
"""


def test_every_construct_a_lesson_may_hold_is_drawn_with_its_text(app, database):
    """Whatever the Markdown renderer lets through reaches the PDF: nothing fails, no text is dropped."""
    from lms.content.briefing import FAMILY, BookPDF, draw
    from lms.content.render import markdown_to_html

    with app.test_request_context():
        pdf = BookPDF("sample · %(page)s / %(total)s")
        pdf.add_page()
        pdf.set_font(FAMILY, size=11)
        draw(pdf, printable(markdown_to_html(EVERYTHING, "en")))
        text = pdf_text(bytes(pdf.output()))
    for expected in ("Heading two", "Heading three", "Heading four", "Paragraph with bold, emphasis, code and a link",
                     "(https://example.org/x)", "A second line.", "First step", "nested bold item", "Second step",
                     "☐ Box one", "☐ Box two", "A quote with emphasis.", "a list in a quote", "a pre block",
                     "Where it comes from", "the real figure", "the law (https://example.org/l)",
                     "Қазақша: әңғөқұүһі. Oʻzbekcha: oʻgʻil. Türkmençe: ýäňžş. Тоҷикӣ: ҳҷӣӯқғ."):
        assert expected in text, expected


def test_the_book_draws_the_sample_forms_of_the_lessons(app, browser, make, database):
    """fpdf2 draws the SVG figures, their Cyrillic text included; the caption follows each one."""
    ids = _import_real_courses(app)
    learner = make.user("ann", locale="ru")
    make.assign(ids["polling-and-count"], user=learner)
    make.assign(ids["mobile-ballot-box"], user=learner)
    browser.login("ann")
    ru = pdf_text(browser.get(BOOK.format(slug="polling-and-count") + "?lang=ru").data)
    assert "Образец — официальная форма в вашей стране может отличаться" in ru
    assert "1000 = 640 + 20 + 4 + 336" in ru and "648 = 300 + 210 + 138" in ru
    assert "Образец протокола, заполненный цифрами из примера расчёта" in ru  # the caption
    en = pdf_text(browser.get(BOOK.format(slug="polling-and-count") + "?lang=en").data)
    assert "Sample — your country's official form may differ" in en and "1,000 = 640 + 20 + 4 + 336" in en
    kk = pdf_text(browser.get(BOOK.format(slug="mobile-ballot-box") + "?lang=kk").data)
    assert "АКТ ПЛОМБИРОВАНИЯ ПЕРЕНОСНОГО ЯЩИКА" in kk  # no Kazakh drawing: the Russian one, as on the page
    assert "Бір шығудың пломбалау актісінің үлгісі" in kk


def test_a_figure_fpdf_cannot_draw_leaves_its_caption_and_says_so(app):
    from lms.content.briefing import FAMILY, BookPDF, figure

    with app.test_request_context():
        pdf = BookPDF("sample · %(page)s / %(total)s")
        pdf.add_page()
        pdf.set_font(FAMILY, size=11)
        no_size = b'<svg xmlns="http://www.w3.org/2000/svg"><title>t</title><rect width="5" height="5"/></svg>'
        assert figure(pdf, no_size, "A form", "Sample complaint form") is False
        drawn = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 5"><title>t</title>'
                 '<text x="1" y="4" font-size="2" font-family="sans-serif">Жалоба</text></svg>').encode()
        assert figure(pdf, drawn, "A form", "Drawn one") is True
        text = pdf_text(bytes(pdf.output()))
    assert "Figure: Sample complaint form. It could not be printed here; see it on the lesson page." in text
    assert "Жалоба" in text and "Drawn one" in text
