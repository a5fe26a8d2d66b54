"""Deltas to the report summary tables, applied in the writer's transaction.

lms.learn.status calls `progress_changed(old, new, members)` each time it rewrites learners'
progress rows, and lms.learn.services calls `first_attempt(...)` when a learner submits the
first attempt of a module. Every change is added to the unit and to each of its ancestors.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.content import kinds
from lms.extensions import db
from lms.orgs.models import Unit
from lms.progress.models import (
    ReportCell,
    ReportDays,
    ReportDue,
    ReportItem,
    ReportMember,
    ReportOption,
    ReportUnit,
    ReportWeek,
)

CELL_FIELDS = ("assigned", "started", "completed", "scored", "best_sum", "first_passed", "first_sum")
ITEM_FIELDS = ("answered", "right", "credit_sum", "upper_n", "upper_right", "lower_n", "lower_right")
UPPER, LOWER = 80.0, 50.0  # first-attempt score bands for the discrimination index
MAX_DAYS = 365


def ancestors(unit_ids: Iterable[int | None]) -> dict[int, list[int]]:
    """unit id -> [the unit, its district, oblast, country] (those that exist)."""
    ids = {u for u in unit_ids if u is not None}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Unit.id, Unit.district_id, Unit.oblast_id, Unit.country_id)
                              .where(Unit.id.in_(ids)))
    return {uid: [u for u in (uid, d, o, c) if u is not None] for uid, d, o, c in rows}


def week_of(when: datetime) -> date:
    """The Monday of the week of `when`."""
    day = when.date()
    return day - timedelta(days=day.weekday())


# The summary tables, their keys and fields, in the order deltas are written.
TABLES: tuple[tuple[type, tuple[str, ...], tuple[str, ...]], ...] = (
    (ReportUnit, ("unit_id", "role"), ("learners",)),
    (ReportCell, ("unit_id", "role", "module_id"), CELL_FIELDS),
    (ReportDue, ("unit_id", "role", "module_id", "due_date"), ("pending",)),
    (ReportWeek, ("unit_id", "role", "module_id", "week"), ("completions",)),
    (ReportDays, ("unit_id", "role", "module_id", "days"), ("completions",)),
    (ReportItem, ("unit_id", "question_version_id"), ITEM_FIELDS),
    (ReportOption, ("unit_id", "question_version_id", "option"), ("chosen",)),
)
FIELDS = {model: fields for model, _, fields in TABLES}


class Deltas:
    """Summary changes gathered in one transaction: model -> key -> field -> amount."""

    def __init__(self) -> None:
        self.rows: dict[type, dict[tuple, dict[str, float]]] = {model: {} for model, _, _ in TABLES}

    def row(self, model: type, key: tuple) -> dict[str, float]:
        """The delta row of `key` in `model`'s table, created at zero."""
        table = self.rows[model]
        if key not in table:
            table[key] = dict.fromkeys(FIELDS[model], 0)
        return table[key]

    def merge(self, other: Deltas) -> None:
        """Add another set of deltas to this one."""
        for model, rows in other.rows.items():
            for key, values in rows.items():
                row = self.row(model, key)
                for f, v in values.items():
                    row[f] += v

    def nonzero(self, model: type) -> dict[tuple, dict[str, float]]:
        """The rows of `model` that change something."""
        return {k: v for k, v in self.rows[model].items() if any(abs(x) > 1e-9 for x in v.values())}

    def write(self) -> None:
        """INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x, table by table, rows in key order."""
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        for model, keys, fields in TABLES:
            rows = self.nonzero(model)
            if not rows:
                continue
            table = model.__table__
            stmt = insert(table)
            stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                              set_={f: table.c[f] + stmt.excluded[f] for f in fields})
            ordered = sorted(rows.items())
            for start in range(0, len(ordered), 1000):
                chunk = ordered[start:start + 1000]
                db.session.execute(stmt, [dict(zip(keys, k), **v) for k, v in chunk])
        self.rows = {model: {} for model, _, _ in TABLES}


def pending() -> Deltas:
    """The deltas of the current transaction of db.session (written by `write_pending` at commit)."""
    return db.session.info.setdefault("report_deltas", Deltas())


def write_pending(session) -> None:
    """Session hook, before every commit: write the transaction's gathered deltas."""
    deltas = session.info.pop("report_deltas", None)
    if deltas is not None:
        deltas.write()


def drop_pending(session, transaction) -> None:
    """Session hook, when an outer transaction ends (after a rollback, the deltas are void)."""
    if transaction.parent is None and not transaction.nested:
        session.info.pop("report_deltas", None)


