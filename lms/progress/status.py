"""Keep `learner_progress` and the report summaries true: recompute given learners from the records.

The rules are lms.learn.rules: only live assignments count, work before an assignment's
`counts_from` day does not, the earliest due date applies; a module is complete when its lessons
are read, its quiz passed and (where required) a session attended (lms.learn.services).
lms.progress calls `refresh` from its event subscribers, in the same transaction as the write.
Each learner's rows are recomputed under a lock on the learner (lms.core.locks), compared with
the stored rows, and only the difference is written: upserts and deletes, never
delete-all-and-insert.

The item analysis counts the first attempts of every learner in `report_members` (active, with
a unit) under that membership: a move or deactivation carries their first attempts with it.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.content.models import Lesson, Module
from lms.core.locks import lock_users
from lms.extensions import db
from lms.learn import rules
from lms.learn.models import (
    Assignment,
    AttemptGrant,
    AttemptItem,
    LearnerProgress,
    LessonCompletion,
    ModuleCompletion,
    QuizAttempt,
)
from lms.orgs.models import Unit
from lms.progress import summary
from lms.progress.summary import Deltas

CHUNK = 500
TRAINED = (Role.LEARNER, Role.TRAINER)  # trainers take modules too (cascade training)


KEY = ("user_id", "module_id")
FIELDS = tuple(c.name for c in LearnerProgress.__table__.c)


def refresh(user_ids: Iterable[int]) -> int:
    """Recompute every learner_progress row of these users and the summaries; returns rows written."""
    ids = sorted(set(user_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        written += _refresh_chunk(ids[start:start + CHUNK])
    return written


def module_learners(module_ids: Iterable[int]) -> list[int]:
    """Learners who have a progress row in these modules (after their lessons change)."""
    return list(db.session.scalars(sa.select(LearnerProgress.user_id.distinct())
                                   .where(LearnerProgress.module_id.in_(list(module_ids)))))


def memberships(uids: list[int]) -> dict[int, tuple[int, str]]:
    """Where each of these users should be counted: active learners and trainers with a unit."""
    return {uid: (unit_id, Role(role).value) for uid, unit_id, role in db.session.execute(
        sa.select(User.id, User.unit_id, User.role)
        .where(User.id.in_(uids), User.role.in_(TRAINED), User.active, User.unit_id.is_not(None)))}


def compute(uids: list[int]) -> tuple[list[dict], dict[int, tuple[int, str]]]:
    """The learner_progress rows and memberships of these users, from the source records."""
    users = db.session.execute(
        sa.select(User.id, User.unit_id, Unit.district_id, Unit.oblast_id, Unit.country_id)
        .outerjoin(Unit, User.unit_id == Unit.id)
        .where(User.id.in_(uids), User.role.in_(TRAINED), User.active)).all()
    reach: dict[int, list[int]] = defaultdict(list)  # unit id -> learners at or below it
    unit_of: dict[int, int | None] = {}
    for uid, unit_id, *ancestors in users:
        unit_of[uid] = unit_id
        for unit in (unit_id, *ancestors):
            if unit is not None:
                reach[unit].append(uid)
    return _compute(set(unit_of), reach, unit_of), memberships(uids)


def first_attempts(uids: Iterable[int], only: int | None = None) -> dict[int, list[tuple[float, list]]]:
    """user id -> their graded first attempts (or just attempt `only`): (score, [(version id, answer,
    credit, layout, data)])."""
    from lms.content.models import QuestionVersion

    only_cond = [QuizAttempt.id == only] if only is not None else []
    out: dict[int, dict[int, tuple[float, list]]] = defaultdict(dict)
    rows = db.session.execute(
        sa.select(QuizAttempt.user_id, QuizAttempt.id, QuizAttempt.score, AttemptItem.question_version_id,
                  AttemptItem.answer, AttemptItem.credit, AttemptItem.layout)
        .join(AttemptItem, AttemptItem.attempt_id == QuizAttempt.id)
        .where(QuizAttempt.user_id.in_(list(uids)), QuizAttempt.number == 1, QuizAttempt.submitted_at.is_not(None),
               *only_cond)
        .order_by(QuizAttempt.id, AttemptItem.position))
    rows = rows.all()
    ids = {r.question_version_id for r in rows}
    data = dict(db.session.execute(sa.select(QuestionVersion.id, QuestionVersion.data)
                                   .where(QuestionVersion.id.in_(ids))).all()) if ids else {}
    for uid, attempt_id, score, version_id, answer, credit, layout in rows:
        out[uid].setdefault(attempt_id, (score, []))[1].append(
            (version_id, answer, credit or 0.0, layout, data[version_id]))
    return {uid: list(attempts.values()) for uid, attempts in out.items()}


def item_deltas(members: dict[int, tuple[int, str]], attempts: dict[int, list], sign: int, out: Deltas) -> None:
    """Add (or take away) the first attempts of these members who are officials ("learner")."""
    summary.first_attempts([(members[uid][0], score, items) for uid, tries in attempts.items()
                            if members.get(uid, (None, ""))[1] == Role.LEARNER.value for score, items in tries],
                           sign, out)


def _refresh_chunk(uids: list[int]) -> int:
    session = db.session
    lock_users(uids)
    old = {(r.user_id, r.module_id): dict(r._mapping) for r in session.execute(
        sa.select(*LearnerProgress.__table__.c).where(LearnerProgress.user_id.in_(uids)))}
    members_before = summary.members(uids)
    rows, members_after = compute(uids)
    new = {(r["user_id"], r["module_id"]): r for r in rows}
    gone = sorted(k for k in old if k not in new)
    changed = [new[k] for k in sorted(new) if old.get(k) != new[k]]
    if gone:
        for uid in sorted({u for u, _ in gone}):
            mids = [m for u, m in gone if u == uid]
            session.execute(sa.delete(LearnerProgress).where(LearnerProgress.user_id == uid,
                                                             LearnerProgress.module_id.in_(mids)))
    if changed:
        _upsert(changed)
    deltas = summary.pending()
    summary.progress_changed([old[k] for k in gone] + [old[r["user_id"], r["module_id"]] for r in changed
                                                       if (r["user_id"], r["module_id"]) in old],
                             changed, members_before, members_after, deltas)
    moved = [u for u in set(members_before) | set(members_after) if members_before.get(u) != members_after.get(u)]
    if moved:
        attempts = first_attempts(moved)
        item_deltas(members_before, attempts, -1, deltas)
        item_deltas(members_after, attempts, 1, deltas)
    summary.set_members(members_before, members_after)
    return len(changed)


def _upsert(rows: list[dict]) -> None:
    """INSERT ... ON CONFLICT (user_id, module_id) DO UPDATE for these rows, in key order."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(LearnerProgress.__table__)
    stmt = stmt.on_conflict_do_update(index_elements=list(KEY),
                                      set_={f: stmt.excluded[f] for f in FIELDS if f not in KEY})
    db.session.execute(stmt, rows)


