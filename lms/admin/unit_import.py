"""Organisation units from CSV or XLSX: every line checked before anything is written, then all or nothing.

Files are read by the learner import's reader (lms.train.user_import), so both imports accept the
same formats and report problems alike, by the file's own line numbers. A unit's parent is a unit
already saved or one on an earlier line of the file; its level follows from the parent (none: a
country). A code already saved, under the same parent, updates that unit's names: a filled cell
replaces the name in its language, an empty one keeps the saved name.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.admin.units_service import NAME_COLUMNS, clean_code, clean_names, code_problem, name_problems
from lms.auth.models import User
from lms.config import LANGUAGES
from lms.extensions import db
from lms.orgs.models import Unit, UnitKind, closed_among
from lms.train import audit
from lms.train.user_import import (
    IN_CHUNK,
    Problem,
    RawRow,
    normalised_chunks,
    read_normalised,
    read_table,
    units_by_code,
)

COLUMNS = ("code", "parent_code") + tuple(NAME_COLUMNS[lang] for lang in LANGUAGES)
REQUIRED = ("code", "parent_code", "name_en", "name_ru")
MAX_ROWS = 10_000  # the web form carries the checked rows back for confirmation
CLI_MAX_ROWS = 200_000


@dataclass
class UnitRow:
    """A checked line, ready to be written."""

    line: int
    code: str
    parent_code: str
    level: int
    names: dict[str, str]  # the names the unit will have
    existing: Unit | None = None  # the saved unit of this code, to update
    parent: Unit | None = None  # the saved parent (None for a country or a parent created from the file)

    @property
    def action(self) -> str:
        """The row's action: "create" for a new unit, else "update" or "unchanged" by whether its names change."""
        if self.existing is None:
            return "create"
        return "unchanged" if self.names == self.existing.names else "update"


@dataclass
class CheckedUnits:
    rows: list[UnitRow]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """True when there are rows to write and no problems."""
        return not self.problems and bool(self.rows)

    def count(self, action: str) -> int:
        """How many rows have `action` ("create", "update" or "unchanged")."""
        return sum(1 for r in self.rows if r.action == action)


def _parent_codes(units: list[Unit], known: dict[str, Unit]) -> dict[int, str]:
    """unit id -> code of the parents of `units` (those not in `known` are read, a few queries)."""
    codes = {u.id: u.code for u in known.values()}
    missing = sorted({u.parent_id for u in units if u.parent_id and u.parent_id not in codes})
    for start in range(0, len(missing), IN_CHUNK):
        part = missing[start:start + IN_CHUNK]
        codes.update(db.session.execute(sa.select(Unit.id, Unit.code).where(Unit.id.in_(part))).all())
    return codes


def _reload(units: list[Unit]) -> None:
    """Read these units again (a move that held their rows may have changed their ancestors meanwhile)."""
    ids = sorted(u.id for u in units)
    for start in range(0, len(ids), IN_CHUNK):
        db.session.scalars(sa.select(Unit).where(Unit.id.in_(ids[start:start + IN_CHUNK]))
                           .execution_options(populate_existing=True)).all()


