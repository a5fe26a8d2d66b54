"""The course lifecycle for administrators: each module's version, languages and use; publishing;
importing the course files from the page. Services flush, never commit.

Publishing is about new assignments only. An unpublished module is not offered in the trainers'
assignment form, and lms.train.assign_service refuses it; every assignment already made stays, so
its learners keep the module on their dashboards and can finish it (lessons, quiz, certificate),
and the reports keep it. What learners see does not change, so no derived table follows `published`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from lms.auth.models import User
from lms.content.format import Problem, load_tree
from lms.content.importer import ImportReport, import_modules
from lms.content.models import Lesson, Module, Question, QuestionVersion
from lms.extensions import db
from lms.i18n import LANGUAGE_NAMES
from lms.learn.models import Assignment, LearnerProgress, QuizAttempt
from lms.train import audit

HASH_SHOWN = 10  # characters of the content hash shown on the page


@dataclass
class LanguageCount:
    """How much of a module is written in one language."""

    code: str
    lessons: int
    questions: int


@dataclass
class CourseRow:
    """One module as the courses page lists it."""

    module: Module
    lessons: int = 0  # active lessons
    questions: int = 0  # active questions
    languages: list[LanguageCount] = field(default_factory=list)
    assignments: int = 0  # live ones
    learners: int = 0  # with a learner_progress row: reached by a live assignment
    completed: int = 0
    open_attempts: int = 0  # started, not submitted
    finished_attempts: int = 0

    @property
    def short_hash(self) -> str:
        """The start of the content hash, enough to tell two versions apart."""
        return self.module.content_hash[:HASH_SHOWN]


def _per_module(query: sa.Select) -> dict[int, tuple]:
    return {row[0]: tuple(row[1:]) for row in db.session.execute(query)}


def course_rows() -> list[CourseRow]:
    """Every module in course order with its counts, in six queries whatever the number of modules."""
    modules = db.session.scalars(sa.select(Module).order_by(Module.position, Module.id)).all()
    rows = {m.id: CourseRow(m) for m in modules}
    lesson_langs: dict[int, dict[str, int]] = {}
    for module_id, title in db.session.execute(sa.select(Lesson.module_id, Lesson.title).where(Lesson.active)):
        rows[module_id].lessons += 1
        counts = lesson_langs.setdefault(module_id, {})
        for code, text in (title or {}).items():
            if text:
                counts[code] = counts.get(code, 0) + 1
    question_langs: dict[int, dict[str, int]] = {}
    for module_id, prompt in db.session.execute(
            sa.select(Question.module_id, QuestionVersion.data["prompt"])
            .join(QuestionVersion, sa.and_(QuestionVersion.question_id == Question.id,
                                           QuestionVersion.number == Question.version))
            .where(Question.active)):
        rows[module_id].questions += 1
        counts = question_langs.setdefault(module_id, {})
        for code, text in (prompt if isinstance(prompt, dict) else {}).items():
            if text:
                counts[code] = counts.get(code, 0) + 1
    live = _per_module(sa.select(Assignment.module_id, sa.func.count(Assignment.id))
                       .where(Assignment.withdrawn_at.is_(None)).group_by(Assignment.module_id))
    reached = _per_module(sa.select(LearnerProgress.module_id, sa.func.count(),
                                    sa.func.count(LearnerProgress.completed_at))
                          .group_by(LearnerProgress.module_id))
    attempts = _per_module(sa.select(QuizAttempt.module_id,
                                     sa.func.count(QuizAttempt.id) - sa.func.count(QuizAttempt.submitted_at),
                                     sa.func.count(QuizAttempt.submitted_at))
                           .group_by(QuizAttempt.module_id))
    for module_id, row in rows.items():
        lessons, questions = lesson_langs.get(module_id, {}), question_langs.get(module_id, {})
        row.languages = [LanguageCount(code, lessons.get(code, 0), questions.get(code, 0))
                         for code in LANGUAGE_NAMES if lessons.get(code) or questions.get(code)]
        row.assignments = live.get(module_id, (0,))[0]
        row.learners, row.completed = reached.get(module_id, (0, 0))
        row.open_attempts, row.finished_attempts = attempts.get(module_id, (0, 0))
    return list(rows.values())


def module_or_none(slug: str) -> Module | None:
    """The module with this slug (imported at some time), or None."""
    if len(slug) > 64:  # longer than the column: no such module
        return None
    return db.session.scalar(sa.select(Module).where(Module.slug == slug))


def set_published(actor: User, module: Module, published: bool) -> bool:
    """Publish or unpublish `module`, audited; False (nothing written) when it already is so.

    The row is locked FOR UPDATE and read again first (PostgreSQL): a trainer's assignment that has
    read the module as published finishes before this one writes, and one that comes later waits
    and reads it as unpublished (lms.train.assign_service.create share-locks the same row)."""
    locked = db.session.scalar(sa.select(Module).where(Module.id == module.id).with_for_update()
                               .execution_options(populate_existing=True))
    if locked is None or locked.published == published:
        return False
    locked.published = published
    audit.record(actor, "module.publish" if published else "module.unpublish", "module", locked.id,
                 module_id=locked.id, slug=locked.slug, version=locked.version)
    db.session.flush()
    return True


@dataclass
class ImportOutcome:
    """What an import from the page did: the problems found (then nothing was written), or the report."""

    problems: list[Problem] = field(default_factory=list)
    report: ImportReport | None = None


def import_courses(actor: User, root: Path) -> ImportOutcome:
    """Check the course files under `root`, and import them only if every file is valid, as
    `flask courses import` does (all or nothing; the caller commits or rolls back); audited when
    imported."""
    specs, problems = load_tree(root)
    if problems:
        return ImportOutcome(problems=problems)
    report = import_modules(specs)
    audit.record(actor, "courses.import", "import", None, created=len(report.created), updated=len(report.updated),
                 unchanged=len(report.unchanged), new_question_versions=report.new_question_versions,
                 modules=report.created + report.updated)
    return ImportOutcome(report=report)
