"""What the partner API lists: units, learners' progress, assignments, sessions with attendance, certificates.

Every list is cut to the token owner's report scope (`services.root_units`): a trainer sees the
subtree of their own unit, a monitor the countries an admin granted them (else every country), an
admin everything. A row belongs to the unit it is about: a progress row to the learner's unit, an
assignment to its target unit (or its learner's unit), a session and its attendance to the
session's unit, a certificate to the unit it was earned in.

People are never named unless the owner may see names (trainers and admins, and monitors an admin
allowed to: the rule of the precinct reports) and the person is in the owner's scope now. Every
person carries a stable pseudonymous id instead (`pseudonym`), the same in every list, which
carries neither the name nor the username.

Each function returns a query and the columns of its order; lms.reports.api_base pages it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from lms.auth.models import Role, User
from lms.content.models import Module
from lms.learn import rules
from lms.learn.models import Assignment, Attendance, Certificate, LearnerProgress, TrainingSession
from lms.orgs.models import Unit, in_subtree
from lms.reports import services
from lms.timeutil import today

STATUSES = rules.SHOWN  # overdue, not_started, in_progress, failed, completed
CERTIFICATE_STATUSES = ("valid", "revoked")  # a certificate has no expiry date


@dataclass
class Listing:
    """A list's query and the columns it is ordered (and paged) by."""

    query: sa.Select
    key: tuple[Any, ...]


# --- scope and people ---------------------------------------------------------------------------

def scope(viewer: User, unit: Unit | None = None) -> sa.ColumnElement[bool]:
    """SQL condition on `units` rows: in the viewer's report scope and, when given, at or below `unit`
    (which the caller has checked is in scope)."""
    if unit is not None:
        return in_subtree(unit)
    roots = services.root_units(viewer)
    return sa.or_(*[in_subtree(r) for r in roots]) if roots else sa.false()


def unit_ids(viewer: User, unit: Unit | None = None) -> sa.Select:
    """The ids of the units `scope` admits, as a subquery."""
    return sa.select(Unit.id).where(scope(viewer, unit)).correlate(None)


def names_allowed(viewer: User) -> bool:
    """Whether the viewer may see people's names at all: trainers and admins, monitors when granted."""
    return viewer.role in (Role.ADMIN, Role.TRAINER) or (viewer.role == Role.MONITOR and viewer.can_see_names)


def pseudonym(user_id: int) -> str:
    """The stable pseudonymous id of an account: its number, with nothing of the person in it. It is the
    `actor.account.name` of the person's xAPI statements (lms.xapi), so a partner can join the two; it
    never changes, not even with SECRET_KEY."""
    return str(user_id)


def person(viewer: User, user_id: int | None, name: str | None, named: bool) -> dict | None:
    """A person as the API shows them: the pseudonymous id, and the name when `named` and the viewer may."""
    if user_id is None:
        return None
    return {"id": pseudonym(user_id), "name": name if named and name and names_allowed(viewer) else None}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min)


# --- lists --------------------------------------------------------------------------------------

def units(viewer: User, unit: Unit | None, level: int | None) -> Listing:
    """Units in scope (with their parent's code), parents before children: by level, then id."""
    parent = aliased(Unit)
    query = (sa.select(Unit, parent.code).outerjoin(parent, parent.id == Unit.parent_id)
             .where(scope(viewer, unit)))
    if level is not None:
        query = query.where(Unit.level == level)
    return Listing(query, (Unit.level, Unit.id))


def status_condition(status: str) -> sa.ColumnElement[bool]:
    """SQL for rules.shown_status(learner_progress) == `status`."""
    col, due = LearnerProgress.status, LearnerProgress.due_date
    if status == "overdue":
        return sa.and_(col.in_(("not_started", "in_progress")), due < today())
    if status in ("not_started", "in_progress"):
        return sa.and_(col == status, sa.or_(due.is_(None), due >= today()))
    return col == status


