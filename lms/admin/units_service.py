"""Organisation units for admins: one level of the tree with its counts, create, rename, delete an empty unit.

Functions take plain arguments, flush but never commit, and record an audit event with every change.
A unit's code and level are fixed once it is created; moving it under another parent, closing and
reopening it are in lms.admin.unit_tree.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.auth.models import User
from lms.config import LANGUAGES
from lms.core.paging import Page, paginate
from lms.core.templating import current_lang
from lms.extensions import db
from lms.i18n import gettext as _
from lms.learn.models import Assignment, LearnerProgress, TrainingSession
from lms.orgs.models import ANCESTOR_COLUMNS, Unit, UnitKind, closed_among
from lms.progress.models import ReportMember
from lms.reports.models import ReportScope
from lms.train import audit
from lms.train.accounts_service import AccountError
from lms.train.models import Election

MAX_NAME = 200
CODE_RE = re.compile(r"^[A-Z0-9-]{2,40}$")
REQUIRED_NAMES = ("en", "ru")
NAME_COLUMNS = {lang: f"name_{lang}" for lang in LANGUAGES}

LEVEL_NAMES = {
    UnitKind.COUNTRY: _l("Country"),
    UnitKind.OBLAST: _l("Oblast"),
    UnitKind.DISTRICT: _l("District or city commission"),
    UnitKind.PRECINCT: _l("Precinct commission"),
}


class UnitError(AccountError):
    """A unit value the admin can correct; `field` names the form field."""


# --- values ----------------------------------------------------------------------------------------

def clean_code(code: str | None) -> str:
    """The unit code trimmed and in capitals ("" for None)."""
    return (code or "").strip().upper()


def code_problem(code: str) -> str | None:
    """Why `code` (already cleaned) cannot be a unit code, or None."""
    if not code:
        return _("Enter the code.")
    if not CODE_RE.match(code):
        return _("The code \"%(code)s\" is not valid: use 2 to 40 capital Latin letters, digits or hyphens.",
                 code=code)
    return None


def clean_names(values: Mapping[str, str | None]) -> dict[str, str]:
    """Names by language, whitespace collapsed, empty ones left out."""
    names = {lang: " ".join((values.get(lang) or "").split()) for lang in LANGUAGES}
    return {lang: name for lang, name in names.items() if name}


def name_problems(names: Mapping[str, str]) -> list[tuple[str, str]]:
    """(language, message) for each missing required name or name that is too long."""
    problems = []
    for lang in REQUIRED_NAMES:
        if not names.get(lang):
            problems.append(
                (lang, _("Enter the name in English.") if lang == "en" else _("Enter the name in Russian."))
            )
    for lang, name in names.items():
        if len(name) > MAX_NAME:
            problems.append((lang, _("The name in column %(column)s is longer than %(max)s characters.",
                                     column=NAME_COLUMNS[lang], max=MAX_NAME)))
    return problems


def _check_names(values: Mapping[str, str | None]) -> dict[str, str]:
    names = clean_names(values)
    problems = name_problems(names)
    if problems:
        lang, message = problems[0]
        raise UnitError(NAME_COLUMNS[lang], message)
    return names


def closed_parent_message(parent: Unit) -> str:
    """Why no sub-unit can be added under the closed unit `parent`."""
    return _("%(name)s is closed: it takes no new sub-units.", name=parent.name(current_lang()))


# --- writes ----------------------------------------------------------------------------------------

def create_unit(actor: User | None, parent: Unit | None, code: str, names: Mapping[str, str | None]) -> Unit:
    """A new unit under `parent` (a country when None); its level and ancestors follow from the parent."""
    if parent is not None and parent.level >= UnitKind.PRECINCT:
        raise ValueError("a precinct commission has no sub-units")
    if parent is not None:
        if closed_among([parent.id]):
            raise UnitError("code", closed_parent_message(parent))
        db.session.refresh(parent)  # its ancestors as they are now that its row is locked (a move may have waited)
    code = clean_code(code)
    problem = code_problem(code)
    if problem:
        raise UnitError("code", problem)
    names = _check_names(names)
    other = db.session.scalar(sa.select(Unit).where(Unit.code == code))
    if other is not None:
        raise UnitError("code", _("The code %(code)s is already used by %(name)s.", code=code,
                                  name=other.name(current_lang())))
    unit = Unit(code=code, names=names)
    unit.attach(parent)
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "unit.create", "unit", unit.id, unit.id, code=code, level=unit.level,
                 parent=parent.code if parent else None, names=names)
    return unit


def update_names(actor: User | None, unit: Unit, values: Mapping[str, str | None]) -> bool:
    """Replace the unit's names. Returns False when nothing changed."""
    names = _check_names(values)
    if names == unit.names:
        return False
    old = dict(unit.names or {})
    unit.names = names
    db.session.flush()
    audit.record(actor, "unit.update", "unit", unit.id, unit.id, code=unit.code, names=[old, names])
    return True


