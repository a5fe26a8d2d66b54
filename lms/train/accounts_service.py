"""Learner accounts: create, edit, move, reset, deactivate, and write a checked import in one go.

Functions take plain arguments, flush but never commit, record an audit event with every change,
and refresh learner_progress when a learner's unit (and so their assigned modules) changes.
A closed unit takes no new accounts: creating one there, or moving one there, is refused.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from lms import events
from lms.auth.models import Role, User, name_or_username_contains, new_session_token
from lms.auth.passwords import hash_temporary_password, temporary_password
from lms.config import LANGUAGES
from lms.core.paging import Page, paginate
from lms.core.templating import current_lang
from lms.extensions import db
from lms.i18n import gettext as _
from lms.learn.models import AttemptGrant, LearnerProgress
from lms.orgs.models import Unit, closed_among, in_subtree
from lms.timeutil import utcnow
from lms.train import audit
from lms.train.models import AuditEvent
from lms.train.scope import learners_query, unit_condition, units_in_scope
from lms.train.user_import import MAX_NAME, USERNAME_RE, ImportRow, generate_username, username_base

CHUNK = 2000


class AccountError(Exception):
    """A value the user can correct; `field` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class OutOfScope(Exception):
    """An id outside the actor's scope (the view answers 404)."""


@dataclass
class Issued:
    """A new or reset account with its one-time password (never stored in clear)."""

    user: User
    password: str


def precincts_in_scope(actor: User) -> list[Unit]:
    """The open precincts in `actor`'s scope (a closed one takes no new officials)."""
    return list(db.session.scalars(units_in_scope(actor).where(Unit.level == 3, Unit.closed_at.is_(None))))


def unit_in_scope(actor: User | None, unit_id: int | None) -> Unit:
    """The unit `unit_id` if in `actor`'s scope (any unit when `actor` is None); raises OutOfScope otherwise."""
    condition = sa.true() if actor is None else unit_condition(actor)
    unit = db.session.scalar(sa.select(Unit).where(Unit.id == unit_id, condition)) if unit_id else None
    if unit is None:
        raise OutOfScope(unit_id)
    return unit


def closed_unit_message(unit: Unit) -> str:
    """Why no account can be created in, or moved to, the closed unit `unit`."""
    return _("%(name)s is closed: it takes no new officials. Choose an open unit.", name=unit.name(current_lang()))


def refuse_closed(unit: Unit | None) -> None:
    """Raise AccountError (field "unit") when `unit` is closed. It and the units above it are share-locked
    (lms.orgs.models.closed_among), so that a move, a close or an assignment there waits for this account."""
    if unit is not None and closed_among([unit.id], above=True):
        raise AccountError("unit", closed_unit_message(unit))


def check_name(full_name: str) -> str:
    """The full name with its spaces tidied; AccountError when empty or too long."""
    name = " ".join((full_name or "").split())
    if not name:
        raise AccountError("full_name", _("Enter the full name."))
    if len(name) > MAX_NAME:
        raise AccountError("full_name", _("The full name is longer than %(max)s characters.", max=MAX_NAME))
    return name


def check_language(language: str | None) -> str:
    """A language the app offers (the default when none is given); AccountError otherwise."""
    language = language or current_app.config["LMS_DEFAULT_LOCALE"]
    if language not in LANGUAGES:
        raise AccountError("language", _("Choose a language from the list."))
    return language


def _free_username(full_name: str, wanted: str | None) -> str:
    if wanted:
        username = wanted.strip().lower()
        if not USERNAME_RE.match(username):
            raise AccountError("username", _("Use 3 to 64 Latin letters, digits, dots, hyphens or underscores, "
                                             "starting with a letter or digit."))
        if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.username) == username)):
            raise AccountError("username", _("This username is already taken."))
        return username
    base = username_base(full_name)
    taken = {u.lower() for u in db.session.scalars(sa.select(User.username).where(User.username.like(base + "%")))}
    return generate_username(full_name, taken)


def _issue_password(user: User) -> str:
    password = temporary_password()
    user.password_hash = hash_temporary_password(password)
    user.must_change_password = True
    user.session_token = new_session_token()  # signs the account out everywhere
    user.failed_logins, user.locked_until = 0, None  # a new password lifts a lock-out
    return password


