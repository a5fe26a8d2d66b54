"""The briefing book: a module as a printable PDF for rooms without a connection.

A title page (title, summary, objectives, edition, date, contents), every lesson in order from
the imported HTML, the question bank as a self-test without answers, and the answer key at the
very end, on pages of its own. The same texts and fallbacks as the lesson pages: the reader's
language, else Russian, else English. fpdf2 draws the lesson HTML; the few constructs its HTML
subset cannot take (markup inside table cells, table wrappers, checklists) are simplified first.
A lesson's figures (SVG sample forms) are drawn by fpdf2's own SVG support, their text in DejaVu
Sans; a figure it cannot draw is replaced by its caption and a line saying so.
"""
from __future__ import annotations

import hashlib
import html as htmllib
import io
import logging
import random
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale, format_date, format_decimal, gettext
from flask_babel import lazy_gettext as _l
from fpdf import FPDF
from fpdf.fonts import FontFace, TextStyle
from sqlalchemy.orm import selectinload

from lms.content import kinds
from lms.content.languages import language_notice
from lms.content.models import Figure, Lesson, Module, Question, QuestionVersion
from lms.content.render import RENDERING
from lms.extensions import db
from lms.i18n import FALLBACK, LANGUAGE_NAMES, pick

FONTS = Path(__file__).resolve().parents[1] / "fonts"
FAMILY = "dejavu"
_BOOK_FORMAT = 2  # raise it when the book's layout changes, so that books made before are made again
_INK, _ACCENT = "#000000", "#1d3557"

_WRAPPER = re.compile(r'<div class="table-scroll"[^>]*>(.*?)</div>', re.S)
_CELL = re.compile(r"<(t[hd])(\s[^>]*)?>(.*?)</\1>", re.S)
_TABLE_OPEN = re.compile(r"<table>")
_LINK = re.compile(r'<a href="([^"]+)"[^>]*>(.*?)</a>', re.S)
_CHECKLIST = re.compile(r"<ul>(\s*<li>(?:\s*<p>)?)\[[ xX]\]")
_CHECKBOX = re.compile(r"(<li>(?:\s*<p>)?)\[[ xX]\]\s*")
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>")
_FIGURE = re.compile(r'<figure><img src="\.\./figures/([^"?]+)\?v=[^"]*" alt="([^"]*)"><figcaption>(.*?)</figcaption>'
                     r"</figure>", re.S)
_VIEWBOX = re.compile(rb'viewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)\s*"')
_FIGURE_MAX_HEIGHT = 215  # mm: a tall form still leaves room for its caption on the page
log = logging.getLogger(__name__)


class BookPDF(FPDF):
    """An A4 book in DejaVu Sans with "title · page N of M" in the footer."""

    def __init__(self, footer_text: str):
        super().__init__(format="A4")
        self.footer_text = footer_text
        add_fonts(self)
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=18)

    def footer(self) -> None:
        """The module's title and the page number, on every page."""
        self.set_y(-13)
        self.set_font(FAMILY, size=8.5)
        self.set_text_color(60)
        self.cell(0, 6, self.footer_text % {"page": self.page_no(), "total": self.str_alias_nb_pages},
                  align="C")


def add_fonts(pdf: FPDF) -> None:
    """Embed DejaVu Sans, regular and bold (Cyrillic and Turkic Latin letters); it has no italic here,
    so emphasised words are set in the accent colour instead."""
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))


