"""Derived state: learner_progress and the report summaries, kept from the events in one place.

Services announce what happened (lms.events); the subscribers below are the only code that
recomputes the derived tables. `flask reports rebuild` recomputes them all from the source
records, and `--check` compares without writing (lms.progress.rebuild).
"""
from __future__ import annotations

import time
from collections.abc import Iterable

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from lms import events
from lms.auth.models import User
from lms.core.locks import lock_users
from lms.core.retry import retryable
from lms.extensions import db
from lms.orgs.models import Unit
from lms.progress import status, summary

CHUNK_ATTEMPTS = 4


def reached(unit_ids: Iterable[int], user_ids: Iterable[int]) -> list[int]:
    """Learners (and trainers, who take modules too) at or below these units, and these users."""
    found = set(user_ids)
    units = list(set(unit_ids))
    if units:
        below = sa.or_(Unit.id.in_(units), Unit.country_id.in_(units), Unit.oblast_id.in_(units),
                       Unit.district_id.in_(units))
        found.update(db.session.scalars(sa.select(User.id).join(Unit, User.unit_id == Unit.id)
                                        .where(User.role.in_(status.TRAINED), below)))
    return sorted(found)


def refresh_in_chunks(user_ids: list[int]) -> int:
    """Refresh many learners for a trainer's bulk change; returns how many.

    Up to one chunk stays in the caller's transaction. Beyond that the caller's records are
    committed first, then each chunk of learners is refreshed and committed on its own, so that
    no transaction holds hundreds of learners' locks (and the shared summary rows) for long. A
    chunk that meets a conflict with a learner's own request is retried on its own. Refreshing is
    idempotent: a trainer who repeats the operation after a failure completes the rest."""
    if len(user_ids) <= status.CHUNK:
        status.refresh(user_ids)
        return len(user_ids)
    db.session.commit()
    for start in range(0, len(user_ids), status.CHUNK):
        chunk = user_ids[start:start + status.CHUNK]
        for attempt in range(1, CHUNK_ATTEMPTS + 1):
            try:
                status.refresh(chunk)
                db.session.commit()
                break
            except (OperationalError, IntegrityError) as error:
                db.session.rollback()
                if not retryable(error) or attempt == CHUNK_ATTEMPTS:
                    raise
                time.sleep(0.02 * attempt)
    return len(user_ids)


def _on_learners(sender, user_ids: Iterable[int], **_) -> None:
    status.refresh(user_ids)


def _on_lesson_read(sender, user_id: int, **_) -> None:
    status.refresh([user_id])


def _on_attempt_submitted(sender, user_id: int, attempt_id: int, number: int, **_) -> None:
    status.attempt_graded(user_id, attempt_id, number)
    status.refresh([user_id])


def _on_attempt_granted(sender, user_id: int, **_) -> None:
    status.refresh([user_id])


def _on_attendance(sender, user_ids: Iterable[int], **_) -> None:
    status.refresh(user_ids)


def _on_assignments(sender, unit_ids: Iterable[int] = (), user_ids: Iterable[int] = (), **_) -> int:
    return refresh_in_chunks(reached(unit_ids, user_ids))


def _on_unit_moved(sender, unit_id: int, old_above: Iterable[int], **_) -> int:
    """The officials below a moved unit keep their unit, but not the units above it: the summaries of
    the old and new units above take the moved unit's figures (under the learners' locks, so that no
    learner's own request adds to them meanwhile), then their progress follows the assignments of
    the new units above (refreshed as a bulk assignment is). Returns how many were refreshed."""
    ids = reached([unit_id], [])
    lock_users(ids)
    new_above = summary.ancestors([unit_id]).get(unit_id, [unit_id])[1:]
    summary.unit_moved(unit_id, list(old_above), new_above)
    return refresh_in_chunks(ids)


def _on_modules(sender, module_ids: Iterable[int], **_) -> None:
    from lms.learn.models import Assignment

    module_ids = list(module_ids)
    if not module_ids:
        return
    targets = db.session.execute(sa.select(Assignment.unit_id, Assignment.user_id).where(
        Assignment.module_id.in_(module_ids), Assignment.withdrawn_at.is_(None))).all()
    ids = set(reached({u for u, _ in targets if u is not None}, {v for _, v in targets if v is not None}))
    status.refresh(ids | set(status.module_learners(module_ids)))


SUBSCRIBERS = (
    (events.learners_changed, _on_learners),
    (events.lesson_read, _on_lesson_read),
    (events.attempt_submitted, _on_attempt_submitted),
    (events.attempt_granted, _on_attempt_granted),
    (events.attendance_recorded, _on_attendance),
    (events.assignments_changed, _on_assignments),
    (events.unit_moved, _on_unit_moved),
    (events.modules_imported, _on_modules),
)


def subscribe() -> None:
    """Connect the derived tables to the events, and the summary deltas to every commit (idempotent)."""
    for signal, receiver in SUBSCRIBERS:
        signal.connect(receiver, weak=False)
    if not sa.event.contains(Session, "before_commit", summary.write_pending):
        sa.event.listen(Session, "before_commit", summary.write_pending)
        sa.event.listen(Session, "after_transaction_end", summary.drop_pending)


def init_app(app: Flask) -> None:
    """Subscribe the derived tables and register `flask reports rebuild`."""
    from lms.progress.cli import reports_cli

    subscribe()
    app.cli.add_command(reports_cli)
