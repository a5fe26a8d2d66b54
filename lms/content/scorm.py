"""A module as a SCORM 1.2 package, for Moodle or any other SCORM 1.2 player (`flask courses export-scorm`,
and the download on the admins' courses page).

The zip, in one language, holds::

    imsmanifest.xml          the organization (lessons, then the quiz) and its resources
    lessons/<slug>.html      each lesson as imported, with the lesson page's language fallback
    figures/<name>.svg       the figures that those lessons show, named as in the lessons
    quiz.html, quiz.js       the quiz, drawn, graded and reported in the browser
    style.css                one small stylesheet for every page

Nothing in it loads anything from outside the package.

**Structure: each lesson is an asset, the quiz is the package's only SCO.** Moodle's SCORM player shows
each item of the organization in its table of contents with its own previous and next buttons, and it
marks an asset as completed as soon as the asset is opened, so the lessons count as read without any
script in them. The grade comes from the one SCO, so with Moodle's default grading ("highest grade")
the activity's grade is the quiz's score, as on this platform. The mastery score on the quiz item is
the module's pass mark: a player that applies it (Moodle does, with `score.raw >= mastery score`) comes
to the same passed or failed as the quiz itself. One SCO holding every lesson would have to keep a
single API session while the learner moves from page to page (SCORM 1.2 allows one LMSInitialize per
launch), so it would need frames or a one-page application and navigation of its own, which the
player's table of contents would not show; a SCO per lesson would only report "completed", which an
asset already does.

**The quiz grades in the browser, so the answer key is in the package.** It draws
`questions_per_attempt` questions from the module's bank each time it is opened, shuffles their parts
as the platform does, and grades each answer by its kind's rule (lms.content.kinds; quiz.js mirrors
parse and grade, score in percent to one decimal, passed when the score reaches the pass mark).
It then sets `cmi.core.lesson_status` (passed or failed), `cmi.core.score.raw` (0-100, with min 0 and
max 100) and `cmi.core.session_time`, and commits; LMSFinish follows when the page is left. Anyone who
opens the package can read the answers: it is weaker than the platform's own quiz. It also differs
from it in three small ways: the answers go straight to their result (no "check your answers" step),
the number of attempts is the player's to limit, and a protocol figure must be written in ASCII
digits (the platform also reads other Unicode digits).
"""
from __future__ import annotations

import io
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import sqlalchemy as sa
from flask import current_app

from lms.content import kinds
from lms.content.briefing import module_figures, module_languages, module_lessons, module_questions
from lms.content.models import Module
from lms.core.templating import shown_in
from lms.extensions import db
from lms.i18n import FALLBACK, LANGUAGE_NAMES, gettext, pick

#: The question kinds that quiz.js parses and grades; a module with another kind is not exported.
SUPPORTED_KINDS = frozenset({"single", "multiple", "order", "protocol"})

CP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
IMSMD = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = (f"{CP} imscp_rootv1p1p2.xsd {IMSMD} imsmd_rootv1p2p1.xsd {ADLCP} adlcp_rootv1p2.xsd")
TITLE_MAX = 200  # characters of an item's <title> in the IMS CP 1.1.2 schema

_FIGURE_IMG = re.compile(r'src="\.\./figures/([a-z0-9][a-z0-9-]*(?:\.[a-z]{2})?\.svg)\?v=[0-9a-f]{12}"')
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_STATIC = ("quiz.js", "style.css")  # copied as they are from templates/scorm/


class ExportError(Exception):
    """The package cannot be made: the message says why, for the command line."""


@dataclass(frozen=True)
class Page:
    """One lesson in the package: its file, title and the figures it shows."""

    path: str
    title: str
    figures: tuple[str, ...]


def exportable_module(slug: str) -> Module | None:
    """The module with this slug if it is in the course files (active), else None."""
    if not _SLUG.match(slug):
        return None
    module = db.session.scalar(sa.select(Module).where(Module.slug == slug))
    return module if module is not None and module.active else None