def progress(viewer: User, unit: Unit | None, module: Module | None, role: str | None,
             status: str | None) -> Listing:
    """learner_progress rows of people in scope (role "learner", "trainer" or None for both), by person and module."""
    query = (sa.select(LearnerProgress, User.full_name, User.role, User.erased_at, Unit.code, Module.slug)
             .join(User, User.id == LearnerProgress.user_id)
             .join(Unit, Unit.id == LearnerProgress.unit_id)
             .join(Module, Module.id == LearnerProgress.module_id)
             .where(scope(viewer, unit)))
    if module is not None:
        query = query.where(LearnerProgress.module_id == module.id)
    if role is not None:
        query = query.where(User.role == Role(role))
    if status is not None:
        query = query.where(status_condition(status))
    return Listing(query, (LearnerProgress.user_id, LearnerProgress.module_id))


def assignments(viewer: User, unit: Unit | None, module: Module | None, withdrawn: bool | None) -> Listing:
    """Assignments whose target unit, or target learner's unit, is in scope; by id."""
    target, home = aliased(Unit), aliased(Unit)
    inside = unit_ids(viewer, unit)
    query = (sa.select(Assignment, Module.slug, target.code, User.full_name, User.erased_at, home.code)
             .join(Module, Module.id == Assignment.module_id)
             .outerjoin(target, target.id == Assignment.unit_id)
             .outerjoin(User, User.id == Assignment.user_id)
             .outerjoin(home, home.id == User.unit_id)
             .where(sa.or_(Assignment.unit_id.in_(inside), User.unit_id.in_(inside))))
    if module is not None:
        query = query.where(Assignment.module_id == module.id)
    if withdrawn is not None:
        query = query.where(Assignment.withdrawn_at.is_not(None) if withdrawn else Assignment.withdrawn_at.is_(None))
    return Listing(query, (Assignment.id,))


def sessions(viewer: User, unit: Unit | None, module: Module | None, held_from: date | None,
             held_to: date | None) -> Listing:
    """Training sessions held in units in scope, with the number who attended; by id."""
    attended = (sa.select(sa.func.count(Attendance.id)).where(Attendance.session_id == TrainingSession.id)
                .scalar_subquery())
    query = (sa.select(TrainingSession, Module.slug, Unit.code, attended)
             .join(Unit, Unit.id == TrainingSession.unit_id)
             .join(Module, Module.id == TrainingSession.module_id)
             .where(scope(viewer, unit)))
    if module is not None:
        query = query.where(TrainingSession.module_id == module.id)
    if held_from is not None:
        query = query.where(TrainingSession.held_on >= held_from)
    if held_to is not None:
        query = query.where(TrainingSession.held_on <= held_to)
    return Listing(query, (TrainingSession.id,))


def attendance(viewer: User, unit: Unit | None, module: Module | None, session_id: int | None) -> Listing:
    """Who attended the sessions held in units in scope, with whether each person is in scope now; by id."""
    here = User.unit_id.in_(unit_ids(viewer)).label("in_scope")
    query = (sa.select(Attendance.id, Attendance.session_id, Attendance.user_id, User.full_name, User.erased_at,
                       here)
             .join(TrainingSession, TrainingSession.id == Attendance.session_id)
             .join(Unit, Unit.id == TrainingSession.unit_id)
             .join(User, User.id == Attendance.user_id)
             .where(scope(viewer, unit)))
    if module is not None:
        query = query.where(TrainingSession.module_id == module.id)
    if session_id is not None:
        query = query.where(Attendance.session_id == session_id)
    return Listing(query, (Attendance.id,))


def certificates(viewer: User, unit: Unit | None, module: Module | None, status: str | None,
                 since: date | None) -> Listing:
    """Certificates earned in units in scope, with whether the holder is in scope now; by id."""
    here = User.unit_id.in_(unit_ids(viewer)).label("in_scope")
    query = (sa.select(Certificate, Module.slug, Unit.code, here)
             .join(Unit, Unit.id == Certificate.unit_id)
             .outerjoin(Module, Module.id == Certificate.module_id)
             .outerjoin(User, User.id == Certificate.user_id)
             .where(scope(viewer, unit)))
    if module is not None:
        query = query.where(Certificate.module_id == module.id)
    if status is not None:
        query = query.where(Certificate.revoked_at.is_not(None) if status == "revoked"
                            else Certificate.revoked_at.is_(None))
    if since is not None:
        start = _start_of(since)
        query = query.where(sa.or_(Certificate.issued_at >= start, Certificate.revoked_at >= start))
    return Listing(query, (Certificate.id,))
