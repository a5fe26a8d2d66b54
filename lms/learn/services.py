"""The learner's path: which modules, what is done, quiz attempts and their grading.

Services flush but never commit; the view commits once per request.
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from lms import events
from lms.auth.models import Role, User
from lms.content import kinds
from lms.content.languages import LanguageNotice, notice_from_counts
from lms.content.models import Lesson, LessonBody, Module, Question, QuestionVersion
from lms.core.locks import lock_users
from lms.extensions import db
from lms.i18n import FALLBACK
from lms.learn import rules
from lms.learn.models import (
    Assignment,
    AttemptGrant,
    AttemptItem,
    Attendance,
    LearnerProgress,
    LessonCompletion,
    ModuleCompletion,
    QuizAttempt,
    TrainingSession,
)
from lms.timeutil import utcnow


class QuizError(Exception):
    """A quiz action that is not allowed now (no attempts left, nothing to start...)."""


def insert_ignore(model: type, **values: Any) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, on SQLite and PostgreSQL."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())


# --- which modules a learner has -------------------------------------------------------------
# The statements of the learner's hot pages are built once, with bound parameters, so that each
# request only binds values (SQLAlchemy then skips rebuilding and re-keying the statement).

_UID = sa.bindparam("uid")
_LIVE = sa.and_(Assignment.withdrawn_at.is_(None),
                sa.or_(Assignment.user_id == _UID, Assignment.unit_id.in_(sa.bindparam("units", expanding=True))))
_MID = sa.bindparam("mid")
_ASSIGNED_MODULE = (
    sa.select(Module.id, Module.slug, Module.title, Module.max_attempts, Module.requires_attendance,
              sa.func.min(Assignment.due_date).label("due"), sa.func.max(Assignment.counts_from).label("since"))
    .join(Assignment, Assignment.module_id == Module.id).where(_LIVE, Module.active, Module.id == _MID)
    .group_by(Module.id))
_ACCESS = (sa.select(sa.func.count(Assignment.id), sa.func.max(Assignment.counts_from))
           .where(_LIVE, Assignment.module_id == _MID))
_LESSONS_READ = (
    sa.select(Lesson.slug, Lesson.title, LessonCompletion.completed_at)
    .outerjoin(LessonCompletion, sa.and_(LessonCompletion.lesson_id == Lesson.id, LessonCompletion.user_id == _UID))
    .where(Lesson.module_id == _MID, Lesson.active).order_by(Lesson.position))
_ATTEMPTS = (
    sa.select(QuizAttempt.score, QuizAttempt.passed, QuizAttempt.submitted_at)
    .where(QuizAttempt.user_id == _UID, QuizAttempt.module_id == _MID, QuizAttempt.submitted_at.is_not(None)))
_COMPLETIONS = sa.select(ModuleCompletion.completed_at).where(
    ModuleCompletion.user_id == _UID, ModuleCompletion.module_id == _MID)
_GRANTS = sa.select(AttemptGrant.granted_at).where(AttemptGrant.user_id == _UID, AttemptGrant.module_id == _MID)


def _core_rows(statement: sa.Select, params: dict[str, Any]) -> sa.CursorResult:
    """Run a statement of plain columns (no entities) through Core: the ORM's per-statement layer
    costs more than the queries of the learner's busiest pages. Flushes first, as autoflush would."""
    db.session.flush()
    return db.session.connection().execute(statement, params)


def _who(user: User) -> dict[str, Any]:
    return {"uid": user.id, "units": user.unit_ancestor_ids()}


class ModuleRef(NamedTuple):
    id: int
    slug: str
    title: dict[str, str]


@dataclass
class LessonPage:
    module: ModuleRef
    allowed: bool  # assigned to the user, or a trainer's or admin's preview
    since: date | None  # work before this day does not count
    lessons: list[sa.Row]  # the module's active lessons in order: id, slug, completed_at; title and body_*
    langs: tuple[str, ...]  # only for the requested lesson: body_<lang> for each of these languages