_TAG_STYLES = {
    "h1": TextStyle(font_family=FAMILY, font_style="B", color=_INK, font_size_pt=19, t_margin=2, b_margin=3),
    "h2": TextStyle(font_family=FAMILY, font_style="B", color=_ACCENT, font_size_pt=14.5, t_margin=5, b_margin=1.5),
    "h3": TextStyle(font_family=FAMILY, font_style="B", color=_ACCENT, font_size_pt=12.5, t_margin=4, b_margin=1),
    "h4": TextStyle(font_family=FAMILY, font_style="B", color=_INK, font_size_pt=11.5, t_margin=3, b_margin=1),
    "blockquote": TextStyle(color="#222222", l_margin=8, t_margin=2, b_margin=2),
    "pre": TextStyle(font_family=FAMILY, t_margin=2, b_margin=2),
    "code": FontFace(family=FAMILY),
    "a": FontFace(color=_ACCENT, emphasis="UNDERLINE"),
    "em": FontFace(color=_ACCENT), "i": FontFace(color=_ACCENT),
    "li": TextStyle(l_margin=6, t_margin=1.2),
    "p": TextStyle(t_margin=0, b_margin=0),
}


def printable(html: str) -> str:
    """Lesson HTML simplified for fpdf2: no scroll boxes, plain text in table cells, ruled tables,
    link addresses written out for paper, and "[ ]" checklists as lists of empty boxes."""
    html = _WRAPPER.sub(r"\1", html)
    html = _CELL.sub(lambda m: f'<{m.group(1)}{m.group(2) or ""} align="left">{htmllib.escape(_plain(m.group(3)))}'
                               f"</{m.group(1)}>", html)
    html = _TABLE_OPEN.sub('<table border="1">', html)
    html = _LINK.sub(_link_on_paper, html)
    html = _CHECKLIST.sub(r'<ul type="☐">\1', html)
    return _CHECKBOX.sub(r"\1", html)


def _plain(fragment: str) -> str:
    """The text of an HTML fragment, links followed by their address."""
    fragment = _LINK.sub(lambda m: _text(m.group(2)) + _address(m.group(1), m.group(2)), fragment)
    return _text(fragment)


def _text(fragment: str) -> str:
    return " ".join(htmllib.unescape(_TAG.sub("", _BREAK.sub(" ", fragment))).split())


def _address(href: str, inner: str) -> str:
    """" (address)" to write after a link on paper, unless its text already shows it."""
    address = htmllib.unescape(href).removeprefix("mailto:")
    return "" if address in _text(inner) else f" ({address})"


def _link_on_paper(match: re.Match) -> str:
    return match.group(0) + htmllib.escape(_address(match.group(1), match.group(2)), quote=False)


def _e(text: str) -> str:
    return htmllib.escape(text, quote=False)


def languages_of(lesson_titles: list[dict[str, str]]) -> list[str]:
    """The languages that at least one of these lessons is written in, in the usual order."""
    found = {code for title in lesson_titles for code, text in title.items() if text}
    return [code for code in LANGUAGE_NAMES if code in found]


def module_languages(module: Module) -> list[str]:
    """The languages of a module's briefing book: those that at least one of its lessons is written in."""
    return languages_of([lesson.title for lesson in module.lessons])


def languages_by_module() -> dict[int, list[str]]:
    """module id -> the languages of its briefing book, for every module with active lessons (one query)."""
    titles: dict[int, list[dict[str, str]]] = {}
    for module_id, title in db.session.execute(sa.select(Lesson.module_id, Lesson.title).where(Lesson.active)):
        titles.setdefault(module_id, []).append(title)
    return {module_id: languages_of(found) for module_id, found in titles.items()}


@dataclass
class Item:
    """One question of the self-test: its number in the book, its kind and its data from questions.yaml."""

    number: int
    kind: str
    data: dict[str, Any]


def module_questions(module: Module) -> list[Item]:
    """The module's active questions at their current version, in the order of questions.yaml."""
    rows = db.session.execute(
        sa.select(QuestionVersion.kind, QuestionVersion.data)
        .join(Question, sa.and_(QuestionVersion.question_id == Question.id, QuestionVersion.number == Question.version))
        .where(Question.module_id == module.id, Question.active).order_by(Question.id)).all()
    return [Item(n, kind, data) for n, (kind, data) in enumerate(rows, start=1)]


