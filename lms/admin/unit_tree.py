"""Changes to the shape of the organisation tree: move a unit under another parent, close or reopen it,
and the whole tree as a file in the import format.

Functions take plain arguments, flush but never commit (a move of a unit with more officials than one
chunk commits while their progress is refreshed, as a bulk assignment does), and record an audit event.

On PostgreSQL a move or a close locks the rows of the unit and of every unit below it (FOR NO KEY
UPDATE, in lms.orgs.models.LOCK_ORDER) before anything else, and the writers that add officials,
assignments or sub-units lock their units first (lms.orgs.models.closed_among): the two wait for
each other instead of working from the same snapshot. The progress subscriber then locks the officials
below the moved unit (lms.core.locks), as every writer of their derived rows does.
"""
from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from lms import events
from lms.admin.units_service import LEVEL_NAMES, UnitError, active_accounts_below, closed_parent_message
from lms.auth.models import User
from lms.config import LANGUAGES
from lms.core.templating import current_lang
from lms.extensions import db
from lms.i18n import gettext as _
from lms.learn.models import Assignment
from lms.orgs.models import ANCESTOR_COLUMNS, LOCK_ORDER, Unit, UnitKind, closed_among, in_subtree
from lms.timeutil import utcnow
from lms.train import audit
from lms.train.models import Election

EXPORT_COLUMNS = ("code", "parent_code") + tuple(f"name_{lang}" for lang in LANGUAGES)  # unit_import.COLUMNS


def _lock_subtree(unit: Unit) -> list[int]:
    """Lock `unit` and every unit below it (PostgreSQL; FOR NO KEY UPDATE, in LOCK_ORDER); their ids."""
    return list(db.session.scalars(sa.select(Unit.id).where(in_subtree(unit)).order_by(*LOCK_ORDER)
                                   .with_for_update(key_share=True)))


def subtree_counts(unit: Unit) -> tuple[int, int, int]:
    """(units below `unit`, those of them open, active accounts at or below it), for the move and close pages."""
    below, still_open = db.session.execute(
        sa.select(sa.func.count(Unit.id), sa.func.count(Unit.id).filter(Unit.closed_at.is_(None)))
        .where(in_subtree(unit), Unit.id != unit.id)).one()
    return below, still_open, active_accounts_below([unit.id], unit.level).get(unit.id, 0)


def move_candidates(unit: Unit) -> list[tuple[Unit, Unit | None]]:
    """The open units `unit` may be moved under (one level above it, not its parent now), by code,
    each with its own parent (for the label)."""
    if unit.level == UnitKind.COUNTRY:
        return []
    parent = aliased(Unit)
    rows = db.session.execute(
        sa.select(Unit, parent).outerjoin(parent, parent.id == Unit.parent_id)
        .where(Unit.level == unit.level - 1, Unit.closed_at.is_(None), Unit.id != unit.parent_id)
        .order_by(Unit.code))
    return [(u, p) for u, p in rows]


def _country_id(unit: Unit) -> int:
    return unit.id if unit.level == UnitKind.COUNTRY else unit.country_id


def _election_bound(subtree: list[int], country_id: int) -> bool:
    """Whether a live assignment to these units, or to an official in them, follows an election of
    another country than `country_id`."""
    people = sa.select(User.id).where(User.unit_id.in_(subtree))
    return bool(db.session.scalar(sa.select(sa.exists().where(
        Assignment.withdrawn_at.is_(None), Assignment.election_id == Election.id, Election.country_id != country_id,
        sa.or_(Assignment.unit_id.in_(subtree), Assignment.user_id.in_(people))))))