@functools.cache
def _lesson_page_query(lang: str) -> tuple[sa.Select, tuple[str, ...]]:
    langs = tuple(dict.fromkeys((lang, *FALLBACK)))
    module_id = sa.select(Module.id).where(Module.slug == sa.bindparam("module"), Module.active).scalar_subquery()
    access = (sa.select(sa.func.count(Assignment.id).label("assigned"),
                        sa.func.max(Assignment.counts_from).label("since"))
              .where(_LIVE, Assignment.module_id == module_id).subquery())
    current = Lesson.slug == sa.bindparam("lesson")
    query = (
        sa.select(Module.id.label("module_id"), Module.slug.label("module_slug"), Module.title.label("module_title"),
                  access.c.assigned, access.c.since, Lesson.id, Lesson.slug, LessonCompletion.completed_at,
                  sa.case((current, Lesson.title), else_=sa.null()).label("title"),
                  *[sa.case((current, sa.select(LessonBody.html).where(LessonBody.lesson_id == Lesson.id,
                                                                       LessonBody.lang == code).scalar_subquery()),
                            else_=sa.null()).label(f"body_{code}")
                    for code in langs])
        .select_from(Module).join(access, sa.true())
        .join(Lesson, sa.and_(Lesson.module_id == Module.id, Lesson.active))
        .outerjoin(LessonCompletion, sa.and_(LessonCompletion.lesson_id == Lesson.id, LessonCompletion.user_id == _UID))
        .where(Module.slug == sa.bindparam("module"), Module.active).order_by(Lesson.position))
    return query, langs


def lesson_page(user: User, module_slug: str, lesson_slug: str, lang: str) -> LessonPage | None:
    """One query for a lesson page: the module, whether `user` may open it and since when work
    counts, its lessons with this user's read marks, and the requested lesson's title and body in
    `lang` and its fallbacks only (its lesson_bodies rows). None: no such module."""
    query, langs = _lesson_page_query(lang)
    rows = _core_rows(query, {**_who(user), "module": module_slug, "lesson": lesson_slug}).all()
    if not rows:
        return None
    first = rows[0]
    return LessonPage(ModuleRef(first.module_id, first.module_slug, first.module_title),
                      bool(first.assigned) or user.role in (Role.TRAINER, Role.ADMIN), first.since, rows, langs)


def lesson_text(bodies: dict[str, str | None], lang: str) -> tuple[str, str]:
    """(the language a lesson is shown in to a reader of `lang`, its HTML): `lang` where the lesson has
    it, else Russian, else English; courses check requires English and Russian, so one is there."""
    langs = tuple(dict.fromkeys((lang, *FALLBACK)))
    return next(((code, text) for code in langs if (text := bodies.get(code))), (langs[-1], ""))


def access(user: User, module: Module) -> tuple[bool, date | None]:
    """(may `user` open `module`, the day from which their work on it counts)."""
    if not module.active:
        return False, None
    assigned, since = db.session.execute(_ACCESS, {**_who(user), "mid": module.id}).one()
    if user.role in (Role.TRAINER, Role.ADMIN):  # they may preview any module
        return True, since
    return bool(assigned), since


def can_open(user: User, module: Module) -> bool:
    """True if `user` may open `module`."""
    return access(user, module)[0]


@dataclass
class LessonRef:
    slug: str
    title: dict[str, str]