def module_lessons(module: Module) -> list[Lesson]:
    """The module's active lessons in order, with their HTML in every language."""
    return list(db.session.scalars(
        sa.select(Lesson).where(Lesson.module_id == module.id, Lesson.active).order_by(Lesson.position)
        .options(selectinload(Lesson.bodies))))


def module_figures(module: Module) -> dict[str, bytes]:
    """The module's figures: file name -> SVG."""
    return dict(db.session.execute(sa.select(Figure.name, Figure.svg).where(Figure.module_id == module.id)).all())


# Books made lately, by what they are made of: a trainer printing for a session, or a room of officials
# downloading the same book, waits for it once per process and day. A new import or rendering changes the key.
_MADE: OrderedDict[str, bytes] = OrderedDict()
_MADE_SIZE = 24
_MADE_LOCK = threading.Lock()


def briefing_book(module: Module, lang: str, today: date) -> tuple[bytes, str]:
    """The module's briefing book in `lang` and its ETag (texts missing in `lang` fall back to Russian,
    then English); the same content, language and day give the same book, made once."""
    lessons = module_lessons(module)
    key = hashlib.sha256(repr((_BOOK_FORMAT, RENDERING, module.id, module.version, module.content_hash,
                               module.updated_at.isoformat(), [(ls.id, ls.content_hash) for ls in lessons],
                               lang, today.isoformat())).encode()).hexdigest()[:32]
    with _MADE_LOCK:
        made = _MADE.get(key)
        if made is not None:
            _MADE.move_to_end(key)
            return made, key
    made = make_book(module, lessons, module_questions(module), lang, today, module_figures(module))
    with _MADE_LOCK:
        _MADE[key] = made
        while len(_MADE) > _MADE_SIZE:
            _MADE.popitem(last=False)
    return made, key


def make_book(module: Module, lessons: list[Lesson], items: list[Item], lang: str, today: date,
              figures: dict[str, bytes] | None = None) -> bytes:
    """Draw the book: title page, lessons (with their `figures`, file name -> SVG), self-test, then the
    answer key on pages of its own."""
    with force_locale(lang):
        pdf = BookPDF(pick(module.title, lang).replace("%", "%%") + " · " + gettext("page %(page)s of %(total)s"))
        pdf.set_title(pick(module.title, lang))
        pdf.set_subject(gettext("Briefing book"))
        pdf.set_lang(lang)
        pdf.set_creator("lms")
        pdf.set_font(FAMILY, size=11)
        _title_page(pdf, module, lessons, items, lang, today)
        for number, lesson in enumerate(lessons, start=1):
            _lesson(pdf, lesson, number, len(lessons), lang, figures or {})
        if items:
            _self_test(pdf, items, lang)
            _answer_key(pdf, items, lang)
        return bytes(pdf.output())


def draw(pdf: FPDF, html: str) -> None:
    """Draw `html` (lesson HTML after printable(), or the book's own) in the book's styles."""
    pdf.write_html(html, font_family=FAMILY, tag_styles=_TAG_STYLES, table_line_separators=True,
                   li_prefix_color=_ACCENT, warn_on_tags_not_matching=False)


def _p(text: str) -> str:
    return f"<p>{_e(text)}</p>"


def _title_page(pdf: BookPDF, module: Module, lessons: list[Lesson], items: list[Item], lang: str,
                today: date) -> None:
    pdf.add_page()
    edition = gettext("Edition %(num)s, updated on %(date)s", num=module.version,
                      date=format_date(module.updated_at.date(), "long"))
    printed = gettext("Printed on %(date)s", date=format_date(today, "long"))
    parts = [_p(gettext("Briefing book")), _h(1, module.t("title", lang)),
             f"<p>{_e(edition)}<br>{_e(printed)}</p>", _p(module.t("summary", lang))]
    notice = language_notice([lesson.title for lesson in lessons], lang)
    if notice:
        parts.append(_p(gettext("Some lessons are not yet available in your language; they are shown in "
                                "%(language)s.", language=LANGUAGE_NAMES[notice.shown])))
    if module.objectives:
        parts.append(_h(2, gettext("After this module you can"))
                     + _list("ul", [pick(o, lang) for o in module.objectives]))
    contents = [_lesson_title(lesson, lang) for lesson in lessons]
    if items:
        contents += [gettext("Self-test"), gettext("Answers to the self-test")]
    parts.append(_h(2, gettext("Contents")) + _list("ol", contents))
    if items:
        parts.append(_p(gettext("The self-test after the lessons has no answers beside it; they are on the last "
                                "pages, so that you can remove them before handing out copies.")))
    draw(pdf, "".join(parts))


