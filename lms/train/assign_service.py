"""Assignments: who has which module, by when, and from which day their work counts.

Every query is scoped to the acting user; every change writes an audit event and refreshes the
learner_progress rows of the learners it reaches. Services flush but never commit.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import aliased, joinedload

from lms import events
from lms.auth.models import Role, User
from lms.content.models import Module
from lms.core.paging import Page, paginate
from lms.extensions import db
from lms.learn import rules
from lms.learn.models import Assignment
from lms.orgs.models import Unit, closed_among, in_subtree, lock_units
from lms.timeutil import utcnow
from lms.train import audit
from lms.train.models import AuditEvent, Election
from lms.train.scope import learners_query, sees_everything, unit_condition

RULE_FIELDS = ("due_date", "election_id", "days_before", "counts_from", "reminder_days")


class AssignError(Exception):
    """An assignment change that is not allowed (the code names the reason)."""


# --- the due rule ------------------------------------------------------------------------------

@dataclass
class DueRule:
    """No due date, a fixed date, or a number of days before an election's polling day."""

    kind: str = "none"  # none | date | election
    due_date: date | None = None
    election: Election | None = None
    days_before: int | None = None
    earlier_counts: bool = False
    reminder_days: str | None = None  # "7,1": the days before the due date when reminders go out (lms.remind)

    def values(self) -> dict[str, Any]:
        """The assignment columns this rule sets: due date, election, days before and counts-from day."""
        if self.kind == "election" and self.election is not None:
            days = self.days_before or 0
            return {"due_date": rules.due_from_election(self.election.polling_date, days),
                    "election_id": self.election.id,
                    "days_before": days,
                    "counts_from": None if self.earlier_counts else self.election.training_opens,
                    "reminder_days": self.reminder_days or None}
        return {"due_date": self.due_date if self.kind == "date" else None, "election_id": None,
                "days_before": None, "counts_from": None,
                "reminder_days": (self.reminder_days or None) if self.kind == "date" else None}


def rule_of(assignment: Assignment) -> DueRule:
    """The rule an existing assignment follows (to fill the edit form)."""
    if assignment.election_id is not None and assignment.days_before is not None:
        election = db.session.get(Election, assignment.election_id)
        return DueRule("election", election=election, days_before=assignment.days_before,
                       earlier_counts=assignment.counts_from is None, reminder_days=assignment.reminder_days)
    if assignment.due_date is not None:
        return DueRule("date", due_date=assignment.due_date, reminder_days=assignment.reminder_days)
    return DueRule()


