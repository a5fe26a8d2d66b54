"""Who may see what: a trainer works inside their own unit's subtree, an admin everywhere.

Every list and lookup in the trainer workspace goes through these functions, so the scope
is part of the SQL query itself; an id outside the scope is simply not found (404).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from lms.auth.access import roles_required
from lms.auth.models import Role, User
from lms.extensions import db
from lms.orgs.models import Unit, in_subtree

trainer_required = roles_required(Role.TRAINER, Role.ADMIN)
admin_required = roles_required(Role.ADMIN)


def sees_everything(user: User) -> bool:
    """True for admins and monitors, who see every unit."""
    return user.role in (Role.ADMIN, Role.MONITOR)


def unit_condition(user: User) -> sa.ColumnElement[bool]:
    """SQL condition on `units` rows that `user` may see."""
    if sees_everything(user):
        return sa.true()
    if user.unit is None:
        return sa.false()
    return in_subtree(user.unit)


def units_in_scope(user: User) -> sa.Select:
    """Units in `user`'s scope, ordered by level and code."""
    return sa.select(Unit).where(unit_condition(user)).order_by(Unit.level, Unit.code)


def learners_query(user: User) -> sa.Select:
    """Learner accounts that `user` manages (active or not)."""
    query = sa.select(User).where(User.role == Role.LEARNER)
    if sees_everything(user):
        return query
    return query.join(Unit, User.unit_id == Unit.id).where(unit_condition(user))


def learner_or_404(user: User, learner_id: int) -> User:
    """The learner if `user` manages them, else 404 (an id beyond the column's range, or a person
    whose data was erased, too)."""
    if not 0 < learner_id < 2**31:
        abort(404)
    learner = db.session.scalar(learners_query(user).where(User.id == learner_id, User.erased_at.is_(None)))
    if learner is None:
        abort(404)
    return learner


def unit_or_404(user: User, unit_id: int) -> Unit:
    """The unit if in `user`'s scope, else 404 (an id beyond the column's range too)."""
    if not 0 < unit_id < 2**31:
        abort(404)
    unit = db.session.scalar(sa.select(Unit).where(Unit.id == unit_id, unit_condition(user)))
    if unit is None:
        abort(404)
    return unit


def unit_by_code(user: User, code: str) -> Unit | None:
    """The unit with `code` if in `user`'s scope, or None."""
    return db.session.scalar(sa.select(Unit).where(Unit.code == code, unit_condition(user)))