def set_reminder_days(actor: User | None, unit: Unit, days: str | None) -> bool:
    """Set the days before a due date when reminders go out for this unit and those below it ("7,1", already
    checked; None: the setting of the unit above, else LMS_REMINDER_DAYS). False when nothing changed."""
    days = days or None
    if days == unit.reminder_days:
        return False
    old, unit.reminder_days = unit.reminder_days, days
    db.session.flush()
    audit.record(actor, "unit.reminders", "unit", unit.id, unit.id, code=unit.code, reminder_days=[old, days])
    return True


def delete_blockers(unit: Unit) -> list[str]:
    """What still refers to `unit` (one query); only a unit with nothing is deleted.

    Report summary rows are figures derived from the accounts below a unit: with no account
    and no sub-unit left they hold only zeros, and the database deletes them with the unit
    (ON DELETE CASCADE). Audit events keep their details; their unit becomes empty (SET NULL).
    """
    uid = unit.id
    checks = [
        (sa.select(Unit.id).where(Unit.parent_id == uid), _("sub-units")),
        (sa.select(User.id).where(User.unit_id == uid), _("user accounts")),
        (sa.select(ReportMember.user_id).where(ReportMember.unit_id == uid), _("officials counted in its reports")),
        (sa.select(Assignment.id).where(Assignment.unit_id == uid), _("assignments")),
        (sa.select(TrainingSession.id).where(TrainingSession.unit_id == uid), _("in-person sessions")),
        (sa.select(Election.id).where(Election.country_id == uid), _("elections")),
        (sa.select(ReportScope.user_id).where(ReportScope.unit_id == uid), _("monitors who read its reports")),
        (sa.select(LearnerProgress.user_id).where(LearnerProgress.unit_id == uid), _("training progress records")),
    ]
    found = db.session.execute(sa.select(*[sa.exists(query) for query, _label in checks])).one()
    return [label for (_query, label), present in zip(checks, found, strict=True) if present]


def delete_unit(actor: User | None, unit: Unit) -> list[str]:
    """Delete an empty unit; returns what prevents it (nothing is changed then)."""
    blockers = delete_blockers(unit)
    if blockers:
        return blockers
    parent = unit.parent
    audit.record(actor, "unit.delete", "unit", unit.id, parent.id if parent else None, code=unit.code,
                 level=unit.level, parent=parent.code if parent else None, names=unit.names)
    db.session.delete(unit)
    db.session.flush()
    return []


# --- reading one level of the tree -----------------------------------------------------------------

@dataclass
class UnitPage:
    unit: Unit | None  # None: the countries
    ancestors: list[Unit]  # from the country down, without `unit`
    children: Page[Unit]
    sub_units: dict[int, int] = field(default_factory=dict)
    accounts: dict[int, int] = field(default_factory=dict)


def active_accounts_below(ids: list[int], level: int) -> dict[int, int]:
    """Active accounts (any role) at or below each unit of `ids`, all at `level` (one grouped query)."""
    if not ids:
        return {}
    if level >= len(ANCESTOR_COLUMNS):
        key, condition = Unit.id, Unit.id.in_(ids)
    else:
        column = getattr(Unit, ANCESTOR_COLUMNS[level])
        # a unit's own ancestor column at its own level is empty, so this is the unit at `level` above it
        key, condition = sa.func.coalesce(column, Unit.id), sa.or_(Unit.id.in_(ids), column.in_(ids))
    rows = db.session.execute(sa.select(key, sa.func.count(User.id)).select_from(User)
                              .join(Unit, Unit.id == User.unit_id).where(User.active, condition).group_by(key))
    return dict(rows.all())  # a Result has keys(): dict() would take it for a mapping


def unit_page(unit: Unit | None, page: int = 1) -> UnitPage:
    """The children of `unit` (or the countries), one page ordered by code, with their counts.

    A fixed number of queries whatever the size of the tree: ancestors, total, the page,
    sub-units and accounts (the last two grouped over the page's units only).
    """
    ancestors = []
    if unit is not None and unit.level > 0:
        ancestors = list(db.session.scalars(sa.select(Unit).where(Unit.id.in_(unit.ancestor_ids()[1:]))
                                            .order_by(Unit.level)))
    query = sa.select(Unit).where(Unit.parent_id == unit.id if unit is not None else Unit.parent_id.is_(None))
    children = paginate(query.order_by(Unit.code), page, count_by=Unit.id)
    ids = [c.id for c in children.items]
    sub_units = {}
    if ids and (unit is None or unit.level + 1 < UnitKind.PRECINCT):
        sub_units = dict(db.session.execute(sa.select(Unit.parent_id, sa.func.count(Unit.id))
                                            .where(Unit.parent_id.in_(ids)).group_by(Unit.parent_id)).all())
    level = 0 if unit is None else unit.level + 1
    return UnitPage(unit, ancestors, children, sub_units, active_accounts_below(ids, level))
