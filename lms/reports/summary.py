"""Deltas to the report summary tables, applied in the writer's transaction.

lms.learn.status calls `progress_changed(old, new, members)` each time it rewrites learners'
progress rows, and lms.learn.services calls `first_attempt(...)` when a learner submits the
first attempt of a module. Every change is added to the unit and to each of its ancestors.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.extensions import db
from lms.orgs.models import Unit
from lms.reports.models import (ReportCell, ReportDays, ReportDue, ReportItem, ReportMember, ReportOption,
                                ReportUnit, ReportWeek)

CELL_FIELDS = ("assigned", "started", "completed", "scored", "best_sum", "first_passed", "first_sum")
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
    day = when.date()
    return day - timedelta(days=day.weekday())


def _add_rows(model: type, keys: tuple[str, ...], rows: Mapping[tuple, Mapping[str, float]]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x, for every row of deltas."""
    rows = {k: v for k, v in rows.items() if any(v.values())}
    if not rows:
        return
    table = model.__table__
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = [dict(zip(keys, k), **v) for k, v in rows.items()]
    fields = list(next(iter(rows.values())))
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={f: table.c[f] + stmt.excluded[f] for f in fields})
    db.session.execute(stmt, values)


def progress_changed(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]],
                     members_before: Mapping[int, tuple[int, str]], members_after: Mapping[int, tuple[int, str]]) -> None:
    """Apply the difference between old and new learner_progress rows, and membership moves.

    members map a user id to (unit id, role) before and after; a row counts under the role its
    user had when it was written (old rows under the old membership, new rows under the new).
    """
    rows = [(-1, r, members_before) for r in old] + [(1, r, members_after) for r in new]
    unit_ids = ({r["unit_id"] for _, r, _ in rows} | {u for u, _ in members_before.values()}
                | {u for u, _ in members_after.values()})
    up = ancestors(unit_ids)
    cells: dict[tuple, dict[str, float]] = defaultdict(lambda: dict.fromkeys(CELL_FIELDS, 0))
    due: dict[tuple, dict[str, float]] = defaultdict(lambda: {"pending": 0})
    weeks: dict[tuple, dict[str, float]] = defaultdict(lambda: {"completions": 0})
    days: dict[tuple, dict[str, float]] = defaultdict(lambda: {"completions": 0})
    for sign, r, membership in rows:
        completed = r["completed_at"] is not None
        role = membership.get(r["user_id"], (None, "learner"))[1]
        for unit in up.get(r["unit_id"], []):
            key = (unit, role, r["module_id"])
            c = cells[key]
            c["assigned"] += sign
            c["started"] += sign * (r["status"] != "not_started")
            c["completed"] += sign * completed
            if r["best_score"] is not None:
                c["scored"] += sign
                c["best_sum"] += sign * r["best_score"]
                c["first_passed"] += sign * bool(r["first_passed"])
                c["first_sum"] += sign * (r["first_score"] or 0.0)
            if not completed and r["due_date"] is not None:
                due[key + (r["due_date"],)]["pending"] += sign
            if completed:
                weeks[key + (week_of(r["completed_at"]),)]["completions"] += sign
                if r["started_at"] is not None:
                    spent = min(MAX_DAYS, max(0, (r["completed_at"] - r["started_at"]).days))
                    days[key + (spent,)]["completions"] += sign
    learners: dict[tuple, dict[str, float]] = defaultdict(lambda: {"learners": 0})
    for uid in set(members_before) | set(members_after):
        before, after = members_before.get(uid), members_after.get(uid)
        if before == after:
            continue
        if before is not None:
            for unit in up.get(before[0], []):
                learners[(unit, before[1])]["learners"] -= 1
        if after is not None:
            for unit in up.get(after[0], []):
                learners[(unit, after[1])]["learners"] += 1
    _add_rows(ReportCell, ("unit_id", "role", "module_id"), cells)
    _add_rows(ReportDue, ("unit_id", "role", "module_id", "due_date"), due)
    _add_rows(ReportWeek, ("unit_id", "role", "module_id", "week"), weeks)
    _add_rows(ReportDays, ("unit_id", "role", "module_id", "days"), days)
    _add_rows(ReportUnit, ("unit_id", "role"), learners)


def members(user_ids: list[int]) -> dict[int, tuple[int, str]]:
    return {uid: (unit, role) for uid, unit, role in db.session.execute(
        sa.select(ReportMember.user_id, ReportMember.unit_id, ReportMember.role)
        .where(ReportMember.user_id.in_(user_ids)))}


def set_members(user_ids: list[int], after: Mapping[int, tuple[int, str]]) -> None:
    db.session.execute(sa.delete(ReportMember).where(ReportMember.user_id.in_(user_ids)))
    if after:
        db.session.connection().execute(ReportMember.__table__.insert(), [
            {"user_id": u, "unit_id": unit, "role": role} for u, (unit, role) in after.items()])


def first_attempts(attempts: Iterable[tuple[int | None, float, list[tuple[int, Any, float, list[str], dict]]]]) -> None:
    """Add first attempts to the item analysis.

    Each attempt is (unit id, score percent, items), each item (question version id, answer,
    credit, layout, question data).
    """
    attempts = list(attempts)
    up = ancestors(a[0] for a in attempts)
    items: dict[tuple, dict[str, float]] = defaultdict(
        lambda: dict.fromkeys(("answered", "right", "credit_sum", "upper_n", "upper_right", "lower_n", "lower_right"), 0))
    options: dict[tuple, dict[str, float]] = defaultdict(lambda: {"chosen": 0})
    for unit_id, score, answers in attempts:
        for version_id, answer, credit, _layout, data in answers:
            right = credit >= 1.0
            wrong_options = []
            if data.get("options"):
                correct = {o["id"] for o in data["options"] if o.get("correct")}
                chosen = [answer] if isinstance(answer, str) else list(answer or [])
                wrong_options = [o for o in chosen if o not in correct]
            for unit in up.get(unit_id, []):
                s = items[(unit, version_id)]
                s["answered"] += 1
                s["right"] += right
                s["credit_sum"] += credit
                if score >= UPPER:
                    s["upper_n"] += 1
                    s["upper_right"] += right
                elif score < LOWER:
                    s["lower_n"] += 1
                    s["lower_right"] += right
                for option in wrong_options:
                    options[(unit, version_id, option)]["chosen"] += 1
    _add_rows(ReportItem, ("unit_id", "question_version_id"), items)
    _add_rows(ReportOption, ("unit_id", "question_version_id", "option"), options)