def create_learner(actor: User, full_name: str, username: str | None, unit_id: int | None,
                   language: str | None) -> Issued:
    """A learner account with a one-time password that must be changed at first sign-in."""
    unit = unit_in_scope(actor, unit_id)
    refuse_closed(unit)
    name = check_name(full_name)
    language = check_language(language)
    user = User(username=_free_username(name, username), full_name=name, unit_id=unit.id, role=Role.LEARNER,
                locale=language, active=True)
    password = _issue_password(user)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, unit.id, username=user.username, full_name=name,
                 unit=unit.code, locale=language)
    events.learners_changed.send(user_ids=[user.id])
    return Issued(user, password)


STAFF_ROLES = (Role.TRAINER, Role.MONITOR, Role.ADMIN)


def create_staff(actor: User | None, role: Role, full_name: str, username: str | None, unit_id: int | None,
                 language: str | None) -> Issued:
    """A trainer, monitor or admin account with a one-time password (admins' screen and `flask users create`).

    A trainer works on the unit given and everything under it; a monitor has no unit (an admin
    gives monitors countries on /admin/monitors); an admin may have one, for their own training.
    """
    if role not in STAFF_ROLES:
        raise AccountError("role", _("Choose a role from the list."))
    name = check_name(full_name)
    language = check_language(language)
    unit = staff_unit(role, unit_id)
    refuse_closed(unit)
    user = User(username=_free_username(name, username), full_name=name, unit_id=unit.id if unit else None,
                role=role, locale=language, active=True)
    password = _issue_password(user)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, unit.id if unit else None, username=user.username,
                 full_name=name, role=role.value, unit=unit.code if unit else None, locale=language)
    if role == Role.TRAINER:
        events.learners_changed.send(user_ids=[user.id])  # trainers take the modules of their unit too
    return Issued(user, password)


def staff_unit(role: Role, unit_id: int | None) -> Unit | None:
    """The unit of a staff account: required for a trainer, none for a monitor, optional for an admin."""
    if role == Role.TRAINER and not unit_id:
        raise AccountError("unit", _("A trainer needs the unit they train: an oblast, a district or a precinct."))
    if role == Role.MONITOR and unit_id:
        raise AccountError("unit", _("A monitor has no unit: give them countries on the monitors page."))
    if not unit_id:
        return None
    unit = db.session.get(Unit, unit_id) if 0 < unit_id < 2**31 else None
    if unit is None:
        raise AccountError("unit", _("Choose a unit from the list."))
    return unit


def update_learner(actor: User, learner: User, full_name: str, unit_id: int | None, language: str | None,
                   active: bool) -> bool:
    """Save the changed fields; a new unit is a move. Returns False when nothing changed."""
    unit = unit_in_scope(actor, unit_id)
    if unit.id != learner.unit_id:
        refuse_closed(unit)
    name = check_name(full_name)
    language = check_language(language)
    old_unit = learner.unit
    changes: dict[str, list] = {}
    for key, old, new in (("full_name", learner.full_name, name), ("locale", learner.locale, language),
                          ("active", learner.active, bool(active))):
        if old != new:
            changes[key] = [old, new]
    if learner.unit_id != unit.id:
        changes["unit"] = [old_unit.code if old_unit else None, unit.code]
    if not changes:
        return False
    learner.full_name, learner.locale, learner.unit = name, language, unit
    if learner.active and not active:
        learner.session_token = new_session_token()
    learner.active = bool(active)
    db.session.flush()
    action = "user.move" if "unit" in changes else "user.update"
    audit.record(actor, action, "user", learner.id, unit.id, username=learner.username, **changes)
    if "unit" in changes or "active" in changes:
        events.learners_changed.send(user_ids=[learner.id])
    return True


def set_contact(actor: User | None, person: User, email: str | None, phone: str | None,
                opt_out: bool | None = None) -> bool:
    """Save a person's contact details for reminders (already checked: lms.auth.contact) and, when given,
    the opt-out; the audit log names the fields changed, not their values. False when nothing changed."""
    new = {"email": email or None, "phone": phone or None,
           "reminders_opt_out": person.reminders_opt_out if opt_out is None else bool(opt_out)}
    changed = [key for key, value in new.items() if getattr(person, key) != value]
    if not changed:
        return False
    for key in changed:
        setattr(person, key, new[key])
    audit.record(actor, "user.contact", "user", person.id, person.unit_id, username=person.username,
                 fields=", ".join(changed))
    return True