@dataclass
class ModuleProgress:
    module: Module
    due_date: date | None
    since: date | None = None
    lessons_total: int = 0
    lessons_read: int = 0
    attempts_used: int = 0
    best_score: float | None = None
    passed: bool = False
    completed_at: Any = None
    next_lesson: LessonRef | None = None
    extra_attempts: int = 0  # granted by a trainer in this cycle
    language: LanguageNotice | None = None  # set by dashboard(): the module is not all in the reader's language

    @property
    def percent(self) -> int:
        """Percent of the module done: each lesson read and the passed quiz count as one step."""
        return round(100 * (self.lessons_read + (1 if self.passed else 0)) / (self.lessons_total + 1))

    @property
    def attempts_left(self) -> int | None:
        """Quiz attempts left (None: no limit)."""
        return rules.attempts_left(self.module.max_attempts, self.extra_attempts, self.attempts_used)

    @property
    def out_of_attempts(self) -> bool:
        """Not passed and no attempt left: only a trainer can help now."""
        return rules.out_of_attempts(self.passed, self.module.max_attempts, self.extra_attempts, self.attempts_used)

    @property
    def status(self) -> str:
        """The status to show (lms.learn.rules)."""
        stored = rules.stored_status(bool(self.completed_at), self.out_of_attempts,
                                     bool(self.lessons_read or self.attempts_used))
        return rules.shown_status(stored, self.due_date)

    @property
    def quiz_status(self) -> str:
        """The quiz's own standing: passed, failed (no attempt left), tried, or not yet."""
        if self.passed:
            return "completed"
        if self.out_of_attempts:
            return "failed"
        return "in_progress" if self.attempts_used else "not_started"


def module_progress(user: User, module: Module) -> ModuleProgress:
    """The learner's progress in `module`, computed from the raw records in five queries."""
    params = {**_who(user), "mid": module.id}
    row = db.session.execute(_ASSIGNED_MODULE, params).first()
    # without an assignment: a trainer's preview of a module not assigned to them
    p = ModuleProgress(row, row.due, row.since) if row is not None else ModuleProgress(module, None)
    for slug, title, read_at in db.session.execute(_LESSONS_READ, params):
        p.lessons_total += 1
        if rules.counts(read_at, p.since):
            p.lessons_read += 1
        elif p.next_lesson is None:
            p.next_lesson = LessonRef(slug, title)
    for score, passed, submitted_at in db.session.execute(_ATTEMPTS, params):
        if rules.counts(submitted_at, p.since):
            p.attempts_used += 1
            p.best_score = score if p.best_score is None else max(p.best_score, score)
            p.passed = p.passed or bool(passed)
    p.extra_attempts = sum(1 for at in db.session.scalars(_GRANTS, params) if rules.counts(at, p.since))
    completed_at = db.session.scalar(_COMPLETIONS, params)
    if rules.counts(completed_at, p.since):
        p.completed_at = completed_at
    return p


_DASHBOARD = (
    sa.select(Module.id, Module.slug, Module.title, Module.max_attempts,
              LearnerProgress.due_date, LearnerProgress.since, LearnerProgress.lessons_total,
              LearnerProgress.lessons_read, LearnerProgress.attempts, LearnerProgress.best_score,
              LearnerProgress.passed, LearnerProgress.completed_at, LearnerProgress.extra_attempts,
              Lesson.slug.label("next_slug"), Lesson.title.label("next_title"))
    .join(Module, Module.id == LearnerProgress.module_id)
    .outerjoin(Lesson, Lesson.id == LearnerProgress.next_lesson_id)
    .where(LearnerProgress.user_id == _UID, Module.active)
    .order_by(Module.position, Module.id))


@functools.cache
def _dashboard_query(lang: str) -> sa.Select:
    """The dashboard's statement, with how many of each module's active lessons have no `lang` text."""
    others = sa.orm.aliased(Lesson)
    in_module = sa.and_(others.module_id == Module.id, others.active)
    lessons = sa.select(sa.func.count(others.id)).where(in_module).scalar_subquery()
    missing = sa.select(sa.func.count(others.id)).where(
        in_module, others.title[lang].as_string().is_(None)).scalar_subquery()
    return _DASHBOARD.add_columns(lessons.label("lessons_now"), missing.label("lessons_missing_lang"))


def dashboard(user: User, lang: str | None = None) -> list[ModuleProgress]:
    """The dashboard's cards, in one query from the materialised `learner_progress` rows; with
    `lang`, the reader's language, each card also says whether its module is shown in another.

    They hold the same figures module_progress() computes from the raw records (lms.learn.status keeps
    them so on every write); pages that enforce rules, such as the quiz's attempt limit, use module_progress().
    """
    query = _dashboard_query(lang) if lang else _DASHBOARD
    return [ModuleProgress(row, row.due_date, row.since, row.lessons_total, row.lessons_read, row.attempts,
                           row.best_score, row.passed, row.completed_at,
                           LessonRef(row.next_slug, row.next_title) if row.next_slug else None, row.extra_attempts,
                           notice_from_counts(lang, row.lessons_now, row.lessons_missing_lang) if lang else None)
            for row in _core_rows(query, {"uid": user.id})]


