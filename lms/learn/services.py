"""The learner's path: which modules, what is done, quiz attempts and their grading.

Services flush but never commit; the view commits once per request.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from lms.auth.models import Role, User
from lms.content.models import Lesson, Module, Question, QuestionVersion
from lms.extensions import db
from lms.learn.grading import grade
from lms.learn.models import Assignment, AttemptItem, LessonCompletion, ModuleCompletion, QuizAttempt
from lms.timeutil import today, utcnow


class QuizError(Exception):
    """A quiz action that is not allowed now (no attempts left, nothing to start...)."""


def insert_ignore(model: type, **values: Any) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, on SQLite and PostgreSQL."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())


# --- which modules a learner has -------------------------------------------------------------

def assignment_filter(user: User) -> sa.ColumnElement[bool]:
    """Live assignments that reach `user`: to them, or to their unit or any unit above it."""
    targets = [Assignment.user_id == user.id]
    if user.unit is not None:
        targets.append(Assignment.unit_id.in_(user.unit.ancestor_ids()))
    return sa.and_(Assignment.withdrawn_at.is_(None), sa.or_(*targets))


def due_dates(user: User) -> dict[int, date | None]:
    """module id -> earliest due date among the live assignments reaching `user`."""
    rows = db.session.execute(
        sa.select(Assignment.module_id, Assignment.due_date).where(assignment_filter(user)))
    out: dict[int, date | None] = {}
    for module_id, due in rows:
        if module_id not in out or (due and (out[module_id] is None or due < out[module_id])):
            out[module_id] = due
    return out


def can_open(user: User, module: Module) -> bool:
    """Learners open assigned modules; trainers and admins may open any module to preview it."""
    if not module.active:
        return False
    if user.role in (Role.TRAINER, Role.ADMIN):
        return True
    return module.id in due_dates(user)


@dataclass
class ModuleProgress:
    module: Module
    due_date: date | None
    lessons_total: int
    lessons_read: int
    attempts_used: int
    best_score: float | None
    passed: bool
    completed_at: Any
    next_lesson: Lesson | None

    @property
    def percent(self) -> int:
        return round(100 * (self.lessons_read + (1 if self.passed else 0)) / (self.lessons_total + 1))

    @property
    def attempts_left(self) -> int | None:
        if not self.module.max_attempts:
            return None
        return max(0, self.module.max_attempts - self.attempts_used)

    @property
    def status(self) -> str:
        if self.completed_at:
            return "completed"
        if self.due_date and self.due_date < today():
            return "overdue"
        if self.lessons_read or self.attempts_used:
            return "in_progress"
        return "not_started"

    @property
    def out_of_attempts(self) -> bool:
        return not self.passed and self.attempts_left == 0


def progress_for(user: User, modules: dict[int, date | None]) -> list[ModuleProgress]:
    """Progress of `user` in each module id of `modules` (id -> due date), in a fixed number of queries."""
    if not modules:
        return []
    ids = list(modules)
    mods = db.session.scalars(sa.select(Module).where(Module.id.in_(ids), Module.active)
                              .order_by(Module.position, Module.id)).all()
    lessons: dict[int, list[Lesson]] = {}
    for lesson in db.session.scalars(sa.select(Lesson).where(Lesson.module_id.in_(ids), Lesson.active)
                                     .order_by(Lesson.position)):
        lessons.setdefault(lesson.module_id, []).append(lesson)
    read = set(db.session.scalars(
        sa.select(LessonCompletion.lesson_id).join(Lesson).where(
            LessonCompletion.user_id == user.id, Lesson.module_id.in_(ids))))
    attempts = {
        row.module_id: row for row in db.session.execute(
            sa.select(QuizAttempt.module_id, sa.func.count().label("used"), sa.func.max(QuizAttempt.score).label("best"),
                      sa.func.max(sa.case((QuizAttempt.passed, 1), else_=0)).label("passed"))
            .where(QuizAttempt.user_id == user.id, QuizAttempt.module_id.in_(ids), QuizAttempt.submitted_at.is_not(None))
            .group_by(QuizAttempt.module_id))
    }
    done = dict(db.session.execute(
        sa.select(ModuleCompletion.module_id, ModuleCompletion.completed_at)
        .where(ModuleCompletion.user_id == user.id, ModuleCompletion.module_id.in_(ids))).all())
    out = []
    for module in mods:
        mod_lessons = lessons.get(module.id, [])
        row = attempts.get(module.id)
        out.append(ModuleProgress(
            module=module, due_date=modules[module.id], lessons_total=len(mod_lessons),
            lessons_read=sum(1 for l in mod_lessons if l.id in read),
            attempts_used=row.used if row else 0, best_score=row.best if row else None,
            passed=bool(row and row.passed), completed_at=done.get(module.id),
            next_lesson=next((l for l in mod_lessons if l.id not in read), None),
        ))
    return out


def dashboard(user: User) -> list[ModuleProgress]:
    return progress_for(user, due_dates(user))


def module_progress(user: User, module: Module) -> ModuleProgress:
    return progress_for(user, {module.id: due_dates(user).get(module.id)})[0]


def lessons_read(user: User, module: Module) -> set[int]:
    return set(db.session.scalars(
        sa.select(LessonCompletion.lesson_id).join(Lesson).where(
            LessonCompletion.user_id == user.id, Lesson.module_id == module.id)))


# --- lessons and completion ---------------------------------------------------------------------

def mark_lesson_read(user: User, lesson: Lesson) -> None:
    insert_ignore(LessonCompletion, user_id=user.id, lesson_id=lesson.id, completed_at=utcnow())
    update_completion(user, lesson.module)


def update_completion(user: User, module: Module) -> None:
    """Record the module as complete once every lesson is read and the quiz is passed."""
    best = db.session.scalar(sa.select(sa.func.max(QuizAttempt.score)).where(
        QuizAttempt.user_id == user.id, QuizAttempt.module_id == module.id, QuizAttempt.passed.is_(True)))
    if best is None:
        return
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Lesson).where(
        Lesson.module_id == module.id, Lesson.active))
    if len(lessons_read(user, module) & set(l.id for l in module.lessons)) < total:
        return
    completion = db.session.scalar(sa.select(ModuleCompletion).where(
        ModuleCompletion.user_id == user.id, ModuleCompletion.module_id == module.id))
    if completion is None:
        insert_ignore(ModuleCompletion, user_id=user.id, module_id=module.id, completed_at=utcnow(), best_score=best)
    elif best > completion.best_score:
        completion.best_score = best


# --- quiz attempts ----------------------------------------------------------------------------

def open_attempt(user: User, module: Module) -> QuizAttempt | None:
    return db.session.scalar(sa.select(QuizAttempt).where(
        QuizAttempt.user_id == user.id, QuizAttempt.module_id == module.id, QuizAttempt.submitted_at.is_(None)))


def _layout(kind: str, data: dict[str, Any], rng: random.Random) -> list[str]:
    if kind in ("single", "multiple"):
        ids = [o["id"] for o in data["options"]]
    elif kind == "order":
        ids = [s["id"] for s in data["steps"]]
        correct = list(ids)
        while len(ids) > 1 and ids == correct:  # never serve the steps already in order
            rng.shuffle(ids)
        return ids
    else:
        return [f["id"] for f in data["fields"]]  # a protocol keeps its printed order
    rng.shuffle(ids)
    return ids


def start_attempt(user: User, module: Module, rng: random.Random | None = None) -> QuizAttempt:
    """Return the open attempt, or start a new one with questions drawn at random."""
    existing = open_attempt(user, module)
    if existing is not None:
        return existing
    progress = module_progress(user, module)
    if progress.attempts_left == 0:
        raise QuizError("no_attempts_left")
    rng = rng or random.SystemRandom()
    bank = db.session.scalars(
        sa.select(QuestionVersion).join(Question, QuestionVersion.question_id == Question.id).where(
            Question.module_id == module.id, Question.active, QuestionVersion.number == Question.version)
        .order_by(Question.id)).all()
    if not bank:
        raise QuizError("empty_bank")
    drawn = rng.sample(bank, min(module.questions_per_attempt, len(bank)))
    number = (db.session.scalar(sa.select(sa.func.max(QuizAttempt.number)).where(
        QuizAttempt.user_id == user.id, QuizAttempt.module_id == module.id)) or 0) + 1
    attempt = QuizAttempt(user_id=user.id, module_id=module.id, number=number, module_version=module.version,
                          pass_mark=module.pass_mark)
    attempt.items = [AttemptItem(position=i, question_version_id=v.id, layout=_layout(v.kind, v.data, rng))
                     for i, v in enumerate(drawn)]
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:  # a second click started the same attempt in parallel
        existing = open_attempt(user, module)
        if existing is None:
            raise
        return existing
    return attempt


def parse_answer(kind: str, item: AttemptItem, form: Any) -> Any:
    """Read one item's answer from the submitted form, keeping only values that were offered."""
    key = f"q{item.position}"
    if kind == "single":
        value = form.get(key)
        return value if value in item.layout else None
    if kind == "multiple":
        chosen = [v for v in form.getlist(key) if v in item.layout]
        return sorted(set(chosen)) or None
    if kind == "order":
        positions = {}
        for step in item.layout:
            raw = form.get(f"{key}-{step}", "")
            if raw.isdigit() and 1 <= int(raw) <= len(item.layout):
                positions[step] = int(raw)
        return positions or None
    figures = {}
    for field_id in item.layout:
        raw = form.get(f"{key}-{field_id}", "").strip().replace(" ", "")
        if raw.isdigit() and len(raw) <= 9:
            figures[field_id] = int(raw)
    return figures or None


