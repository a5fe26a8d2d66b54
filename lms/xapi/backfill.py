"""Statements for records made before the platform recorded statements (`flask xapi backfill`).

Each kind of record is read in chunks by id, and its statements are built by the same builders
as the events' (lms.xapi.record) and saved with their keys, so running it again, or on records
that already have their statements, adds nothing. What can be rebuilt is what the records still
hold: the latest reading of each lesson, every graded attempt, the current completion of each
module, the current attendance, and a launch for each module a learner has started.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import sqlalchemy as sa

from lms.extensions import db
from lms.learn.models import (
    AttemptItem,
    Attendance,
    LearnerProgress,
    LessonCompletion,
    ModuleCompletion,
    QuizAttempt,
    TrainingSession,
)
from lms.xapi import record
from lms.xapi.subscribers import sync_attendance

CHUNK = 2000


def _chunks(query: sa.Select, id_column) -> Iterator[list]:
    last = 0
    while True:
        rows = db.session.execute(query.where(id_column > last).order_by(id_column).limit(CHUNK)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _lessons(catalog: record.Catalog) -> int:
    new = 0
    query = sa.select(LessonCompletion.id, LessonCompletion.user_id, LessonCompletion.lesson_id,
                      LessonCompletion.completed_at)
    for rows in _chunks(query, LessonCompletion.id):
        catalog.load_users(r.user_id for r in rows)
        new += record.save(record.lesson_read(catalog, r.user_id, r.lesson_id, r.completed_at) for r in rows)
        db.session.commit()
    return new


def _attempts(catalog: record.Catalog) -> int:
    new = 0
    query = sa.select(QuizAttempt.id).where(QuizAttempt.submitted_at.is_not(None))
    for rows in _chunks(query, QuizAttempt.id):
        ids = [r.id for r in rows]
        attempts = db.session.scalars(sa.select(QuizAttempt).where(QuizAttempt.id.in_(ids))).all()
        items: dict[int, list] = {}
        for item in db.session.execute(sa.select(AttemptItem.attempt_id, AttemptItem.position,
                                                 AttemptItem.question_version_id, AttemptItem.credit)
                                       .where(AttemptItem.attempt_id.in_(ids)).order_by(AttemptItem.position)):
            items.setdefault(item.attempt_id, []).append((item.position, item.question_version_id, item.credit))
        catalog.load_users(a.user_id for a in attempts)
        new += record.save(row for a in attempts for row in record.attempt_graded(catalog, a, items.get(a.id, [])))
        db.session.commit()
        db.session.expunge_all()
        catalog.modules.clear()  # expunged: read again on use
        catalog.lessons.clear()
    return new


def _completions(catalog: record.Catalog) -> int:
    new = 0
    query = sa.select(ModuleCompletion.id, ModuleCompletion.user_id, ModuleCompletion.module_id,
                      ModuleCompletion.completed_at, ModuleCompletion.best_score)
    for rows in _chunks(query, ModuleCompletion.id):
        catalog.load_users(r.user_id for r in rows)
        new += record.save(record.module_completed(catalog, r.user_id, r.module_id, r.completed_at, r.best_score)
                           for r in rows)
        db.session.commit()
    return new


def _launches(catalog: record.Catalog) -> int:
    """A launch for each module a learner has started (dated by the first activity the progress knows)."""
    new, last = 0, (0, 0)
    while True:
        rows = db.session.execute(
            sa.select(LearnerProgress.user_id, LearnerProgress.module_id, LearnerProgress.since,
                      LearnerProgress.started_at)
            .where(LearnerProgress.started_at.is_not(None),
                   sa.tuple_(LearnerProgress.user_id, LearnerProgress.module_id) > sa.tuple_(*last))
            .order_by(LearnerProgress.user_id, LearnerProgress.module_id).limit(CHUNK)).all()
        if not rows:
            return new
        catalog.load_users(r.user_id for r in rows)
        new += record.save(record.launched(catalog, r.user_id, r.module_id, r.since, r.started_at) for r in rows)
        db.session.commit()
        last = (rows[-1].user_id, rows[-1].module_id)


def _attendance(catalog: record.Catalog) -> int:
    new = 0
    for session in db.session.scalars(sa.select(TrainingSession).order_by(TrainingSession.id)).all():
        users = list(db.session.scalars(sa.select(Attendance.user_id).where(Attendance.session_id == session.id)))
        catalog.load_users(users)
        new += sync_attendance(session, users, catalog)
        db.session.commit()
    return new


STEPS: tuple[tuple[str, Callable[[record.Catalog], int]], ...] = (
    ("launched", _launches), ("experienced", _lessons), ("answered, passed and failed", _attempts),
    ("completed", _completions), ("attended", _attendance),
)


def backfill(report: Callable[[str, int], None] = lambda step, n: None) -> int:
    """Write the statements missing for the existing records; how many were new."""
    catalog, total = record.Catalog(), 0
    for step, run in STEPS:
        new = run(catalog)
        report(step, new)
        total += new
    return total