def progress_changed(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]],
                     members_before: Mapping[int, tuple[int, str]], members_after: Mapping[int, tuple[int, str]],
                     out: Deltas | None = None) -> None:
    """Apply the difference between old and new learner_progress rows, and membership moves.

    members map a user id to (unit id, role) before and after; a row counts under the role its
    user had when it was written (old rows under the old membership, new rows under the new).
    """
    rows = [(-1, r, members_before) for r in old] + [(1, r, members_after) for r in new]
    unit_ids = ({r["unit_id"] for _, r, _ in rows} | {u for u, _ in members_before.values()}
                | {u for u, _ in members_after.values()})
    up = ancestors(unit_ids)
    out = pending() if out is None else out
    for sign, r, membership in rows:
        completed = r["completed_at"] is not None
        role = membership.get(r["user_id"], (None, "learner"))[1]
        for unit in up.get(r["unit_id"], []):
            key = (unit, role, r["module_id"])
            c = out.row(ReportCell, key)
            c["assigned"] += sign
            c["started"] += sign * (r["status"] != "not_started")
            c["completed"] += sign * completed
            if r["best_score"] is not None:
                c["scored"] += sign
                c["best_sum"] += sign * r["best_score"]
                c["first_passed"] += sign * bool(r["first_passed"])
                c["first_sum"] += sign * (r["first_score"] or 0.0)
            if not completed and r["due_date"] is not None:
                out.row(ReportDue, key + (r["due_date"],))["pending"] += sign
            if completed:
                out.row(ReportWeek, key + (week_of(r["completed_at"]),))["completions"] += sign
                if r["started_at"] is not None:
                    spent = min(MAX_DAYS, max(0, (r["completed_at"] - r["started_at"]).days))
                    out.row(ReportDays, key + (spent,))["completions"] += sign
    for uid in set(members_before) | set(members_after):
        before, after = members_before.get(uid), members_after.get(uid)
        if before == after:
            continue
        if before is not None:
            for unit in up.get(before[0], []):
                out.row(ReportUnit, (unit, before[1]))["learners"] -= 1
        if after is not None:
            for unit in up.get(after[0], []):
                out.row(ReportUnit, (unit, after[1]))["learners"] += 1


def unit_moved(unit_id: int, old_above: list[int], new_above: list[int], out: Deltas | None = None) -> None:
    """A unit moved with everything below it: its own summary rows, which add up everyone counted at
    or below it, are taken away from the units that were above it and added to those above it now
    (a unit above it both before and after, such as its country, is left as it was).

    The caller holds the locks of every learner below the unit, so that no other transaction adds to
    these rows meanwhile; deltas of this transaction not yet written are moved too."""
    gone = [u for u in old_above if u not in new_above]
    added = [u for u in new_above if u not in old_above]
    if not gone and not added:
        return
    out = pending() if out is None else out
    for model, keys, fields in TABLES:
        table = model.__table__
        own: dict[tuple, dict[str, float]] = {}
        for r in db.session.execute(sa.select(*[table.c[k] for k in keys[1:]], *[table.c[f] for f in fields])
                                    .where(table.c.unit_id == unit_id)):
            own[tuple(r[:len(keys) - 1])] = {f: float(v or 0) for f, v in zip(fields, r[len(keys) - 1:])}
        for key, values in list(out.rows[model].items()):
            if key[0] == unit_id:
                row = own.setdefault(key[1:], dict.fromkeys(fields, 0.0))
                for f, v in values.items():
                    row[f] += v
        for rest, values in own.items():
            for sign, targets in ((-1, gone), (1, added)):
                for unit in targets:
                    row = out.row(model, (unit, *rest))
                    for f, v in values.items():
                        row[f] += sign * v


def members(user_ids: list[int]) -> dict[int, tuple[int, str]]:
    """Where these users are counted now: user id -> (unit id, role)."""
    return {uid: (unit, role) for uid, unit, role in db.session.execute(
        sa.select(ReportMember.user_id, ReportMember.unit_id, ReportMember.role)
        .where(ReportMember.user_id.in_(user_ids)))}


def set_members(before: Mapping[int, tuple[int, str]], after: Mapping[int, tuple[int, str]]) -> None:
    """Rewrite the membership rows that changed (the caller holds these learners' locks)."""
    changed = sorted(u for u in set(before) | set(after) if before.get(u) != after.get(u))
    if not changed:
        return
    db.session.execute(sa.delete(ReportMember).where(ReportMember.user_id.in_(changed)))
    rows = [{"user_id": u, "unit_id": after[u][0], "role": after[u][1]} for u in changed if u in after]
    if rows:
        db.session.connection().execute(ReportMember.__table__.insert(), rows)


def first_attempts(attempts: Iterable[tuple[int | None, float, list[tuple[int, Any, float, list[str], dict]]]],
                   sign: int = 1, out: Deltas | None = None) -> None:
    """Add (sign 1) or take away (sign -1) first attempts in the item analysis.

    Each attempt is (unit id, score percent, items), each item (question version id, answer,
    credit, layout, question data).
    """
    attempts = list(attempts)
    out = pending() if out is None else out
    up = ancestors(a[0] for a in attempts)
    for unit_id, score, answers in attempts:
        for version_id, answer, credit, _layout, data in answers:
            right = credit >= 1.0
            wrong_options = kinds.get(data["type"]).wrong_choices(data, answer)
            for unit in up.get(unit_id, []):
                s = out.row(ReportItem, (unit, version_id))
                s["answered"] += sign
                s["right"] += sign * right
                s["credit_sum"] += sign * credit
                if score >= UPPER:
                    s["upper_n"] += sign
                    s["upper_right"] += sign * right
                elif score < LOWER:
                    s["lower_n"] += sign
                    s["lower_right"] += sign * right
                for option in wrong_options:
                    out.row(ReportOption, (unit, version_id, option))["chosen"] += sign