def check_rows(raw: list[RawRow]) -> CheckedUnits:
    """Check every line against the database and the lines before it. Nothing is written."""
    wanted = set()
    for r in raw:
        wanted |= {clean_code(r.values.get("code")), clean_code(r.values.get("parent_code"))}
    saved = units_by_code(wanted, sa.true())
    parent_codes_in_file = {clean_code(r.values.get("parent_code")) for r in raw}
    parents = [u for c, u in saved.items() if c in parent_codes_in_file]
    closed = closed_among(u.id for u in parents)  # share-locked: the confirmation writes next
    _reload(parents)
    parent_codes = _parent_codes(list(saved.values()), saved)
    first_line: dict[str, int] = {}
    for r in raw:
        first_line.setdefault(clean_code(r.values.get("code")), r.line)
    levels: dict[str, int | None] = {}  # codes of the lines checked so far -> their level (None: unknown)
    rows: list[UnitRow] = []
    problems: list[Problem] = []
    for r in raw:
        messages = []
        code = clean_code(r.values.get("code"))
        parent_code = clean_code(r.values.get("parent_code"))
        problem = code_problem(code)
        if problem:
            messages.append(problem)
        elif code in levels:
            messages.append(_("The code \"%(code)s\" appears more than once in the file (first on line %(line)s).",
                              code=code, line=first_line[code]))
        names = clean_names({lang: r.values.get(column, "") for lang, column in NAME_COLUMNS.items()})
        messages += [message for _lang, message in name_problems(names)]

        level: int | None = None
        parent = saved.get(parent_code) if parent_code else None
        if not parent_code:
            level = UnitKind.COUNTRY
        elif parent_code == code:
            messages.append(_("A unit cannot be its own parent."))
        else:
            parent_level = parent.level if parent is not None else levels.get(parent_code)
            if parent is None and parent_code not in levels:
                if parent_code in first_line and first_line[parent_code] > r.line:
                    messages.append(_("The parent unit \"%(code)s\" comes later in the file (line %(line)s): put it "
                                      "before its sub-units.", code=parent_code, line=first_line[parent_code]))
                else:
                    messages.append(_("Unknown parent code \"%(code)s\".", code=parent_code))
            elif parent_level is not None and parent_level >= UnitKind.PRECINCT:
                messages.append(_("The parent unit \"%(code)s\" is a precinct commission: it cannot have sub-units.",
                                  code=parent_code))
            elif parent is not None and parent.id in closed and saved.get(code) is None:
                messages.append(_("The parent unit \"%(code)s\" is closed: it takes no new sub-units.",
                                  code=parent_code))
            elif parent_level is not None:
                level = parent_level + 1

        existing = saved.get(code) if not problem else None
        if existing is not None:
            saved_parent = parent_codes.get(existing.parent_id, "") if existing.parent_id else ""
            if saved_parent != parent_code:
                if saved_parent:
                    messages.append(_("The unit \"%(code)s\" already exists under another parent unit, "
                                      "\"%(parent)s\".", code=code, parent=saved_parent))
                else:
                    messages.append(_("The unit \"%(code)s\" already exists as a country.", code=code))
            names = {**existing.names, **names}
        if not problem and code not in levels:
            levels[code] = level
        problems.extend(Problem(r.line, m) for m in messages)
        if not messages:
            rows.append(UnitRow(r.line, code, parent_code, level, names, existing, parent))
    if problems:
        return CheckedUnits([], problems)
    return CheckedUnits(rows, [])


def read_file(data: bytes, max_rows: int = MAX_ROWS) -> tuple[list[RawRow], list[Problem]]:
    """Read a CSV or XLSX file of units into raw rows, or the problems that stop it."""
    return read_table(data, COLUMNS, REQUIRED, max_rows, _("The file has no units after the header line."))


def check_file(data: bytes, max_rows: int = MAX_ROWS) -> tuple[list[RawRow], CheckedUnits]:
    """Read and check a whole file; the raw rows are kept for the confirmation step."""
    raw, problems = read_file(data, max_rows)
    if problems:
        return [], CheckedUnits([], problems)
    return raw, check_rows(raw)


def confirmation_chunks(raw: list[RawRow]) -> list[str]:
    """The raw rows as CSV pieces small enough for the confirmation form's fields."""
    return normalised_chunks(raw, columns=COLUMNS)


def read_confirmation(chunks: list[str]) -> tuple[list[RawRow], list[Problem]]:
    """The raw rows back from the confirmation form's pieces, or the problems found in them."""
    return read_normalised(chunks, COLUMNS, MAX_ROWS)


def write_units(actor: User | None, checked: CheckedUnits, source: str = "", batch: str = "") -> dict[str, int]:
    """Create and update the checked units, parents first, with one audit event; the caller commits."""
    created: dict[str, Unit] = {}
    for level in UnitKind:
        new = [r for r in checked.rows if r.existing is None and r.level == level]
        for r in new:
            unit = Unit(code=r.code, names=r.names)
            unit.attach(r.parent or created.get(r.parent_code))
            db.session.add(unit)
            created[r.code] = unit
        if new:
            db.session.flush()  # the ids are the next level's ancestor columns
    counts = {"created": len(created), "updated": checked.count("update"), "unchanged": checked.count("unchanged")}
    for r in checked.rows:
        if r.action == "update":
            r.existing.names = r.names
    db.session.flush()
    audit.record(actor, "units.import", "import", None, None, **counts, source=source[:200], batch=batch)
    return counts