def export_languages(module: Module) -> list[str]:
    """The languages a module can be exported in: those that at least one of its lessons is written in,
    as for its briefing book (a lesson missing there is shown in Russian, else English)."""
    return module_languages(module)


def package_filename(module: Module, lang: str) -> str:
    """The zip's file name: <module>-<lang>-scorm12.zip."""
    return f"{module.slug}-{lang}-scorm12.zip"


def _json_for_script(value: Any) -> str:
    """JSON that may sit inside <script type="application/json"> (no '<', '>' or '&' as such)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _source(name: str) -> str:
    """A file of templates/scorm/ as it is, not rendered."""
    env = current_app.jinja_env
    return env.loader.get_source(env, f"scorm/{name}")[0]  # type: ignore[union-attr]


def _render(name: str, **context: Any) -> str:
    return current_app.jinja_env.get_template(f"scorm/{name}").render(**context)


def _lesson_html(bodies: dict[str, str], lang: str) -> tuple[str, str]:
    """(the language shown, the HTML) with the lesson page's fallback: `lang`, else Russian, else English."""
    for code in dict.fromkeys((lang, *FALLBACK)):
        if bodies.get(code):
            return code, bodies[code]
    return lang, ""


def quiz_key(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """What quiz.js needs to lay out and grade one question: its parts in the file's order, and the answer."""
    parts = kinds.get(kind).part_ids(data)
    key: dict[str, Any] = {"id": data["id"], "kind": kind, "parts": parts}
    if kind in ("single", "multiple"):
        key["correct"] = sorted(o["id"] for o in data["options"] if o.get("correct"))
    elif kind == "protocol":
        key["answers"] = {f["id"]: f["answer"] for f in data["fields"]}
    return key  # order: the parts are the steps in their right order


def _manifest(module: Module, lang: str, pages: list[Page], quiz_title: str, common: list[str]) -> bytes:
    """imsmanifest.xml. The names are written with their prefixes as they stand (IMS CP the default
    namespace, adlcp, imsmd, xsi declared on the root), so nothing depends on ElementTree's global
    table of namespace prefixes, which other libraries change."""
    e = lambda tag, parent=None, text=None, **attrs: _element(tag, parent, text, attrs)
    title = pick(module.title, lang)
    manifest = e("manifest", **{"xmlns": CP, "xmlns:adlcp": ADLCP, "xmlns:imsmd": IMSMD, "xmlns:xsi": XSI,
                                "identifier": f"lms-{module.slug}-{lang}", "version": str(module.version),
                                "xsi:schemaLocation": SCHEMA_LOCATION})
    metadata = e("metadata", manifest)
    e("schema", metadata, "ADL SCORM")
    e("schemaversion", metadata, "1.2")
    general = e("imsmd:general", e("imsmd:lom", metadata))
    e("imsmd:langstring", e("imsmd:title", general), title, **{"xml:lang": lang})
    e("imsmd:language", general, lang)
    summary = pick(module.summary, lang)
    if summary:
        e("imsmd:langstring", e("imsmd:description", general), summary, **{"xml:lang": lang})
    organizations = e("organizations", manifest, default="organization")
    organization = e("organization", organizations, identifier="organization")
    e("title", organization, title[:TITLE_MAX])
    resources = e("resources", manifest)
    for n, page in enumerate(pages, start=1):
        item = e("item", organization, identifier=f"item-lesson-{n}", identifierref=f"lesson-{n}")
        e("title", item, page.title[:TITLE_MAX])
        resource = e("resource", resources, identifier=f"lesson-{n}", type="webcontent", href=page.path,
                     **{"adlcp:scormtype": "asset"})
        for path in (page.path, *(f"figures/{name}" for name in page.figures)):
            e("file", resource, href=path)
        e("dependency", resource, identifierref="common")
    item = e("item", organization, identifier="item-quiz", identifierref="quiz")
    e("title", item, quiz_title[:TITLE_MAX])
    e("adlcp:masteryscore", item, str(module.pass_mark))
    resource = e("resource", resources, identifier="quiz", type="webcontent", href="quiz.html",
                 **{"adlcp:scormtype": "sco"})
    for path in ("quiz.html", "quiz.js"):
        e("file", resource, href=path)
    e("dependency", resource, identifierref="common")
    resource = e("resource", resources, identifier="common", type="webcontent", **{"adlcp:scormtype": "asset"})
    for path in common:
        e("file", resource, href=path)
    ET.indent(manifest)
    return ET.tostring(manifest, encoding="UTF-8", xml_declaration=True)


def _element(tag: str, parent: ET.Element | None, text: str | None, attrs: dict[str, str]) -> ET.Element:
    node = ET.Element(tag, attrs) if parent is None else ET.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = text
    return node


def build_package(module: Module, lang: str) -> bytes:
    """The SCORM 1.2 zip of `module` in `lang`; ExportError when the language or a question kind cannot be."""
    if lang not in export_languages(module):
        raise ExportError(f"module {module.slug!r} is not available in {lang!r}; it is in: "
                          + ", ".join(export_languages(module)))
    questions = module_questions(module)
    if not questions:
        raise ExportError(f"module {module.slug!r} has no active question: there would be no quiz")
    unknown = sorted({q.kind for q in questions} - SUPPORTED_KINDS)
    if unknown:
        raise ExportError(f"module {module.slug!r} has questions of a kind the SCORM quiz cannot grade: "
                          + ", ".join(unknown))
    figures = module_figures(module)
    lessons = module_lessons(module)
    files: dict[str, bytes] = {}
    pages: list[Page] = []
    with shown_in(lang):
        module_title = pick(module.title, lang)
        quiz_title = gettext("Quiz")
        for n, lesson in enumerate(lessons, start=1):
            if not _SLUG.match(lesson.slug):
                raise ExportError(f"lesson {lesson.slug!r} has a name that cannot be a file name")
            shown, body = _lesson_html(lesson.body_html or {}, lang)
            shown_figures = tuple(dict.fromkeys(name for name in _FIGURE_IMG.findall(body) if name in figures))
            body = _FIGURE_IMG.sub(r'src="../figures/\1"', body)
            path = f"lessons/{lesson.slug}.html"
            title = lesson.title.get(shown) or pick(lesson.title, lang)
            files[path] = _render("lesson.html", lang=lang, shown=shown, title=title, body=body, n=n,
                                  total=len(lessons), module_title=module_title,
                                  language=LANGUAGE_NAMES.get(shown, shown)).encode()
            pages.append(Page(path, title, shown_figures))
            for name in shown_figures:
                files[f"figures/{name}"] = figures[name]
        key = {"passMark": module.pass_mark, "perAttempt": module.questions_per_attempt,
               "questions": [quiz_key(q.kind, q.data) for q in questions]}
        files["quiz.html"] = _render("quiz.html", lang=lang, module_title=module_title, quiz_title=quiz_title,
                                     questions=questions, pass_mark=module.pass_mark,
                                     drawn=min(module.questions_per_attempt, len(questions)),
                                     key=_json_for_script(key)).encode()
    for name in _STATIC:
        files[name] = _source(name).encode()
    manifest = _manifest(module, lang, pages, quiz_title, ["style.css"])
    return _zip({"imsmanifest.xml": manifest, **files}, module)


def _zip(files: dict[str, bytes], module: Module) -> bytes:
    """The files in a zip, the manifest first, every entry dated by the module's last content change,
    so that the same content always gives the same bytes."""
    when = module.updated_at.timetuple()[:6] if module.updated_at.year >= 1980 else (1980, 1, 1, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()


def write_atomically(data: bytes, target: Path) -> None:
    """Write `data` to `target` through a temporary file in the same folder, renamed at the end, so that
    a failure never leaves a half-written file; OSError when the folder cannot be written."""
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
