"""Staff accounts for admins: edit, change the role, deactivate — and one active admin always remains.

Functions take plain arguments, flush but never commit, and record an audit event whose changed
fields are [before, after] pairs. An active admin stops being one (demoted or deactivated) only
after `keep_an_admin` has locked the rows of every active admin in id order and counted the
others, so two admins demoting or deactivating each other at the same moment cannot both succeed
(on PostgreSQL; SQLite runs one writer at a time).
"""
from __future__ import annotations

import sqlalchemy as sa

from lms import events
from lms.auth.models import Role, User, new_session_token
from lms.core.locks import lock_users
from lms.extensions import db
from lms.i18n import gettext as _
from lms.reports.models import ReportScope
from lms.train import audit
from lms.train.accounts_service import (
    STAFF_ROLES,
    AccountError,
    check_language,
    check_name,
    refuse_closed,
    staff_unit,
)


def staff_role(value: Role | str | None, current: Role) -> Role:
    """The role chosen on the form: `current` when none was sent; AccountError for a role staff cannot have."""
    if value is None or value == "":
        return current
    try:
        role = Role(value)
    except ValueError:
        role = None
    if role not in STAFF_ROLES:
        raise AccountError("role", _("Choose a role from the list."))
    return role


def _loses_admin(user: User, role: Role, active: bool) -> bool:
    return user.role == Role.ADMIN and user.active and (role != Role.ADMIN or not active)


def active_admins(exclude: int | None = None) -> int:
    """How many active admin accounts there are (besides `exclude`)."""
    query = sa.select(sa.func.count()).select_from(User).where(User.role == Role.ADMIN, User.active)
    if exclude is not None:
        query = query.where(User.id != exclude)
    return db.session.scalar(query) or 0


def keep_an_admin(user: User, role: Role, active: bool, field: str) -> None:
    """Refuse (AccountError on `field`) to make `user` stop being an active admin when they are the last one.

    Call it before anything else in the transaction writes to `users`: it locks every active admin's
    row and `user`'s in id order (PostgreSQL), re-reads `user`, then counts the other active admins.
    """
    if not _loses_admin(user, role, active):
        return
    ids = db.session.scalars(sa.select(User.id).where(User.role == Role.ADMIN, User.active)).all()
    lock_users([*ids, user.id])
    db.session.refresh(user)  # as committed by whoever held the lock before us
    if _loses_admin(user, role, active) and not active_admins(exclude=user.id):
        raise AccountError(field, _("This is the last active administrator account. Make another account an "
                                    "administrator first, so that someone can still manage the platform."))


def _monitor_scope_cleared(user: User) -> dict[str, list]:
    """Forget what a monitor was allowed to read (countries, names) when they take another role."""
    changes: dict[str, list] = {}
    countries = sorted(db.session.scalars(sa.select(ReportScope.unit_id).where(ReportScope.user_id == user.id)))
    if countries:
        db.session.execute(sa.delete(ReportScope).where(ReportScope.user_id == user.id))
        changes["countries"] = [countries, []]
    if user.can_see_names:
        changes["names"] = [True, False]
        user.can_see_names = False
    return changes


def update_staff(actor: User, user: User, full_name: str, unit_id: int | None, language: str | None,
                 active: bool, role: Role | str | None = None) -> bool:
    """Save the changed fields of a trainer, monitor or admin, the role among them; returns False when none changed.

    The role's rules hold for the new role: a trainer needs a unit, a monitor has none (and leaving
    the monitor role clears the countries and names a monitor was given), an admin may have one.
    An admin cannot deactivate their own account, and the last active admin can be neither demoted
    nor deactivated. The audit event is `user.role` when the role changed, else `user.move` when the
    unit did, else `user.update`.
    """
    if user.role not in STAFF_ROLES:
        raise AccountError("role", _("Choose a role from the list."))
    role = staff_role(role, user.role)
    active = bool(active)
    if user.id == actor.id and not active:
        raise AccountError("active", _("You cannot deactivate your own account."))
    keep_an_admin(user, role, active, "role" if role != Role.ADMIN else "active")  # before the unit's rules
    name = check_name(full_name)
    unit = staff_unit(role, unit_id)
    if unit is not None and unit.id != user.unit_id:
        refuse_closed(unit)
    language = check_language(language)
    old_role = user.role
    changes: dict[str, list] = {}
    for key, old, new in (("full_name", user.full_name, name), ("role", old_role.value, role.value),
                          ("locale", user.locale, language), ("active", user.active, active)):
        if old != new:
            changes[key] = [old, new]
    new_unit_id = unit.id if unit else None
    if user.unit_id != new_unit_id:
        changes["unit"] = [user.unit.code if user.unit else None, unit.code if unit else None]
    if not changes:
        return False
    if old_role == Role.MONITOR and role != Role.MONITOR:
        changes |= _monitor_scope_cleared(user)
    user.full_name, user.locale, user.unit, user.role = name, language, unit, role
    if user.active and not active:
        user.session_token = new_session_token()  # signs the account out everywhere
    user.active = active
    db.session.flush()
    action = "user.role" if "role" in changes else "user.move" if "unit" in changes else "user.update"
    kept = {} if "role" in changes else {"role": role.value}
    audit.record(actor, action, "user", user.id, new_unit_id, username=user.username, **kept, **changes)
    if Role.TRAINER in (old_role, role) and changes.keys() & {"unit", "active", "role"}:
        events.learners_changed.send(user_ids=[user.id])  # trainers take the modules of their unit too
    return True


def deactivation_refused(actor: User, user: User) -> str | None:
    """Why `actor` may not deactivate `user` (their own account, or the last active admin), else None.

    When None, the rows `keep_an_admin` locks stay locked until the transaction ends."""
    if user.id == actor.id:
        return _("You cannot deactivate your own account.")
    try:
        keep_an_admin(user, user.role, False, "active")
    except AccountError as exc:
        return exc.message
    return None