def answer_problem(kind: str, item: AttemptItem) -> str | None:
    """Why an answer is incomplete, for the check-your-answers page (None when complete)."""
    if item.answer is None:
        return "unanswered"
    if kind == "order" and (len(item.answer) < len(item.layout) or len(set(item.answer.values())) < len(item.layout)):
        return "order_incomplete"
    if kind == "protocol" and len(item.answer) < len(item.layout):
        return "protocol_incomplete"
    return None


def save_answers(attempt: QuizAttempt, form: Any) -> None:
    for item in attempt.items:
        item.answer = parse_answer(item.version.kind, item, form)


def submit_attempt(attempt: QuizAttempt, user: User) -> bool:
    """Grade and close the attempt. Returns False if it was already submitted (no second grading)."""
    total = 0.0
    for item in attempt.items:
        outcome = grade(item.version.kind, item.version.data, item.answer, item.layout)
        item.credit = outcome.credit
        total += outcome.credit
    score = round(100 * total / len(attempt.items), 1) if attempt.items else 0.0
    now = utcnow()
    # Only the first submission wins, even when two requests race.
    result = db.session.execute(
        sa.update(QuizAttempt).where(QuizAttempt.id == attempt.id, QuizAttempt.submitted_at.is_(None))
        .values(submitted_at=now, score=score, passed=score >= attempt.pass_mark)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        return False
    db.session.flush()
    db.session.refresh(attempt)
    update_completion(user, attempt.module)
    return True