def lessons_read(user: User, module: Module, since: date | None = None) -> set[int]:
    """Ids of the lessons of `module` that `user` has read, counting only reads since `since`."""
    rows = db.session.execute(
        sa.select(LessonCompletion.lesson_id, LessonCompletion.completed_at).join(Lesson).where(
            LessonCompletion.user_id == user.id, Lesson.module_id == module.id))
    return {lesson_id for lesson_id, at in rows if rules.counts(at, since)}


# --- lessons and completion ---------------------------------------------------------------------

_READ_AT = sa.select(LessonCompletion).where(
    LessonCompletion.user_id == sa.bindparam("uid"), LessonCompletion.lesson_id == sa.bindparam("lid"))


def mark_lesson_read(user: User, lesson: Lesson, since: date | None = None) -> bool:
    """Record that `user` has read `lesson`; True if that changed anything.

    A reading from before `since` (an earlier election's training) is renewed.
    """
    existing = db.session.scalar(_READ_AT, {"uid": user.id, "lid": lesson.id})
    if existing is not None and rules.counts(existing.completed_at, since):
        return False
    lock_users([user.id])  # one learner's writes run one at a time (two tabs, a retried request)
    existing = db.session.scalar(_READ_AT, {"uid": user.id, "lid": lesson.id})
    if existing is not None and rules.counts(existing.completed_at, since):
        return False
    if existing is None:
        insert_ignore(LessonCompletion, user_id=user.id, lesson_id=lesson.id, completed_at=utcnow())
    else:
        existing.completed_at = utcnow()
    update_completion(user, lesson.module, since)
    events.lesson_read.send(user_id=user.id, module_id=lesson.module_id, lesson_id=lesson.id)
    return True


def attended(user: User, module: Module, since: date | None) -> bool:
    """True if `user` attended a training session on `module` (held on or after `since`)."""
    query = (sa.select(TrainingSession.id).join(Attendance, Attendance.session_id == TrainingSession.id)
             .where(Attendance.user_id == user.id, TrainingSession.module_id == module.id))
    if since is not None:
        query = query.where(TrainingSession.held_on >= since)
    return db.session.execute(query.limit(1)).first() is not None


def update_completion(user: User, module: Module, since: date | None = None, at: datetime | None = None) -> None:
    """Record the module as complete once every lesson is read, the quiz passed and, where the
    module requires it, an in-person session attended; all since `since`. A new completion is
    dated `at` (default: now): the finish of an attempt taken offline, so that its due date is
    judged by when the learner finished, not by when the device was back online."""
    passed = db.session.execute(sa.select(QuizAttempt.score, QuizAttempt.submitted_at).where(
        QuizAttempt.user_id == user.id, QuizAttempt.module_id == module.id, QuizAttempt.passed.is_(True)))
    scores = [score for score, at in passed if rules.counts(at, since)]
    if not scores:
        return
    best = max(scores)
    if not {lesson.id for lesson in module.lessons} <= lessons_read(user, module, since):
        return
    if module.requires_attendance and not attended(user, module, since):
        return
    completion = db.session.scalar(sa.select(ModuleCompletion).where(
        ModuleCompletion.user_id == user.id, ModuleCompletion.module_id == module.id))
    when = utcnow()
    if at is not None:  # not before the last lesson was read: that may have been after `at`
        last_read = db.session.scalar(sa.select(sa.func.max(LessonCompletion.completed_at)).join(Lesson).where(
            LessonCompletion.user_id == user.id, Lesson.module_id == module.id))
        when = max(at, last_read) if last_read is not None else at
    if completion is None:
        insert_ignore(ModuleCompletion, user_id=user.id, module_id=module.id, completed_at=when, best_score=best)
    elif not rules.counts(completion.completed_at, since):  # a new cycle: this completion replaces the old one
        completion.completed_at, completion.best_score = when, best
        db.session.flush()
    else:
        if best > completion.best_score:
            completion.best_score = best
        return
    events.module_completed.send(user_id=user.id, module_id=module.id)  # its certificate is issued