def reset_password(actor: User, learner: User) -> Issued:
    """A new one-time password; every open session of the learner ends."""
    password = _issue_password(learner)
    db.session.flush()
    audit.record(actor, "user.reset_password", "user", learner.id, learner.unit_id, username=learner.username)
    return Issued(learner, password)


def unlock(actor: User, person: User) -> bool:
    """Lift a lock-out after failed sign-ins. Returns False when the account was not locked."""
    if not person.locked:
        return False
    person.failed_logins, person.locked_until = 0, None
    audit.record(actor, "user.unlock", "user", person.id, person.unit_id, username=person.username)
    return True


def set_active(actor: User, learner: User, active: bool) -> bool:
    """Deactivate (ending every session) or reactivate. Returns False when already so."""
    if learner.active == active:
        return False
    learner.active = active
    if not active:
        learner.session_token = new_session_token()
    db.session.flush()
    events.learners_changed.send(user_ids=[learner.id])  # a deactivated learner leaves the matrix and the reports
    audit.record(actor, "user.reactivate" if active else "user.deactivate", "user", learner.id, learner.unit_id,
                 username=learner.username, active=[not active, active])
    return True


@dataclass
class Imported:
    id: int
    row: ImportRow
    password: str


def import_learners(actor: User | None, rows: list[ImportRow], source: str = "", batch: str = "") -> list[Imported]:
    """Write checked rows with bulk inserts; the caller commits (all rows or none)."""
    now = utcnow()
    passwords = [temporary_password() for _ in rows]
    params = [{"username": r.username, "full_name": r.full_name, "unit_id": r.unit_id, "role": Role.LEARNER,
               "locale": r.language, "email": r.email, "phone": r.phone, "active": True,
               "password_hash": hash_temporary_password(p),
               "must_change_password": True, "session_token": new_session_token(), "created_at": now}
              for r, p in zip(rows, passwords)]
    ids: list[int] = []
    for start in range(0, len(params), CHUNK):
        ids += db.session.scalars(sa.insert(User).returning(User.id, sort_by_parameter_order=True),
                                  params[start:start + CHUNK]).all()
    events.learners_changed.send(user_ids=ids)
    audit.record(actor, "users.import", "import", None, actor.unit_id if actor else None, count=len(ids),
                 source=source[:200], batch=batch, first_id=min(ids, default=None), last_id=max(ids, default=None))
    return [Imported(i, r, p) for i, r, p in zip(ids, rows, passwords)]


def batch_done(batch: str, action: str = "users.import") -> bool:
    """True when a confirmed import (audit `action`) with this batch id was already written (a resubmitted form)."""
    if not batch:
        return False
    details = db.session.scalars(sa.select(AuditEvent.details).where(AuditEvent.action == action))
    return any(d.get("batch") == batch for d in details)


def learner_page(actor: User, q: str = "", unit: Unit | None = None, state: str = "", page: int = 1) -> Page[User]:
    """One page of the learners in scope, filtered, ordered by unit code and name (two queries)."""
    query = learners_query(actor)
    if unit is not None:
        query = query.where(User.unit_id.in_(sa.select(Unit.id).where(in_subtree(unit)).correlate(None)))
    if q:
        query = query.where(name_or_username_contains(q))
    if state in ("active", "inactive"):
        query = query.where(User.active if state == "active" else sa.not_(User.active))
    own = aliased(Unit)
    unit_code = sa.select(own.code).where(own.id == User.unit_id).scalar_subquery()
    return paginate(query.order_by(unit_code, User.full_name, User.id), page, count_by=User.id)


def grant_attempt(actor: User, learner: User, module_id: int) -> bool:
    """One more quiz attempt for a learner who has used every attempt in `module_id` without
    passing. False (nothing written) when the learner is not out of attempts there."""
    # the row is locked (on PostgreSQL) so that a double click grants one attempt, not two
    used = db.session.scalar(
        sa.select(LearnerProgress.attempts).where(LearnerProgress.user_id == learner.id,
                                                  LearnerProgress.module_id == module_id,
                                                  LearnerProgress.status == "failed").with_for_update())
    if used is None:
        return False
    db.session.add(AttemptGrant(user_id=learner.id, module_id=module_id, granted_by_id=actor.id))
    db.session.flush()
    events.attempt_granted.send(user_id=learner.id, module_id=module_id)
    audit.record(actor, "attempt.grant", "user", learner.id, learner.unit_id, username=learner.username,
                 module_id=module_id, attempts_used=used)
    return True