def attempt_graded(user_id: int, attempt_id: int, number: int) -> None:
    """A first attempt joins the item analysis under the learner's stored membership (before the
    refresh that follows, which moves all of a learner's first attempts if the membership changed)."""
    if number != 1:
        return
    lock_users([user_id])
    members = summary.members([user_id])
    item_deltas(members, first_attempts([user_id], only=attempt_id), 1, summary.pending())


def _compute(learners: set[int], reach: dict[int, list[int]], unit_of: dict[int, int | None]) -> list[dict]:
    """The learner_progress rows of `learners`, from the raw records."""
    session = db.session
    if not learners:
        return []

    # (user, module) -> (earliest due date, latest counts_from)
    assigned: dict[tuple[int, int], tuple] = {}
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
            assigned[(uid, module_id)] = rules.merge_due(assigned.get((uid, module_id)), due, since)
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
    for uid, module_id, _number, score, passed, at in session.execute(
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
        read = {lid for lid, at in reads.get((uid, module_id), {}).items() if rules.counts(at, since)}
        read_times = [reads[(uid, module_id)][lid] for lid in read]
        tries = [a for a in attempts.get((uid, module_id), []) if rules.counts(a[2], since)]
        passed = any(p for _, p, _ in tries)
        completed_at = done.get((uid, module_id))
        if not rules.counts(completed_at, since):
            completed_at = None
        activity = read_times + [at for _, _, at in tries]
        extra = sum(1 for at in grants.get((uid, module_id), []) if rules.counts(at, since))
        status = rules.stored_status(bool(completed_at),
                                     rules.out_of_attempts(passed, module.max_attempts, extra, len(tries)),
                                     bool(activity))
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