def refresh_completion(user: User, module: Module, at: datetime | None = None) -> None:
    """Re-check completion with the learner's current assignments (after attendance is recorded);
    a completion found is dated `at` (default: now)."""
    update_completion(user, module, access(user, module)[1], at=at)


# --- quiz attempts ----------------------------------------------------------------------------

def open_attempt(user: User, module: Module) -> QuizAttempt | None:
    """The user's attempt at the module's quiz that is not yet submitted, or None."""
    return db.session.scalar(sa.select(QuizAttempt).where(
        QuizAttempt.user_id == user.id, QuizAttempt.module_id == module.id, QuizAttempt.submitted_at.is_(None)))


def draw_questions(module: Module, rng: random.Random) -> list[tuple[QuestionVersion, list[str]]]:
    """Questions for one attempt, drawn at random from the module's bank in its current versions,
    each with the order its parts are shown in. QuizError('empty_bank') if the bank is empty."""
    bank = db.session.scalars(
        sa.select(QuestionVersion).join(Question, QuestionVersion.question_id == Question.id).where(
            Question.module_id == module.id, Question.active, QuestionVersion.number == Question.version)
        .order_by(Question.id)).all()
    if not bank:
        raise QuizError("empty_bank")
    drawn = rng.sample(bank, min(module.questions_per_attempt, len(bank)))
    return [(v, kinds.get(v.kind).layout(v.data, rng)) for v in drawn]


def next_attempt_number(user: User, module: Module) -> int:
    """The number the learner's next attempt at the module gets (call under lock_users)."""
    return (db.session.scalar(sa.select(sa.func.max(QuizAttempt.number)).where(
        QuizAttempt.user_id == user.id, QuizAttempt.module_id == module.id)) or 0) + 1


def start_attempt(user: User, module: Module, rng: random.Random | None = None) -> QuizAttempt:
    """Return the open attempt, or start a new one with questions drawn at random."""
    lock_users([user.id])  # a double-clicked start opens one attempt
    existing = open_attempt(user, module)
    if existing is not None:
        return existing
    progress = module_progress(user, module)
    if progress.attempts_left == 0:
        raise QuizError("no_attempts_left")
    drawn = draw_questions(module, rng or random.SystemRandom())
    attempt = QuizAttempt(user_id=user.id, module_id=module.id, number=next_attempt_number(user, module),
                          module_version=module.version, pass_mark=module.pass_mark)
    attempt.items = [AttemptItem(position=i, question_version_id=v.id, layout=layout)
                     for i, (v, layout) in enumerate(drawn)]
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
    return kinds.get(kind).parse(form, f"q{item.position}", item.layout)


def answer_problem(kind: str, item: AttemptItem) -> str | None:
    """Why an answer is incomplete, for the check-your-answers page (None when complete)."""
    if item.answer is None:
        return "unanswered"
    return kinds.get(kind).incomplete(item.answer, item.layout)


def save_answers(attempt: QuizAttempt, form: Any) -> bool:
    """Store the answers in the form on the attempt's items. Returns False, changing nothing,
    when the attempt was submitted meanwhile (a save racing the submit of another tab)."""
    lock_users([attempt.user_id])
    db.session.refresh(attempt)  # read again under the lock: a submit may have closed it
    if not attempt.is_open:
        return False
    for item in attempt.items:
        item.answer = parse_answer(item.version.kind, item, form)
    return True


def score_of(credits: list[float]) -> float:
    """An attempt's score in percent, to one decimal, from the credit (0 to 1) of each of its questions."""
    return round(100 * sum(credits) / len(credits), 1) if credits else 0.0


