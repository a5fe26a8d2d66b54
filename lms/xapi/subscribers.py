"""The statements of what happens, written from the events (lms.events) in the writer's transaction."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa

from lms import events
from lms.extensions import db
from lms.learn.models import (
    AttemptItem,
    Attendance,
    LessonCompletion,
    ModuleCompletion,
    QuizAttempt,
    TrainingSession,
)
from lms.timeutil import utcnow
from lms.xapi import record
from lms.xapi import vocabulary as v
from lms.xapi.models import XapiStatement


def on_module_launched(sender, user_id: int, module_id: int, since: date | None = None, **_) -> bool:
    """A learner opened a module: one `launched` per training cycle. True when a statement was
    written (the caller, a page that otherwise only reads, then commits)."""
    key = record.launch_key(user_id, module_id, since)
    if db.session.scalar(sa.select(XapiStatement.id).where(XapiStatement.key == key)) is not None:
        return False
    return record.save([record.launched(record.Catalog(), user_id, module_id, since, utcnow())]) > 0


def on_lesson_read(sender, user_id: int, lesson_id: int, **_) -> None:
    """A lesson read (or read again in a new cycle): `experienced`, dated by the reading."""
    at = db.session.scalar(sa.select(LessonCompletion.completed_at).where(
        LessonCompletion.user_id == user_id, LessonCompletion.lesson_id == lesson_id))
    if at is not None:
        record.save([record.lesson_read(record.Catalog(), user_id, lesson_id, at)])


def on_attempt_submitted(sender, attempt_id: int, **_) -> None:
    """A graded attempt: its answers and its result."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    items = db.session.execute(sa.select(AttemptItem.position, AttemptItem.question_version_id, AttemptItem.credit)
                               .where(AttemptItem.attempt_id == attempt_id).order_by(AttemptItem.position)).all()
    record.save(record.attempt_graded(record.Catalog(), attempt, items))


def on_module_completed(sender, user_id: int, module_id: int, **_) -> None:
    """A module completed, or completed again in a new cycle."""
    completion = db.session.scalar(sa.select(ModuleCompletion).where(
        ModuleCompletion.user_id == user_id, ModuleCompletion.module_id == module_id))
    if completion is not None:
        record.save([record.module_completed(record.Catalog(), user_id, module_id, completion.completed_at,
                                             completion.best_score)])


def _attended_statements(session_id: int, user_ids: Iterable[int]) -> dict[int, list[XapiStatement]]:
    found: dict[int, list[XapiStatement]] = {}
    prefix = f"attended:{session_id}:"
    for row in db.session.scalars(sa.select(XapiStatement).where(
            XapiStatement.verb == v.VERBS["attended"], XapiStatement.activity == v.session_iri(session_id),
            XapiStatement.user_id.in_(list(user_ids))).order_by(XapiStatement.id)):
        if row.key.startswith(prefix):
            found.setdefault(row.user_id, []).append(row)
    return found


def sync_attendance(session: TrainingSession, user_ids: Iterable[int], catalog: record.Catalog | None = None) -> int:
    """Make the `attended` statements of these users at `session` follow the attendance records: one
    live statement for each attendee, and each statement of a marking taken back voided. Returns how
    many statements were written."""
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return 0
    catalog = catalog or record.Catalog()
    present = set(db.session.scalars(sa.select(Attendance.user_id).where(
        Attendance.session_id == session.id, Attendance.user_id.in_(user_ids))))
    existing = _attended_statements(session.id, user_ids)
    now, rows = utcnow(), []
    for uid in user_ids:
        mine = existing.get(uid, [])
        live = [s for s in mine if not s.voided]
        if uid in present and not live:
            rows.append(record.attended(catalog, uid, session, len(mine), now))
        elif uid not in present:
            for statement in live:
                statement.voided = True
                rows.append(record.voiding(catalog, statement, now))
    return record.save(rows)


def on_attendance(sender, user_ids: Iterable[int], session_id: int, **_) -> None:
    """Attendance at a session changed."""
    session = db.session.get(TrainingSession, session_id)
    if session is not None:
        sync_attendance(session, user_ids)


SUBSCRIBERS = (
    (events.module_launched, on_module_launched),
    (events.lesson_read, on_lesson_read),
    (events.attempt_submitted, on_attempt_submitted),
    (events.module_completed, on_module_completed),
    (events.attendance_recorded, on_attendance),
)


def subscribe() -> None:
    """Connect the statements to the events (idempotent)."""
    for signal, receiver in SUBSCRIBERS:
        signal.connect(receiver, weak=False)