def move(actor: User | None, unit: Unit, new_parent: Unit | None) -> int:
    """Move `unit`, its sub-units and their officials under `new_parent`, a unit one level above it.

    Its sub-units, accounts, assignments and in-person sessions stay attached to it; the units above
    them change, and with them the trainers and monitors who see them and the report figures of
    the old and new units above (lms.events.unit_moved). Raises UnitError (field "parent") for a
    country, a parent of the wrong level, the same parent, a closed parent, or a move to another
    country while live assignments follow an election of this one. Returns how many officials'
    progress was refreshed.
    """
    lang = current_lang()
    if unit.level == UnitKind.COUNTRY:
        raise UnitError("parent", _("A country is at the top of the tree: it cannot be moved."))
    if new_parent is None or new_parent.level != unit.level - 1:
        raise UnitError("parent", _("Choose a unit of the level above: %(level)s.",
                                    level=str(LEVEL_NAMES[UnitKind(unit.level - 1)]).lower()))
    if new_parent.id == unit.parent_id:
        raise UnitError("parent", _("%(name)s is already under %(parent)s.", name=unit.name(lang),
                                    parent=new_parent.name(lang)))
    subtree = _lock_subtree(unit)
    if closed_among([new_parent.id]):
        raise UnitError("parent", closed_parent_message(new_parent))
    db.session.refresh(unit)  # both as they are now that their rows are locked
    db.session.refresh(new_parent)
    old_parent, old_above = unit.parent, unit.ancestor_ids()[1:]
    country = _country_id(new_parent)
    if country != unit.country_id and _election_bound(subtree, country):
        raise UnitError("parent", _("Live assignments in %(name)s follow the dates of an election of its country. "
                                    "Withdraw them, or give them another due date, before moving it to another "
                                    "country.", name=unit.name(lang)))
    unit.attach(new_parent)
    db.session.flush()
    above = ANCESTOR_COLUMNS[:unit.level]  # the ancestor columns that change below the unit too
    if len(subtree) > 1:
        db.session.execute(sa.update(Unit).where(in_subtree(unit), Unit.id != unit.id)
                           .values({col: getattr(unit, col) for col in above})
                           .execution_options(synchronize_session="fetch"))
    audit.record(actor, "unit.move", "unit", unit.id, unit.id, code=unit.code, level=unit.level,
                 parent=[old_parent.code if old_parent else None, new_parent.code], names=unit.names,
                 sub_units=len(subtree) - 1)
    results = events.unit_moved.send(unit_id=unit.id, old_above=old_above)
    return sum(n for _receiver, n in results if isinstance(n, int))


def close(actor: User | None, unit: Unit) -> int:
    """Close `unit` and every open unit below it: they keep their history, their officials and their
    records, and take no new officials, assignments or sub-units. Returns how many units were closed
    (UnitError when `unit` is closed already)."""
    _lock_subtree(unit)
    db.session.refresh(unit)
    if unit.closed_at is not None:
        raise UnitError("unit", _("%(name)s is already closed.", name=unit.name(current_lang())))
    now = utcnow()
    closed = db.session.execute(sa.update(Unit).where(in_subtree(unit), Unit.closed_at.is_(None))
                                .values(closed_at=now).execution_options(synchronize_session="fetch")).rowcount
    audit.record(actor, "unit.close", "unit", unit.id, unit.id, code=unit.code, level=unit.level, names=unit.names,
                 sub_units=closed - 1)
    return closed


def reopen(actor: User | None, unit: Unit) -> int:
    """Open a closed unit again, with the units below it that were closed together with it (at the same
    moment). Raises UnitError when it is open, or when the unit above it is closed. Returns how many
    units were opened."""
    lang = current_lang()
    _lock_subtree(unit)
    db.session.refresh(unit)
    if unit.closed_at is None:
        raise UnitError("unit", _("%(name)s is open.", name=unit.name(lang)))
    if unit.parent_id is not None and closed_among([unit.parent_id]):
        raise UnitError("unit", _("%(parent)s, the unit above it, is closed: reopen it first.",
                                  parent=unit.parent.name(lang)))
    opened = db.session.execute(sa.update(Unit).where(in_subtree(unit), Unit.closed_at == unit.closed_at)
                                .values(closed_at=None).execution_options(synchronize_session="fetch")).rowcount
    audit.record(actor, "unit.reopen", "unit", unit.id, unit.id, code=unit.code, level=unit.level, names=unit.names,
                 sub_units=opened - 1)
    return opened


def export_rows() -> Iterator[list[str]]:
    """Every unit as a line of the import file (EXPORT_COLUMNS), parents before their sub-units:
    by level, then by code. Closed units are included (the file does not say which are closed)."""
    parent = aliased(Unit)
    query = (sa.select(Unit.code, parent.code, Unit.names).outerjoin(parent, parent.id == Unit.parent_id)
             .order_by(Unit.level, Unit.code))
    for code, parent_code, names in db.session.execute(query.execution_options(yield_per=1000)):
        names = names or {}
        yield [code, parent_code or ""] + [names.get(lang, "") for lang in LANGUAGES]
