"""Upsert validated course files into the database, in the caller's transaction."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from lms import events
from lms.content import figures as figure_files
from lms.content.format import ModuleSpec
from lms.content.models import Figure, Lesson, LessonBody, Module, Question, QuestionVersion
from lms.content.render import RENDERING, figure_src, markdown_to_html
from lms.extensions import db
from lms.timeutil import utcnow

MODULE_FIELDS = ("position", "title", "summary", "objectives", "pass_mark", "questions_per_attempt",
                 "max_attempts", "requires_attendance")


def digest(value: Any) -> str:
    """A SHA-256 hex digest of `value` as canonical JSON, to tell whether content changed."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    new_question_versions: int = 0

    @property
    def changed(self) -> bool:
        """True if the import created or updated anything."""
        return bool(self.created or self.updated)


def _module_values(spec: ModuleSpec) -> dict[str, Any]:
    data = spec.data
    return {
        "position": data.get("position", 0), "title": data["title"], "summary": data["summary"],
        "objectives": data.get("objectives", []), "pass_mark": data["pass_mark"],
        "questions_per_attempt": data["questions_per_attempt"], "max_attempts": data["max_attempts"],
        "requires_attendance": data.get("requires_attendance", False),
    }


def import_modules(specs: list[ModuleSpec]) -> ImportReport:
    """Create or update every module in `specs`; flushes, never commits."""
    report = ImportReport()
    for spec in specs:
        values = _module_values(spec)
        figure_hashes = {name: hashlib.sha256(data).hexdigest() for name, data in spec.figures.items()}
        full_hash = digest({"module": values, "lessons": [(ls.id, ls.title, ls.body) for ls in spec.lessons],
                            "questions": spec.questions, **({"figures": figure_hashes} if figure_hashes else {})})
        module = db.session.scalar(sa.select(Module).where(Module.slug == spec.id))
        if module is None:
            module = Module(slug=spec.id, version=1, content_hash=full_hash, **values)
            db.session.add(module)
            db.session.flush()
            report.created.append(spec.id)
        elif module.content_hash == full_hash and module.active:
            _sync_lessons(module, spec, figure_hashes)  # the same files: only a newer rendering changes them
            report.unchanged.append(spec.id)
            continue
        else:
            for key, value in values.items():
                setattr(module, key, value)
            module.version += 1
            module.content_hash = full_hash
            module.active = True
            module.updated_at = utcnow()
            report.updated.append(spec.id)
        _sync_figures(module, spec, figure_hashes)
        _sync_lessons(module, spec, figure_hashes)
        report.new_question_versions += _sync_questions(module, spec)
    db.session.flush()
    # lesson counts may have changed for learners who have these modules
    events.modules_imported.send(module_ids=list(db.session.scalars(
        sa.select(Module.id).where(Module.slug.in_(report.updated)))))
    return report


def _sync_figures(module: Module, spec: ModuleSpec, hashes: dict[str, str]) -> None:
    """Store the module's figure files; a file gone from figures/ is deleted (no lesson can show it)."""
    existing = {f.name: f for f in db.session.scalars(sa.select(Figure).where(Figure.module_id == module.id))}
    for name, data in spec.figures.items():
        figure = existing.pop(name, None)
        if figure is None:
            db.session.add(Figure(module_id=module.id, name=name, svg=data, content_hash=hashes[name]))
        elif figure.content_hash != hashes[name]:
            figure.svg, figure.content_hash = data, hashes[name]
    for figure in existing.values():
        db.session.delete(figure)


def _figure_addresses(body: str, lang: str, hashes: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """For markdown_to_html: each figure the lesson text shows, as written -> its address with its hash."""
    found = {}
    for ref in figure_files.references(body):
        name = figure_files.resolve(ref.src, lang, frozenset(hashes))
        if name is not None:
            found[ref.src] = figure_src(name, hashes[name])
    return tuple(sorted(found.items()))


def _sync_lessons(module: Module, spec: ModuleSpec, figure_hashes: dict[str, str]) -> None:
    existing = {
        lesson.slug: lesson for lesson in db.session.scalars(sa.select(Lesson).where(Lesson.module_id == module.id))
    }
    for lesson_spec in spec.lessons:
        shown = {lang: _figure_addresses(text, lang, figure_hashes) for lang, text in lesson_spec.body.items()}
        html = {lang: markdown_to_html(text, lang, shown[lang]) for lang, text in lesson_spec.body.items()}
        extra = [{lang: dict(pairs) for lang, pairs in shown.items() if pairs}] if any(shown.values()) else []
        h = digest([lesson_spec.title, lesson_spec.body, RENDERING, *extra])
        lesson = existing.pop(lesson_spec.id, None)
        if lesson is None:
            db.session.add(Lesson(module_id=module.id, slug=lesson_spec.id, position=lesson_spec.position,
                                  title=lesson_spec.title, body_html=html, content_hash=h))
            continue
        lesson.position, lesson.active = lesson_spec.position, True
        if lesson.content_hash != h:
            lesson.title, lesson.content_hash = lesson_spec.title, h
            _set_bodies(lesson, html)
    for lesson in existing.values():  # removed from the files: keep the row for completions already made
        lesson.active = False


def _set_bodies(lesson: Lesson, html: dict[str, str]) -> None:
    """Give `lesson` exactly the HTML of `html` ({lang: html}), updating its rows in place."""
    for lang in set(lesson.bodies) - set(html):
        del lesson.bodies[lang]
    for lang, text in html.items():
        if lang in lesson.bodies:
            lesson.bodies[lang].html = text
        else:
            lesson.bodies[lang] = LessonBody(lang=lang, html=text)


def _sync_questions(module: Module, spec: ModuleSpec) -> int:
    existing = {q.slug: q for q in db.session.scalars(sa.select(Question).where(Question.module_id == module.id))}
    current = {
        v.question_id: v for v in db.session.scalars(
            sa.select(QuestionVersion).join(Question).where(
                Question.module_id == module.id, QuestionVersion.number == Question.version))
    }
    new_versions = 0
    for data in spec.questions:
        h = digest(data)
        question = existing.pop(data["id"], None)
        if question is None:
            question = Question(module_id=module.id, slug=data["id"], topic=data.get("topic"), version=1)
            db.session.add(question)
            db.session.flush()
            db.session.add(
                QuestionVersion(question_id=question.id, number=1, kind=data["type"], data=data, content_hash=h)
            )
            new_versions += 1
            continue
        question.active, question.topic = True, data.get("topic")
        version = current.get(question.id)
        if version is None or version.content_hash != h:
            question.version += 1
            db.session.add(QuestionVersion(question_id=question.id, number=question.version, kind=data["type"],
                                           data=data, content_hash=h))
            new_versions += 1
    for question in existing.values():
        question.active = False
    return new_versions
