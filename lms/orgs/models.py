"""Organisation units. The tree has four fixed levels; each unit stores its ancestors.

A closed unit (`closed_at` set) keeps its history and its officials' records but takes no new
officials, assignments or sub-units; an open unit never has a closed unit above it.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import JSONType, db
from lms.i18n import pick


class UnitKind(enum.IntEnum):
    COUNTRY = 0
    OBLAST = 1
    DISTRICT = 2
    PRECINCT = 3


ANCESTOR_COLUMNS = ("country_id", "oblast_id", "district_id")
LOCK_CHUNK = 10_000  # ids per statement (PostgreSQL takes at most 65,535 parameters)


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    country_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    oblast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    names: Mapped[dict[str, str]] = mapped_column(JSONType)
    closed_at: Mapped[datetime | None]
    # days before a due date when reminders go out here and below ("7,1"); the nearest unit's setting wins
    reminder_days: Mapped[str | None] = mapped_column(sa.String(40))

    parent: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[parent_id])

    @property
    def kind(self) -> UnitKind:
        """The unit's kind (country, oblast, district or precinct), from its level."""
        return UnitKind(self.level)

    @property
    def closed(self) -> bool:
        """True when the unit has been closed (it takes nothing new)."""
        return self.closed_at is not None

    def name(self, lang: str) -> str:
        """The unit's name in `lang`, with the usual fallbacks, else its code."""
        return pick(self.names, lang) or self.code

    def attach(self, parent: Unit | None) -> None:
        """Place this unit under `parent`, filling the ancestor columns."""
        self.parent = parent
        self.level = 0 if parent is None else parent.level + 1
        for col in ANCESTOR_COLUMNS:
            setattr(self, col, None if parent is None else getattr(parent, col))
        if parent is not None:
            setattr(self, ANCESTOR_COLUMNS[parent.level], parent.id)

    def ancestor_ids(self) -> list[int]:
        """This unit's id and its ancestors' ids, nearest first."""
        ids = [self.id]
        for col in reversed(ANCESTOR_COLUMNS[: self.level]):
            ids.append(getattr(self, col))
        return ids


def in_subtree(unit: Unit) -> sa.ColumnElement[bool]:
    """SQL condition: a `units` row is `unit` itself or below it."""
    if unit.level >= len(ANCESTOR_COLUMNS):
        return Unit.id == unit.id
    return sa.or_(Unit.id == unit.id, getattr(Unit, ANCESTOR_COLUMNS[unit.level]) == unit.id)


LOCK_ORDER = (sa.desc(Unit.level), Unit.id)  # every lock on units rows is taken in this order: bottom up, by id


def lock_units(unit_ids: Iterable[int | None], exclusive: bool = False) -> dict[int, sa.Row]:
    """Lock these units' rows until the transaction ends (PostgreSQL: FOR SHARE, or FOR NO KEY UPDATE
    when `exclusive`; nothing on SQLite, which serialises writers) in LOCK_ORDER, and read them as they
    are once locked: id -> (id, closed_at, country_id, oblast_id, district_id)."""
    ids = sorted({i for i in unit_ids if i is not None})
    out: dict[int, sa.Row] = {}
    lock = {"key_share": True} if exclusive else {"read": True}
    for start in range(0, len(ids), LOCK_CHUNK):
        for row in db.session.execute(
                sa.select(Unit.id, Unit.closed_at, *[getattr(Unit, c) for c in ANCESTOR_COLUMNS])
                .where(Unit.id.in_(ids[start:start + LOCK_CHUNK])).order_by(*LOCK_ORDER).with_for_update(**lock)):
            out[row.id] = row
    return out


def closed_among(unit_ids: Iterable[int | None], exclusive: bool = False, above: bool = False) -> set[int]:
    """The closed units among `unit_ids`, read under a lock (lock_units); with `above`, the units above
    them are share-locked too.

    Every writer that adds to units takes these locks first, and a move or a close locks the rows of
    the units it changes, so that the two wait for each other instead of working from one snapshot:
    new officials share-lock their unit and the units above it (`above`), assignments lock their
    target units (`exclusive`); an assignment to a unit and a new official below it then never miss
    each other either. A unit's ancestors cannot change while its own row is locked (a move locks
    every unit it moves), so the units above are those read with it.
    """
    ids = {i for i in unit_ids if i is not None}
    rows = lock_units(ids, exclusive)
    if above:
        parents = {getattr(r, c) for r in rows.values() for c in ANCESTOR_COLUMNS} - {None} - set(rows)
        lock_units(parents)
    return {unit_id for unit_id, row in rows.items() if unit_id in ids and row.closed_at is not None}
