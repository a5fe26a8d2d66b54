"""Recompute every derived table from the source records, or compare them without writing.

The source records are users and their memberships, assignments, lessons read, quiz attempts,
attempt grants, attendance and completions. The derived tables are `learner_progress`,
`report_members` and the report summaries (lms.progress.models).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from lms.auth.models import User
from lms.extensions import db
from lms.learn.models import LearnerProgress
from lms.progress import status, summary
from lms.progress.models import ReportMember
from lms.progress.summary import TABLES, Deltas

TOLERANCE = 1e-6  # sums of scores are floats: the order of additions may differ in the last digits


@dataclass
class Difference:
    table: str
    key: tuple
    stored: object
    expected: object

    def __str__(self) -> str:
        return f"{self.table} {self.key}: stored {self.stored}, expected {self.expected}"


@dataclass
class Outcome:
    differences: list[Difference] = field(default_factory=list)
    count: int = 0  # all differences, of which at most `limit` are kept
    rows: dict[str, int] = field(default_factory=dict)  # rows expected per table

    def add(self, diff: Difference, limit: int) -> None:
        """Count a difference, keeping it when fewer than `limit` are kept."""
        self.count += 1
        if len(self.differences) < limit:
            self.differences.append(diff)


def _users() -> list[int]:
    return list(db.session.scalars(sa.select(User.id).where(User.role.in_(status.TRAINED)).order_by(User.id)))


def _expected() -> Iterator[tuple[list[dict], dict[int, tuple[int, str]], Deltas]]:
    """Chunk by chunk of learners: their progress rows, memberships and summary contributions."""
    ids = _users()
    for start in range(0, len(ids), status.CHUNK):
        uids = ids[start:start + status.CHUNK]
        rows, members = status.compute(uids)
        deltas = Deltas()
        summary.progress_changed([], rows, {}, members, deltas)
        status.item_deltas(members, status.first_attempts(list(members)), 1, deltas)
        yield rows, members, deltas


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(float(a) - float(b)) <= TOLERANCE
    return a == b


def check(limit: int = 20) -> Outcome:
    """Compare every derived table with what the source records give; writes nothing."""
    out = Outcome()
    totals = Deltas()
    seen_progress, seen_members = 0, 0
    for rows, members, deltas in _expected():
        uids = sorted({r["user_id"] for r in rows} | set(members))
        totals.merge(deltas)
        seen_progress += len(rows)
        seen_members += len(members)
        stored = {(r.user_id, r.module_id): dict(r._mapping) for r in db.session.execute(
            sa.select(*LearnerProgress.__table__.c).where(LearnerProgress.user_id.in_(uids)))} if uids else {}
        for r in rows:
            key = (r["user_id"], r["module_id"])
            have = stored.get(key)
            if have is None or any(not _same(have[k], v) for k, v in r.items()):
                out.add(Difference("learner_progress", key, have, r), limit)
        stored_members = summary.members(uids) if uids else {}
        for uid in sorted(set(members) | set(stored_members)):
            if members.get(uid) != stored_members.get(uid):
                out.add(Difference("report_members", (uid,), stored_members.get(uid), members.get(uid)), limit)
    # rows stored for learners who should have none (deleted in the comparisons above only by key)
    extra = db.session.scalar(sa.select(sa.func.count()).select_from(LearnerProgress)) - seen_progress
    if extra:
        out.add(Difference("learner_progress", ("rows",), seen_progress + extra, seen_progress), limit)
    extra = db.session.scalar(sa.select(sa.func.count()).select_from(ReportMember)) - seen_members
    if extra:
        out.add(Difference("report_members", ("rows",), seen_members + extra, seen_members), limit)
    for model, keys, fields in TABLES:
        expected = totals.nonzero(model)
        out.rows[model.__tablename__] = len(expected)
        stored = {tuple(r[:len(keys)]): dict(zip(fields, r[len(keys):])) for r in db.session.execute(
            sa.select(*[model.__table__.c[k] for k in keys], *[model.__table__.c[f] for f in fields]))}
        for key in sorted(set(expected) | set(stored), key=repr):
            want = expected.get(key, dict.fromkeys(fields, 0))
            have = stored.get(key, dict.fromkeys(fields, 0))
            if any(not _same(float(have[f] or 0), float(want[f])) for f in fields):
                out.add(Difference(model.__tablename__, key, have, want), limit)
    return out


def rebuild() -> dict[str, int]:
    """Empty the derived tables and fill them again from the source records, in the caller's
    transaction (the caller commits); returns the rows written per table."""
    from lms.core.locks import lock_users

    lock_users(_users())
    for model, _, _ in reversed(TABLES):
        db.session.execute(sa.delete(model))
    db.session.execute(sa.delete(ReportMember))
    db.session.execute(sa.delete(LearnerProgress))
    totals = Deltas()
    written = {"learner_progress": 0, "report_members": 0}
    for rows, members, deltas in _expected():
        if rows:
            db.session.connection().execute(LearnerProgress.__table__.insert(), rows)
        if members:
            db.session.connection().execute(ReportMember.__table__.insert(), [
                {"user_id": u, "unit_id": unit, "role": role} for u, (unit, role) in sorted(members.items())])
        written["learner_progress"] += len(rows)
        written["report_members"] += len(members)
        totals.merge(deltas)
    for model, _, _ in TABLES:
        written[model.__tablename__] = len(totals.nonzero(model))
    totals.write()
    return written