def submit_attempt(attempt: QuizAttempt, user: User, at: datetime | None = None) -> bool:
    """Grade and close the attempt, as finished now or at `at` (an attempt taken offline, sent
    later). Returns False if it was already submitted (no second grading)."""
    lock_users([attempt.user_id])  # a save of this attempt's answers finishes first, or waits
    db.session.refresh(attempt)
    db.session.scalars(sa.select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)  # the answers as
                       .execution_options(populate_existing=True)).all()  # stored now, not as first read
    for item in attempt.items:
        item.credit = kinds.get(item.version.kind).grade(item.version.data, item.answer, item.layout).credit
    score = score_of([item.credit for item in attempt.items])
    now = at or utcnow()
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
    refresh_completion(user, attempt.module, at=now)
    events.attempt_submitted.send(user_id=user.id, module_id=attempt.module_id, attempt_id=attempt.id,
                                  number=attempt.number, score=score)
    return True


# --- the result of an attempt -----------------------------------------------------------------

@dataclass
class ReviewItem:
    """One question of a submitted attempt as its result page shows it."""

    number: int  # its place in the attempt, from 1
    item: AttemptItem
    data: dict[str, Any]
    outcome: kinds.Outcome
    lessons: list[Lesson]  # the lessons behind the question: its topic
    shown: dict[str, Any]  # what the kind's result partial shows (kinds.QuestionKind.describe)

    @property
    def verdict(self) -> str:
        """right, part or wrong."""
        credit = self.outcome.credit
        return "right" if credit >= 1 else ("part" if credit > 0 else "wrong")

    def __getitem__(self, key: str) -> Any:
        """The kind partials read `d.item`, `d.data`, `d.outcome` and the kind's own keys."""
        if key in self.shown:
            return self.shown[key]
        return getattr(self, key)


@dataclass
class AttemptResult:
    """A submitted attempt with the learner's standing now: what the result page is built from."""

    attempt: QuizAttempt
    progress: ModuleProgress
    items: list[ReviewItem]
    open_attempt: QuizAttempt | None  # another attempt already started

    @property
    def missed(self) -> list[ReviewItem]:
        """The questions not fully right."""
        return [r for r in self.items if r.verdict != "right"]

    @property
    def to_read(self) -> list[tuple[Lesson, list[int]]]:
        """Each lesson behind a missed question, in the module's order, with the numbers of those questions."""
        found: dict[int, tuple[Lesson, list[int]]] = {}
        for r in self.missed:
            for lesson in r.lessons:
                found.setdefault(lesson.id, (lesson, []))[1].append(r.number)
        return sorted(found.values(), key=lambda pair: pair[0].position)

    @property
    def can_retry(self) -> bool:
        """Not passed yet in this cycle, and an attempt is left (or there is no limit)."""
        return not self.progress.passed and self.progress.attempts_left != 0


def question_lessons(data: dict[str, Any], lessons: dict[str, Lesson]) -> list[Lesson]:
    """The module's active lessons behind a question: the one its `topic` names (courses check
    makes sure it is a lesson of the module; a lesson retired since is left out)."""
    topic = data.get("topic")
    return [lessons[topic]] if topic in lessons else []


def review_items(module: Module, items: list[AttemptItem]) -> list[ReviewItem]:
    """The items of an attempt as its result page shows them: each graded on the question version it
    was drawn in (not the module's current one), with the lessons behind it."""
    by_slug = {lesson.slug: lesson for lesson in module.lessons}
    out = []
    for number, item in enumerate(items, start=1):
        data, kind = item.version.data, kinds.get(item.version.kind)
        out.append(ReviewItem(number, item, data, kind.grade(data, item.answer, item.layout),
                              question_lessons(data, by_slug), kind.describe(data, item.answer, item.layout)))
    return out


def attempt_result(attempt: QuizAttempt, learner: User) -> AttemptResult:
    """Everything the result page of a submitted attempt shows, for the learner who made it."""
    module = attempt.module
    return AttemptResult(attempt, module_progress(learner, module), review_items(module, attempt.items),
                         open_attempt(learner, module))
