"""Keep `learner_progress` true: recompute the rows of given learners from the raw records.

The rules are the learner dashboard's (lms.learn.services.progress): only live assignments
count, work before an assignment's `counts_from` day does not, a module is complete when
its lessons are read, its quiz passed and (where required) a session attended.
Called in the same transaction as every write that can change a learner's standing.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.content.models import Lesson, Module
from lms.extensions import db
from lms.learn.models import (Assignment, AttemptGrant, LearnerProgress, LessonCompletion, ModuleCompletion,
                              QuizAttempt)
from lms.orgs.models import Unit
from lms.reports import summary

CHUNK = 500
TRAINED = (Role.LEARNER, Role.TRAINER)  # trainers take modules too (cascade training)


def _counts(when: datetime | None, since: date | None) -> bool:
    return when is not None and (since is None or when.date() >= since)


def refresh(user_ids: Iterable[int]) -> int:
    """Recompute every learner_progress row of these users; returns the number of rows written."""
    ids = sorted(set(user_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        written += _refresh_chunk(ids[start:start + CHUNK])
    return written


def refresh_module(module_id: int) -> int:
    """Recompute the rows of every learner who has `module_id` (after its lessons change)."""
    ids = db.session.scalars(sa.select(LearnerProgress.user_id).where(LearnerProgress.module_id == module_id)).all()
    return refresh(ids)


def _refresh_chunk(uids: list[int]) -> int:
    session = db.session
    users = session.execute(
        sa.select(User.id, User.unit_id, User.role, Unit.district_id, Unit.oblast_id, Unit.country_id)
        .outerjoin(Unit, User.unit_id == Unit.id)
        .where(User.id.in_(uids), User.role.in_(TRAINED), User.active)).all()
    reach: dict[int, list[int]] = defaultdict(list)  # unit id -> learners at or below it
    unit_of: dict[int, int | None] = {}
    role_of: dict[int, str] = {}
    for uid, unit_id, role, *ancestors in users:
        unit_of[uid] = unit_id
        role_of[uid] = Role(role).value
        for unit in (unit_id, *ancestors):
            if unit is not None:
                reach[unit].append(uid)
    learners = set(unit_of)
    old = [dict(r._mapping) for r in session.execute(
        sa.select(*(c for c in LearnerProgress.__table__.c)).where(LearnerProgress.user_id.in_(uids)))]
    members_before = summary.members(uids)
    members_after = {uid: (unit, role_of[uid]) for uid, unit in unit_of.items() if unit is not None}
    session.execute(sa.delete(LearnerProgress).where(LearnerProgress.user_id.in_(uids)))
    summary.set_members(uids, members_after)
    new = _compute(learners, reach, unit_of)
    if new:
        session.connection().execute(LearnerProgress.__table__.insert(), new)
    summary.progress_changed(old, new, members_before, members_after)
    return len(new)


def _compute(learners: set[int], reach: dict[int, list[int]], unit_of: dict[int, int | None]) -> list[dict]:
    """The learner_progress rows of `learners`, from the raw records."""
    session = db.session
    if not learners:
        return []

    # (user, module) -> [earliest due date, latest counts_from]
    assigned: dict[tuple[int, int], list] = {}
    rows = session.execute(
        sa.select(Assignment.user_id, Assignment.unit_id, Assignment.module_id, Assignment.due_date,
                  Assignment.counts_from)
        .join(Module, Module.id == Assignment.module_id)
        .where(Assignment.withdrawn_at.is_(None), Module.active,
               sa.or_(Assignment.user_id.in_(learners), Assignment.unit_id.in_(list(reach)))))
    for user_id, unit_id, module_id, due, since in rows:
        for uid in ([user_id] if user_id is not None else reach.get(unit_id, [])):
            if uid not in learners:
                continue
            entry = assigned.setdefault((uid, module_id), [due, since])
            if due is not None and (entry[0] is None or due < entry[0]):
                entry[0] = due
            if since is not None and (entry[1] is None or since > entry[1]):
                entry[1] = since
    if not assigned:
        return []
    module_ids = {m for _, m in assigned}
    modules = {m.id: m for m in session.execute(
        sa.select(Module.id, Module.max_attempts, Module.requires_attendance).where(Module.id.in_(module_ids)))}
    lessons: dict[int, list[int]] = defaultdict(list)  # module id -> its active lessons in reading order
    for lesson_id, module_id in session.execute(
            sa.select(Lesson.id, Lesson.module_id).where(Lesson.module_id.in_(module_ids), Lesson.active)
            .order_by(Lesson.position, Lesson.id)):
        lessons[module_id].append(lesson_id)
    lesson_module = {lid: mid for mid, lids in lessons.items() for lid in lids}

    reads: dict[tuple[int, int], dict[int, datetime]] = defaultdict(dict)
    # Filter by user only, so the (user_id, lesson_id) index is used; other modules' lessons are skipped here.
    for uid, lesson_id, at in session.execute(
            sa.select(LessonCompletion.user_id, LessonCompletion.lesson_id, LessonCompletion.completed_at)
            .where(LessonCompletion.user_id.in_(learners))):
        if lesson_id in lesson_module:
            reads[(uid, lesson_module[lesson_id])][lesson_id] = at
    attempts: dict[tuple[int, int], list] = defaultdict(list)
    for uid, module_id, number, score, passed, at in session.execute(
            sa.select(QuizAttempt.user_id, QuizAttempt.module_id, QuizAttempt.number, QuizAttempt.score,
                      QuizAttempt.passed, QuizAttempt.submitted_at)
            .where(QuizAttempt.user_id.in_(learners), QuizAttempt.submitted_at.is_not(None))
            .order_by(QuizAttempt.number)):  # by user only: the (user_id, module_id, number) index
        if module_id in module_ids:
            attempts[(uid, module_id)].append((score, passed, at))
    grants: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for uid, module_id, at in session.execute(
            sa.select(AttemptGrant.user_id, AttemptGrant.module_id, AttemptGrant.granted_at)
            .where(AttemptGrant.user_id.in_(learners), AttemptGrant.module_id.in_(module_ids))):
        grants[(uid, module_id)].append(at)
    done = {(uid, mid): at for uid, mid, at in session.execute(
        sa.select(ModuleCompletion.user_id, ModuleCompletion.module_id, ModuleCompletion.completed_at)
        .where(ModuleCompletion.user_id.in_(learners), ModuleCompletion.module_id.in_(module_ids)))}

    out = []
    for (uid, module_id), (due, since) in assigned.items():
        module = modules[module_id]
        read = {lid for lid, at in reads.get((uid, module_id), {}).items() if _counts(at, since)}
        read_times = [reads[(uid, module_id)][lid] for lid in read]
        tries = [a for a in attempts.get((uid, module_id), []) if _counts(a[2], since)]
        passed = any(p for _, p, _ in tries)
        completed_at = done.get((uid, module_id))
        if not _counts(completed_at, since):
            completed_at = None
        activity = read_times + [at for _, _, at in tries]
        extra = sum(1 for at in grants.get((uid, module_id), []) if _counts(at, since))
        if completed_at:
            status = "completed"
        elif not passed and module.max_attempts and len(tries) >= module.max_attempts + extra:
            status = "failed"
        elif activity:
            status = "in_progress"
        else:
            status = "not_started"
        out.append({
            "user_id": uid, "module_id": module_id, "unit_id": unit_of[uid], "due_date": due, "since": since,
            "lessons_read": len(read_times), "lessons_total": len(lessons[module_id]),
            "attempts": len(tries), "failed_attempts": sum(1 for _, p, _ in tries if not p),
            "best_score": max((s for s, _, _ in tries), default=None),
            "first_score": tries[0][0] if tries else None, "passed": passed,
            "first_passed": bool(tries[0][1]) if tries else None,
            "started_at": min(activity) if activity else None, "completed_at": completed_at, "status": status,
            "extra_attempts": extra,
            "next_lesson_id": next((lid for lid in lessons[module_id] if lid not in read), None),
        })
    return out