def snapshot(assignment: Assignment) -> dict[str, Any]:
    """The rule columns as JSON-friendly values, for the audit log."""
    out = {}
    for name in RULE_FIELDS:
        value = getattr(assignment, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


# --- scope ---------------------------------------------------------------------------------------

def assignments_query(user: User) -> sa.Select:
    """Assignments whose target (a unit, or a learner) `user` manages."""
    query = sa.select(Assignment)
    if sees_everything(user):
        return query
    units = sa.select(Unit.id).where(unit_condition(user)).correlate(None)
    learners = learners_query(user).with_only_columns(User.id).correlate(None)
    return query.where(sa.or_(Assignment.unit_id.in_(units), Assignment.user_id.in_(learners)))


def assignment_or_404(user: User, assignment_id: int) -> Assignment:
    """The assignment if its target is in `user`'s scope, else 404."""
    found = db.session.scalar(assignments_query(user).where(Assignment.id == assignment_id))
    if found is None:
        abort(404)
    return found


def below_any(unit_ids: Iterable[int]) -> sa.ColumnElement[bool]:
    """SQL condition: a `units` row is one of `unit_ids` or below one of them."""
    ids = list(unit_ids)
    return sa.or_(Unit.id.in_(ids), Unit.country_id.in_(ids), Unit.oblast_id.in_(ids), Unit.district_id.in_(ids))


def reached_ids(unit_ids: Iterable[int], user_ids: Iterable[int]) -> set[int]:
    """Learners (and trainers, who may take modules too) reached by assignments to these units and users."""
    found = set(user_ids)
    unit_ids = set(unit_ids)
    if unit_ids:
        found.update(db.session.scalars(sa.select(User.id).join(Unit, User.unit_id == Unit.id)
                                        .where(User.role.in_((Role.LEARNER, Role.TRAINER)), below_any(unit_ids))))
    return found


def reach_count(assignment: Assignment) -> int:
    """How many active learners the assignment reaches (1 for a learner's own)."""
    if assignment.user_id is not None:
        return 1
    return db.session.scalar(sa.select(sa.func.count(User.id)).join(Unit, User.unit_id == Unit.id).where(
        User.role == Role.LEARNER, User.active, below_any([assignment.unit_id])))


def _refresh(assignments: Iterable[Assignment], also: Iterable[tuple[int | None, int | None]] = ()) -> int:
    """Announce the changed assignments (and `also` these (unit, user) targets): the derived
    progress of every learner they reach follows. Returns how many learners were updated."""
    units, users = set(), set()
    for unit_id, user_id in [(a.unit_id, a.user_id) for a in assignments] + list(also):
        (units if unit_id is not None else users).add(unit_id if unit_id is not None else user_id)
    if not units and not users:
        return 0
    # The target units stay locked until the commit, before the learners they reach are read: an account
    # created or moved below them (which share-locks its unit and the units above) waits, or is waited for.
    lock_units(units, exclusive=True)
    results = events.assignments_changed.send(unit_ids=sorted(units), user_ids=sorted(users))
    return sum(n for _, n in results if isinstance(n, int))


def _audit_unit(assignment: Assignment, learner: User | None = None) -> int | None:
    if assignment.unit_id is not None:
        return assignment.unit_id
    if learner is None:
        learner = db.session.get(User, assignment.user_id)
    return learner.unit_id if learner else None


# --- listing -------------------------------------------------------------------------------------

@dataclass
class ListFilter:
    module_id: int | None = None
    unit: Unit | None = None
    page: int = 1


@dataclass
class Listed:
    assignment: Assignment
    module: Module
    unit: Unit | None
    learner: User | None
    assigner: User | None
    election: Election | None


def list_assignments(user: User, f: ListFilter) -> Page:
    """Assignments in scope, live first, newest first; targets, assigners and elections in the same query."""
    target_unit, learner, assigner = aliased(Unit), aliased(User), aliased(User)
    query = assignments_query(user)
    if f.module_id:
        query = query.where(Assignment.module_id == f.module_id)
    if f.unit is not None:
        inside = sa.select(Unit.id).where(in_subtree(f.unit)).correlate(None)
        query = query.where(sa.or_(Assignment.unit_id.in_(inside), Assignment.user_id.in_(
            sa.select(User.id).where(User.unit_id.in_(inside)).correlate(None))))
    query = (query.join(Module, Module.id == Assignment.module_id)
             .outerjoin(target_unit, target_unit.id == Assignment.unit_id)
             .outerjoin(learner, learner.id == Assignment.user_id)
             .outerjoin(assigner, assigner.id == Assignment.assigned_by_id)
             .outerjoin(Election, Election.id == Assignment.election_id)
             .add_columns(Module, target_unit, learner, assigner, Election)
             .order_by(Assignment.withdrawn_at.is_not(None), Assignment.created_at.desc(), Assignment.id.desc()))
    page = paginate(query, f.page, count_by=Assignment.id)
    page.items = [Listed(*row) for row in page.items]
    return page


def history(assignment: Assignment) -> list[AuditEvent]:
    """The assignment's audit events, oldest first, with their actors (lms.train.audit_text words them)."""
    return list(db.session.scalars(
        sa.select(AuditEvent).options(joinedload(AuditEvent.actor))
        .where(AuditEvent.target_type == "assignment", AuditEvent.target_id == assignment.id)
        .order_by(AuditEvent.at, AuditEvent.id)))


# --- changes -------------------------------------------------------------------------------------

@dataclass
class Created:
    assignments: list[Assignment] = field(default_factory=list)
    skipped: int = 0  # (module, target) pairs that already had a live assignment with the same rule
    learners: int = 0  # learners whose progress was updated


def _scoped_units(actor: User, unit_ids: Iterable[int]) -> list[Unit]:
    ids = set(unit_ids)
    units = list(db.session.scalars(sa.select(Unit).where(Unit.id.in_(ids), unit_condition(actor))))
    if len(units) != len(ids):
        raise AssignError("unit_out_of_scope")
    return units


def _scoped_learners(actor: User, user_ids: Iterable[int]) -> list[User]:
    ids = set(user_ids)
    learners = list(db.session.scalars(learners_query(actor).where(User.id.in_(ids))))
    if len(learners) != len(ids):
        raise AssignError("learner_out_of_scope")
    return learners


def learners_by_username(actor: User, usernames: Iterable[str]) -> dict[str, User]:
    """The learners in `actor`'s scope among these usernames."""
    names = {n.strip().lower() for n in usernames if n.strip()}
    if not names:
        return {}
    return {u.username: u for u in db.session.scalars(learners_query(actor).where(User.username.in_(names)))}


def lock_modules(module_ids: Iterable[int]) -> list[Module]:
    """The active modules among `module_ids`, read again from the database and share-locked until the
    transaction ends (PostgreSQL; SQLite serialises writers anyway)."""
    return list(db.session.scalars(
        sa.select(Module).where(Module.id.in_(set(module_ids)), Module.active).order_by(Module.id)
        .with_for_update(read=True).execution_options(populate_existing=True)))


def create(actor: User, module_ids: Iterable[int], unit_ids: Iterable[int], learner_ids: Iterable[int],
           rule: DueRule) -> Created:
    """One assignment per (module, target); a pair that already has the same live assignment is skipped.

    AssignError("unpublished") when a module is not offered for new assignments. The modules' rows are
    read FOR SHARE, in id order, on PostgreSQL: an administrator's unpublish (which locks the row FOR
    UPDATE, lms.admin.courses_service) waits for this transaction, or this one waits for it and then
    reads the module as unpublished. Either way no assignment is made after the unpublish.
    """
    modules = lock_modules(module_ids)
    if len(modules) != len(set(module_ids)):
        raise AssignError("unknown_module")
    if not all(m.published for m in modules):
        raise AssignError("unpublished")
    units, learners = _scoped_units(actor, unit_ids), _scoped_learners(actor, learner_ids)
    if not units and not learners:
        raise AssignError("no_target")
    if closed_among((u.id for u in units), exclusive=True):  # locked: see _refresh
        raise AssignError("unit_closed")
    values = rule.values()
    same_rule = [getattr(Assignment, k).is_(None) if v is None else getattr(Assignment, k) == v
                 for k, v in values.items()]
    existing = {tuple(row) for row in db.session.execute(
        sa.select(Assignment.module_id, Assignment.unit_id, Assignment.user_id).where(
            Assignment.withdrawn_at.is_(None), Assignment.module_id.in_([m.id for m in modules]), *same_rule,
            sa.or_(Assignment.unit_id.in_([u.id for u in units]), Assignment.user_id.in_([u.id for u in learners]))))}
    out = Created()
    skipped: list[tuple[int | None, int | None]] = []
    for module in modules:
        targets = [(u, None) for u in units] + [(None, learner) for learner in learners]
        for unit, learner in targets:
            key = (module.id, unit.id if unit else None, learner.id if learner else None)
            if key in existing:
                out.skipped += 1
                skipped.append(key[1:])
                continue
            a = Assignment(module_id=module.id, unit_id=key[1], user_id=key[2], assigned_by_id=actor.id, **values)
            db.session.add(a)
            out.assignments.append(a)
            db.session.flush()
            audit.record(actor, "assignment.create", "assignment", a.id, _audit_unit(a, learner),
                         module_id=module.id, target_unit_id=key[1], target_user_id=key[2], new=snapshot(a))
    # skipped pairs are announced too: a trainer repeating an operation that failed half-way
    # brings every learner it reaches up to date
    out.learners = _refresh(out.assignments, skipped)
    return out


def update(actor: User, assignment: Assignment, rule: DueRule) -> bool:
    """Apply a new due rule; False (and nothing written) when nothing changes."""
    if assignment.withdrawn_at is not None:
        raise AssignError("withdrawn")
    old = snapshot(assignment)
    for name, value in rule.values().items():
        setattr(assignment, name, value)
    new = snapshot(assignment)
    if new == old:
        return False
    changed = [k for k in RULE_FIELDS if old[k] != new[k]]
    audit.record(actor, "assignment.update", "assignment", assignment.id, _audit_unit(assignment),
                 old={k: old[k] for k in changed}, new={k: new[k] for k in changed})
    db.session.flush()
    _refresh([assignment])
    return True


def withdraw(actor: User, assignment: Assignment) -> None:
    """Withdraw a live assignment (AssignError if already withdrawn), audited; progress follows."""
    if assignment.withdrawn_at is not None:
        raise AssignError("withdrawn")
    assignment.withdrawn_at, assignment.withdrawn_by_id = utcnow(), actor.id
    audit.record(actor, "assignment.withdraw", "assignment", assignment.id, _audit_unit(assignment),
                 module_id=assignment.module_id)
    db.session.flush()
    _refresh([assignment])


def follow_election(actor: User, election: Election) -> int:
    """Recompute the due dates (and counting day) of live assignments linked to `election`.

    Called after the election's dates change; returns the number of assignments changed.
    """
    linked = db.session.scalars(sa.select(Assignment).where(
        Assignment.election_id == election.id, Assignment.days_before.is_not(None),
        Assignment.withdrawn_at.is_(None))).all()
    changed = []
    for a in linked:
        old = snapshot(a)
        a.due_date = rules.due_from_election(election.polling_date, a.days_before)
        if a.counts_from is not None:  # "earlier training counts" was not ticked
            a.counts_from = election.training_opens
        new = snapshot(a)
        if new != old:
            keys = [k for k in RULE_FIELDS if old[k] != new[k]]
            audit.record(actor, "assignment.update", "assignment", a.id, _audit_unit(a), election_id=election.id,
                         old={k: old[k] for k in keys}, new={k: new[k] for k in keys})
            changed.append(a)
    db.session.flush()
    if changed:
        _refresh(changed)
    return len(changed)