def _shown(lesson: Lesson, lang: str) -> str:
    """The language the lesson page would show: `lang`, else Russian, else English."""
    return next((code for code in (lang, *FALLBACK) if lesson.body_html.get(code)), FALLBACK[-1])


def _lesson_title(lesson: Lesson, lang: str) -> str:
    return lesson.title.get(_shown(lesson, lang)) or pick(lesson.title, lang)


def _lesson(pdf: BookPDF, lesson: Lesson, number: int, total: int, lang: str, figures: dict[str, bytes]) -> None:
    pdf.add_page()
    shown = _shown(lesson, lang)
    head = [_p(gettext("Lesson %(n)s of %(total)s", n=number, total=total)),
            _h(1, _lesson_title(lesson, lang))]
    if shown != lang:
        head.append(_p(gettext("This lesson is not yet available in your language; it is shown in %(language)s.",
                               language=LANGUAGE_NAMES[shown])))
    parts = _FIGURE.split(printable(lesson.body_html.get(shown, "")))
    draw(pdf, "".join(head) + parts[0])
    for at in range(1, len(parts), 4):  # name, alt text, caption, then the HTML up to the next figure
        name, alt, caption = parts[at], htmllib.unescape(parts[at + 1]), htmllib.unescape(parts[at + 2])
        figure(pdf, figures.get(name), alt, caption)
        if parts[at + 3].strip():
            draw(pdf, parts[at + 3])


def _register_svg_fonts(pdf: FPDF) -> None:
    """fpdf2 draws an SVG's text in the family it names; the figures name the generic "sans-serif",
    which would be Helvetica without Cyrillic: here it is DejaVu Sans."""
    if "sans-serif" not in pdf.fonts:
        pdf.add_font("sans-serif", "", str(FONTS / "DejaVuSans.ttf"))
        pdf.add_font("sans-serif", "B", str(FONTS / "DejaVuSans-Bold.ttf"))


def figure(pdf: FPDF, svg: bytes | None, alt: str, caption: str) -> bool:
    """Draw a figure the width of the text (at most _FIGURE_MAX_HEIGHT mm tall) and its caption; if fpdf2
    cannot draw it, the caption and a line saying so. True if the drawing is in the book."""
    drawn = False
    if svg is not None:
        _register_svg_fonts(pdf)
        width = pdf.epw
        box = _VIEWBOX.search(svg)
        if box and float(box.group(1)) > 0:
            width = min(width, _FIGURE_MAX_HEIGHT * float(box.group(1)) / float(box.group(2)))
        svg_log = logging.getLogger("fpdf.svg")
        level = svg_log.level
        svg_log.setLevel(logging.ERROR)  # fpdf2 notes every <title> and <desc> it does not draw
        try:
            pdf.ln(2)
            pdf.image(io.BytesIO(svg), x=pdf.l_margin + (pdf.epw - width) / 2, w=width, alt_text=alt)
            drawn = True
        except Exception:  # a drawing fpdf2 cannot take must not cost the reader the book
            log.exception("fpdf2 could not draw a figure (%s)", caption)
        finally:
            svg_log.setLevel(level)
    text = caption if drawn else gettext("Figure: %(caption)s. It could not be printed here; see it on the lesson "
                                         "page.", caption=caption)
    draw(pdf, f'<p align="center"><font size="9.5">{_e(text)}</font></p>')
    return drawn


