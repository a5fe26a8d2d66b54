"""Which reminders are due today, written to the outbox (lms.remind.models.Reminder) once each.

For every live assignment with a due date, a learner who has not completed the module (and whose
earliest due date for it is this assignment's, lms.learn.rules) gets:
- a reminder N days before the due date, for each N of the reminder days: the assignment's own
  (`Assignment.reminder_days`), else those of the nearest unit at or above the learner that sets
  them (`Unit.reminder_days`), else `LMS_REMINDER_DAYS` (7 and 1). Only the nearest one due is
  written: an assignment made three days before its due date gets its 7-day reminder that day
  (saying three days), then its 1-day one;
- an overdue notice the day after the due date (not for due dates more than
  `LMS_REMINDER_OVERDUE_WITHIN` days past, so that old cycles do not wake up);
and every trainer with overdue learners in their area gets a digest once a week (keyed by the Monday).

The work is a fixed number of statements per (assignment, unit setting), whatever the number of
learners: each is one INSERT ... SELECT ... ON CONFLICT DO NOTHING over learner_progress. Opted-out,
inactive and erased people are left out. Queued messages that no longer apply (the module completed,
the assignment withdrawn, the due date moved, the person opted out) are cancelled by `cancel_stale`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from lms.auth.models import Role, User
from lms.content.models import Module
from lms.extensions import db
from lms.learn import rules
from lms.learn.models import Assignment, LearnerProgress
from lms.orgs.models import ANCESTOR_COLUMNS, Unit, in_subtree
from lms.remind import channels
from lms.remind.models import Reminder
from lms.timeutil import today, utcnow

DaysError = rules.ReminderDaysError
parse_days = rules.parse_reminder_days
format_days = rules.format_reminder_days


def default_days() -> tuple[int, ...]:
    """`LMS_REMINDER_DAYS` (7 and 1 unless set)."""
    return parse_days(current_app.config.get("LMS_REMINDER_DAYS") or "7,1") or (7, 1)


def due_on(due: date, days: tuple[int, ...], on: date) -> tuple[str, date, int | None] | None:
    """What an assignment due on `due` sends on day `on`: (kind, key day, days before) or None."""
    if on > due:
        if (on - due).days > int(current_app.config.get("LMS_REMINDER_OVERDUE_WITHIN", 30)):
            return None
        return "overdue", due + timedelta(days=1), None
    reached = [n for n in days if due - timedelta(days=n) <= on]
    if not reached:
        return None
    n = min(reached)
    return "due_soon", due - timedelta(days=n), n


@dataclass
class Planned:
    """New messages of one statement: how many (written, or that a dry run would write)."""

    kind: str
    assignment_id: int | None
    on_date: date
    count: int


def _insert():
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Reminder)


def _channel_columns(email: sa.ColumnElement, phone: sa.ColumnElement, now) -> list[sa.ColumnElement]:
    on_email, on_sms = channels.email_enabled(), channels.sms_enabled()
    email_state = sa.case((sa.and_(sa.true() if on_email else sa.false(), email.is_not(None)), "queued"), else_="off")
    sms_state = sa.case((sa.and_(sa.true() if on_sms else sa.false(), phone.is_not(None)), "queued"), else_="off")
    waiting = sa.case((sa.or_(email_state == "queued", sms_state == "queued"), sa.literal(now)), else_=sa.null())
    return [email_state, sms_state, waiting]


COLUMNS = ["user_id", "ref", "assignment_id", "module_id", "kind", "on_date", "due_date", "created_at", "tries",
           "email_status", "sms_status", "next_try_at"]


def _write(select: sa.Select, dry_run: bool) -> int:
    key = ["user_id", "ref", "kind", "on_date"]
    if dry_run:
        return len(db.session.execute(select).all())
    statement = (_insert().from_select(COLUMNS, select).on_conflict_do_nothing(index_elements=key)
                 .returning(Reminder.id))  # counted from RETURNING: psycopg's rowcount is -1 for INSERT ... SELECT
    return len(db.session.execute(statement).all())


def _not_written(ref, kind: str, on_date: date, user_column) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(Reminder.user_id == user_column, Reminder.ref == ref, Reminder.kind == kind,
                              Reminder.on_date == on_date)


def _not_told(user_column, module_id: int, kind: str, on_date: date) -> sa.ColumnElement[bool]:
    """No message of this kind and day about this module yet, from another assignment with the same due date
    (a learner reached by two assignments of one module is told once)."""
    return ~sa.exists().where(Reminder.user_id == user_column, Reminder.module_id == module_id,
                              Reminder.kind == kind, Reminder.on_date == on_date)


def _settings() -> dict[int, tuple[Unit, tuple[int, ...]]]:
    out = {}
    for unit in db.session.scalars(sa.select(Unit).where(Unit.reminder_days.is_not(None))):
        try:
            days = parse_days(unit.reminder_days)
        except DaysError:
            continue
        if days:
            out[unit.id] = (unit, days)
    return out


def _below(unit: Unit, other: Unit) -> bool:
    """Is `other` strictly below `unit`?"""
    return other.level > unit.level and getattr(other, ANCESTOR_COLUMNS[unit.level]) == unit.id


def _groups(target: Unit | None, settings: dict) -> list[tuple[sa.ColumnElement[bool], tuple[int, ...]]]:
    """(condition on the learner's unit, reminder days) for each part of the tree that one setting rules."""
    related = [(u, d) for u, d in settings.values()
               if target is None or u.id == target.id or _below(u, target) or _below(target, u)]
    out = []
    for unit, days in related:
        deeper = [in_subtree(o) for o, _ in related if _below(unit, o)]
        out.append((sa.and_(in_subtree(unit), *[~c for c in deeper]), days))
    # IS NOT TRUE: a learner without a unit (NULLs) falls under the default too
    rest = sa.or_(*[in_subtree(u) for u, _ in related]).is_not(sa.true()) if related else sa.true()
    out.append((rest, default_days()))
    return out


def plan(on: date | None = None, dry_run: bool = False, listing: list | None = None) -> list[Planned]:
    """Write today's messages to the outbox (ON CONFLICT DO NOTHING); with `dry_run`, write nothing and
    count them instead. `listing` receives (kind, username, module title, key day) of each new one on a
    dry run."""
    on = on or today()
    now = utcnow()
    settings = _settings()
    assignments = db.session.execute(
        sa.select(Assignment, Unit).outerjoin(Unit, Assignment.unit_id == Unit.id)
        .join(Module, Module.id == Assignment.module_id)
        .where(Assignment.withdrawn_at.is_(None), Assignment.due_date.is_not(None), Module.active,
               Assignment.due_date >= on - timedelta(days=int(current_app.config.get("LMS_REMINDER_OVERDUE_WITHIN",
                                                                                      30))),
               Assignment.due_date <= on + timedelta(days=366))
        .order_by(Assignment.id)).all()
    done: list[Planned] = []
    for assignment, target in assignments:
        try:
            own = parse_days(assignment.reminder_days)
        except DaysError:
            own = None
        groups = [(sa.true(), own)] if own else _groups(target, settings)
        by_step: dict[tuple, list] = {}
        for condition, days in groups:
            step = due_on(assignment.due_date, days, on)
            if step is not None:
                by_step.setdefault(step, []).append(condition)
        for (kind, key_day, _n), conditions in by_step.items():
            lp = LearnerProgress
            reach = lp.user_id == assignment.user_id if assignment.user_id else in_subtree(target)
            select = (sa.select(lp.user_id, sa.literal(assignment.id), sa.literal(assignment.id),
                                sa.literal(assignment.module_id), sa.literal(kind), sa.literal(key_day),
                                sa.literal(assignment.due_date), sa.literal(now), sa.literal(0),
                                *_channel_columns(User.email, User.phone, now))
                      .select_from(lp).join(User, User.id == lp.user_id).outerjoin(Unit, Unit.id == lp.unit_id)
                      .where(lp.module_id == assignment.module_id, lp.status != "completed",
                             lp.due_date == assignment.due_date, reach, sa.or_(*conditions), *reachable_person(),
                             _not_told(lp.user_id, assignment.module_id, kind, key_day))
                      .order_by(lp.user_id))  # the same order in every run: two at once never deadlock
            if dry_run:
                select = select.where(_not_written(assignment.id, kind, key_day, lp.user_id))
                if listing is not None:
                    rows = db.session.execute(select.with_only_columns(User.username)).scalars().all()
                    listing.extend((kind, name, assignment.module_id, key_day) for name in rows)
                    done.append(Planned(kind, assignment.id, key_day, len(rows)))
                    continue
            done.append(Planned(kind, assignment.id, key_day, _write(select, dry_run)))
    done.append(_digests(on, now, dry_run, listing))
    if not dry_run and any(p.count for p in done):  # the dashboard looks for reminders of these people only
        db.session.execute(sa.update(User).where(User.id.in_(
            sa.select(Reminder.user_id).where(Reminder.created_at == now).scalar_subquery()))
            .values(reminded_at=now).execution_options(synchronize_session=False))
    return done


def reachable_person() -> list[sa.ColumnElement[bool]]:
    """Who may get a reminder: an active person not erased who has not opted out (on `users`)."""
    return [User.active, User.erased_at.is_(None), User.reminders_opt_out.is_(False)]


def week_of(day: date) -> date:
    """The Monday of the week of `day` (the key day of a digest)."""
    return day - timedelta(days=day.weekday())


def _digests(on: date, now, dry_run: bool, listing: list | None) -> Planned:
    """One digest a week to each trainer who has overdue learners in their area (lms.train.progress.overdue)."""
    monday = week_of(on)
    learner, place = aliased(User), aliased(Unit)
    in_area = sa.or_(place.id == User.unit_id, *[getattr(place, c) == User.unit_id for c in ANCESTOR_COLUMNS])
    overdue = (sa.exists().where(LearnerProgress.user_id == learner.id, learner.role == Role.LEARNER, learner.active,
                                 LearnerProgress.unit_id == place.id, in_area,
                                 rules.overdue_condition(LearnerProgress.status, LearnerProgress.due_date)))
    select = (sa.select(User.id, sa.literal(0), sa.null(), sa.null(), sa.literal("digest"), sa.literal(monday),
                        sa.null(), sa.literal(now), sa.literal(0), *_channel_columns(User.email, User.phone, now))
              .where(User.role == Role.TRAINER, User.unit_id.is_not(None), *reachable_person(), overdue))
    if dry_run:
        select = select.where(_not_written(0, "digest", monday, User.id))
        if listing is not None:
            rows = db.session.execute(select.with_only_columns(User.username)).scalars().all()
            listing.extend(("digest", name, None, monday) for name in rows)
            return Planned("digest", None, monday, len(rows))
    return Planned("digest", None, monday, _write(select, dry_run))


def cancel_stale() -> int:
    """Cancel the queued messages that no longer apply (module completed, assignment withdrawn, due date
    moved, the person opted out or gone); leased rows are left to their sender. How many."""
    now = utcnow()
    lp = LearnerProgress
    still_due = sa.exists().where(lp.user_id == Reminder.user_id, lp.module_id == Reminder.module_id,
                                  lp.status != "completed", lp.due_date == Reminder.due_date)
    live = sa.exists().where(Assignment.id == Reminder.assignment_id, Assignment.withdrawn_at.is_(None))
    person = sa.exists().where(User.id == Reminder.user_id, *reachable_person())
    stale = sa.or_(~person, sa.and_(Reminder.kind != "digest", sa.or_(~still_due, ~live)))
    result = db.session.execute(
        sa.update(Reminder)
        .where(Reminder.next_try_at.is_not(None),
               sa.or_(Reminder.leased_until.is_(None), Reminder.leased_until < now), stale)
        .values(email_status=sa.case((Reminder.email_status == "queued", "cancelled"), else_=Reminder.email_status),
                sms_status=sa.case((Reminder.sms_status == "queued", "cancelled"), else_=Reminder.sms_status),
                next_try_at=None, lease=None, leased_until=None, last_error="no longer applies")
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