_INSTRUCTIONS = {
    "single": _l("Choose one answer."),
    "multiple": _l("Tick every right answer."),
    "order": _l("Number the steps in the right order, starting from 1."),
    "protocol": _l("Fill in each line of the protocol with a whole number."),
}
_MARKS = {"single": "○", "multiple": "☐", "order": "□"}  # one character each (fpdf2 bullets)


def _bold(text: str) -> str:
    return f"<p><b>{_e(text)}</b></p>"


def _h(level: int, text: str) -> str:
    return f"<h{level}>{_e(text)}</h{level}>"


def _list(tag: str, texts: list[str], mark: str | None = None) -> str:
    kind = f' type="{mark}"' if mark else ""
    return f"<{tag}{kind}>" + "".join(f"<li>{_e(t)}</li>" for t in texts) + f"</{tag}>"


def _protocol(rows: list[tuple[str, str]], figure: str) -> str:
    """A ruled table of protocol lines and their figures (blank lines to fill in the self-test)."""
    body = "".join(f'<tr><td align="left">{_e(label)}</td><td align="right">{_e(value)}</td></tr>'
                   for label, value in rows)
    return (f'<table border="1"><tr><th width="70%" align="left">{_e(gettext("Line"))}</th>'
            f'<th width="30%" align="right">{_e(figure)}</th></tr>{body}</table>')


def _self_test(pdf: BookPDF, items: list[Item], lang: str) -> None:
    pdf.add_page()
    parts = [_h(1, gettext("Self-test")),
             _p(gettext("Answer every question on paper, then check yourself on the last pages."))]
    for item in items:
        data = item.data
        parts.append(_h(3, gettext("Question %(num)s", num=item.number)))
        if data.get("scenario"):
            parts.append(f"<blockquote>{_e(pick(data['scenario'], lang))}</blockquote>")
        parts.append(f"<p><b>{_e(pick(data['prompt'], lang))}</b><br>{_e(str(_INSTRUCTIONS[item.kind]))}</p>")
        if item.kind == "protocol":
            parts.append(_protocol([(pick(f["label"], lang), "__________") for f in data["fields"]],
                                   gettext("Figure")))
            continue
        # shuffled as in the quiz (steps never already in the right order), the same in every copy
        by_id = {p["id"]: p for p in data[_PARTS[item.kind]]}
        parts.append(_list("ul", [pick(by_id[pid]["text"], lang) for pid in _layout(item)], _MARKS[item.kind]))
    draw(pdf, "".join(parts))


_PARTS = {"single": "options", "multiple": "options", "order": "steps", "protocol": "fields"}


def _layout(item: Item) -> list[str]:
    return kinds.get(item.kind).layout(item.data, random.Random(f"briefing-{item.number}-{item.kind}"))


def _answer_key(pdf: BookPDF, items: list[Item], lang: str) -> None:
    pdf.add_page()
    parts = [_h(1, gettext("Answers to the self-test"))]
    for item in items:
        data = item.data
        parts.append(_h(3, gettext("Question %(num)s", num=item.number)))
        if item.kind in ("single", "multiple"):
            label = gettext("Right answer:") if item.kind == "single" else gettext("Right answers:")
            parts.append(_bold(label)
                         + _list("ul", [pick(o["text"], lang) for o in data["options"] if o.get("correct")]))
        elif item.kind == "order":
            parts.append(_bold(gettext("Right order:"))
                         + _list("ol", [pick(step["text"], lang) for step in data["steps"]]))
        else:
            parts.append(_protocol([(pick(f["label"], lang), format_decimal(f["answer"])) for f in data["fields"]],
                                   gettext("Right figure")))
        if data.get("explanation"):
            parts.append(_p(pick(data["explanation"], lang)))
    draw(pdf, "".join(parts))
