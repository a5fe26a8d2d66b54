"""Learner lists from CSV or XLSX: read, normalise and check every row before anything is written.

The same checks serve the trainer's upload, its confirmation step and `flask users import`.
Line numbers are the file's own (the header is line 1); every problem is reported, not only the first.
The reading and the confirmation text take their columns as arguments, so other imports
(the organisation units, lms.admin.unit_import) share them.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from lms.auth.contact import ContactError, normal_email, normal_phone
from lms.auth.models import User
from lms.config import LANGUAGES
from lms.extensions import db
from lms.i18n import gettext as _
from lms.orgs.models import Unit, closed_among

COLUMNS = ("full_name", "username", "unit_code", "language", "email", "phone")
REQUIRED = ("full_name", "unit_code")
MAX_ROWS = 20_000
MAX_NAME = 200
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
IN_CHUNK = 900  # values per IN (...) list

# Russian, Kazakh, Kyrgyz (and the Uzbek and Tajik Cyrillic letters) to Latin, in lower case.
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
    "ә": "a", "ғ": "g", "қ": "q", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    "ў": "o", "ҳ": "h", "ҷ": "j", "ӣ": "i", "ӯ": "u", "ʻ": "", "ʼ": "", "'": "", "’": "",
}


@dataclass
class Problem:
    line: int
    message: str


@dataclass
class RawRow:
    line: int
    values: dict[str, str]


@dataclass
class ImportRow:
    """A checked row, ready to be written."""

    line: int
    full_name: str
    username: str
    unit_id: int
    unit_code: str
    unit_names: dict[str, str]
    language: str
    generated: bool = False
    email: str | None = None
    phone: str | None = None


@dataclass
class Checked:
    rows: list[ImportRow]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """True when there are rows to write and no problems."""
        return not self.problems and bool(self.rows)


# --- usernames -----------------------------------------------------------------------------------

def transliterate(text: str) -> str:
    """Lower-case Latin letters for a Cyrillic (or accented Latin) text."""
    out = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    out = unicodedata.normalize("NFKD", out)
    return "".join(ch for ch in out if not unicodedata.combining(ch))


def username_base(full_name: str) -> str:
    """`Гульнара Исмаилова` -> `gulnara.ismailova`; always a valid username on its own."""
    words = re.findall(r"[a-z0-9]+", transliterate(full_name))
    base = ".".join(words)[:56].strip(".")
    if len(base) < 3:
        base = f"{base}.user" if base else "user"
    return base


def generate_username(full_name: str, taken: set[str], counters: dict[str, int] | None = None) -> str:
    """A free username for `full_name` (adds 2, 3, ... when taken); adds it to `taken`."""
    base = username_base(full_name)
    counters = {} if counters is None else counters
    n = counters.get(base, 1)
    candidate = base if n == 1 else f"{base}{n}"
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    counters[base] = n
    taken.add(candidate)
    return candidate


# --- reading files -------------------------------------------------------------------------------

def _clean(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _csv_lines(data: bytes) -> tuple[Iterator[tuple[int, list[str]]] | None, Problem | None]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return None, Problem(line, _("The file is not UTF-8 text. Save it as \"CSV UTF-8\" or as an Excel .xlsx file."))
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    try:
        delimiter = csv.Sniffer().sniff(first, delimiters=",;").delimiter
    except csv.Error:
        delimiter = ";" if first.count(";") > first.count(",") else ","
    return _csv_rows(text, delimiter), None


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _xlsx_rows(data: bytes) -> tuple[Iterator[tuple[int, list[str]]] | None, Problem | None]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        return None, Problem(1, _("The Excel file could not be read. Save it again as .xlsx, or as CSV UTF-8."))

    def rows() -> Iterator[tuple[int, list[str]]]:
        """Yield (line number, values) of each sheet row, closing the workbook at the end."""
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(values)
        finally:
            book.close()

    return rows(), None


def read_table(data: bytes, columns: tuple[str, ...] = COLUMNS, required: tuple[str, ...] = REQUIRED,
               max_rows: int = MAX_ROWS, no_rows: str | None = None) -> tuple[list[RawRow], list[Problem]]:
    """Header and rows of a CSV or XLSX file, as dicts keyed by column name.

    `columns` are the known column names, `required` those the header must have; `no_rows` is
    the message for a file with a header only (default: the learner list's).
    """
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return [], [Problem(1, _("Old Excel files (.xls) cannot be read. Save the file as .xlsx or CSV UTF-8."))]
    lines, problem = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_lines(data)
    if problem:
        return [], [problem]
    try:
        return _table(lines, columns, required, max_rows, no_rows)
    except csv.Error as exc:
        return [], [Problem(1, _("The file could not be read as CSV: %(error)s", error=str(exc)))]


def _table(lines: Iterable[tuple[int, list]], columns: tuple[str, ...], required: tuple[str, ...], max_rows: int,
           no_rows: str | None) -> tuple[list[RawRow], list[Problem]]:
    header: list[str] | None = None
    header_line = 1
    rows: list[RawRow] = []
    problems: list[Problem] = []
    for number, cells in lines:
        cells = [_clean(c) for c in cells]
        if not any(cells):
            continue
        if header is None:
            header, header_line = [c.lower() for c in cells], number
            problems = _check_header(header, number, columns, required)
            if problems:
                return [], problems
            continue
        if len(rows) >= max_rows:
            return [], [Problem(number, _("The file has more than %(max)s rows. Split it into smaller files.",
                                          max=max_rows))]
        extra = [c for c in cells[len(header):] if c]
        if extra:
            problems.append(Problem(number, _("This line has more cells than the header has columns.")))
        rows.append(RawRow(number, {name: (cells[i] if i < len(cells) else "")
                                    for i, name in enumerate(header) if name}))
    if header is None:
        return [], [Problem(1, _("The file is empty. The first line must name the columns: %(columns)s.",
                                 columns=", ".join(columns)))]
    if not rows:
        problems.append(Problem(header_line + 1, no_rows or _("The file has no learners after the header line.")))
    return rows, problems


def _check_header(header: list[str], line: int, columns: tuple[str, ...], required: tuple[str, ...]) -> list[Problem]:
    known = [h for h in header if h in columns]
    if not known:
        return [Problem(line, _("The first line must be a header naming the columns: %(columns)s.",
                                columns=", ".join(columns)))]
    problems = []
    for name in dict.fromkeys(h for h in header if h):
        if name not in columns:
            problems.append(Problem(line, _("Unknown column \"%(name)s\". The columns are: %(columns)s.",
                                            name=name, columns=", ".join(columns))))
        elif header.count(name) > 1:
            problems.append(Problem(line, _("The column \"%(name)s\" appears more than once.", name=name)))
    for name in required:
        if name not in header:
            problems.append(Problem(line, _("The header has no \"%(name)s\" column.", name=name)))
    return problems


# --- the normalised text carried by the confirmation form ------------------------------------------

NORMALISED_HEADER = ("line",) + COLUMNS


def normalised_chunks(rows: list[RawRow], max_bytes: int = 200_000, columns: tuple[str, ...] = COLUMNS) -> list[str]:
    """The rows as CSV text (with their original line numbers), in pieces small enough for one form field."""
    chunks, buffer, size = [], io.StringIO(), 0
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("line",) + columns)
    for row in rows:
        start = buffer.tell()
        writer.writerow([row.line] + [row.values.get(c, "") for c in columns])
        size += len(buffer.getvalue()[start:].encode())
        if size >= max_bytes:
            chunks.append(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
            size = 0
    chunks.append(buffer.getvalue())
    return [c for c in chunks if c]


def read_normalised(chunks: list[str], columns: tuple[str, ...] = COLUMNS,
                    max_rows: int = MAX_ROWS) -> tuple[list[RawRow], list[Problem]]:
    """Rows back from normalised_chunks(); anything malformed is reported, never trusted."""
    damaged = [Problem(1, _("The confirmation data is damaged. Upload the file again."))]
    header = ("line",) + columns
    try:
        records = list(csv.reader(io.StringIO("".join(chunks), newline="")))
    except csv.Error:
        return [], damaged
    if not records or tuple(records[0]) != header or len(records) - 1 > max_rows:
        return [], damaged
    rows = []
    for record in records[1:]:
        if len(record) != len(header) or not record[0].isdigit():
            return [], damaged
        rows.append(RawRow(int(record[0]), {c: _clean(v) for c, v in zip(columns, record[1:])}))
    if not rows:
        return [], damaged
    return rows, []


# --- checking rows against the database ----------------------------------------------------------

def _in_chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start:start + IN_CHUNK]


def units_by_code(codes: Iterable[str], condition: sa.ColumnElement[bool]) -> dict[str, Unit]:
    """Units with these codes that satisfy the scope `condition`, in a few queries."""
    wanted = sorted({c for c in codes if c})
    found: dict[str, Unit] = {}
    for part in _in_chunks(wanted):
        for unit in db.session.scalars(sa.select(Unit).where(Unit.code.in_(part), condition)):
            found[unit.code] = unit
    return found


def taken_usernames() -> set[str]:
    """Every username in use (one query)."""
    return {u.lower() for u in db.session.scalars(sa.select(User.username))}


def check_rows(raw: list[RawRow], scope: sa.ColumnElement[bool], default_language: str | None = None) -> Checked:
    """Check every row; generate the missing usernames. Nothing is written."""
    default_language = default_language or current_app.config["LMS_DEFAULT_LOCALE"]
    units = units_by_code((r.values.get("unit_code", "") for r in raw), scope)
    closed = closed_among((u.id for u in units.values()), above=True)  # share-locked: the confirmation writes next
    taken = taken_usernames()
    explicit: dict[str, int] = {}
    problems: list[Problem] = []
    rows: list[ImportRow] = []
    for r in raw:
        v = r.values
        line_problems = []
        full_name = v.get("full_name", "")
        if not full_name:
            line_problems.append(_("Enter the full name."))
        elif len(full_name) > MAX_NAME:
            line_problems.append(_("The full name is longer than %(max)s characters.", max=MAX_NAME))
        username = v.get("username", "").lower()
        if username:
            if not USERNAME_RE.match(username):
                line_problems.append(_("The username \"%(name)s\" is not valid: use 3 to 64 Latin letters, digits, "
                                       "dots, hyphens or underscores, starting with a letter or digit.", name=username))
            elif username in explicit:
                line_problems.append(_("The username \"%(name)s\" appears more than once in the file (first on "
                                       "line %(line)s).", name=username, line=explicit[username]))
            elif username in taken:
                line_problems.append(_("The username \"%(name)s\" is already taken.", name=username))
            explicit.setdefault(username, r.line)
        code = v.get("unit_code", "")
        unit = units.get(code)
        if not code:
            line_problems.append(_("Enter the unit code."))
        elif unit is None:  # unknown, or outside the scope: the same answer, so nothing leaks
            line_problems.append(_("Unknown unit code \"%(code)s\".", code=code))
        elif unit.id in closed:
            line_problems.append(_("The unit \"%(code)s\" is closed: it takes no new officials.", code=code))
        language = v.get("language", "").lower() or default_language
        if language not in LANGUAGES:
            line_problems.append(_("Unknown language \"%(lang)s\": use one of %(langs)s.", lang=v.get("language", ""),
                                   langs=", ".join(LANGUAGES)))
        contact: dict[str, str | None] = {}
        for column, normal in (("email", normal_email), ("phone", normal_phone)):
            try:
                contact[column] = normal(v.get(column, ""))
            except ContactError as error:
                line_problems.append(f"{column}: {error}")
        problems.extend(Problem(r.line, m) for m in line_problems)
        if not line_problems:
            rows.append(ImportRow(r.line, full_name, username, unit.id, unit.code, unit.names, language, **contact))
    if problems:
        return Checked([], problems)
    taken |= set(explicit)
    counters: dict[str, int] = {}
    for row in rows:
        if not row.username:
            row.username, row.generated = generate_username(row.full_name, taken, counters), True
    return Checked(rows, [])


def check_file(data: bytes, scope: sa.ColumnElement[bool]) -> tuple[list[RawRow], Checked]:
    """Read and check a whole file; the raw rows are kept for the confirmation step."""
    raw, problems = read_table(data)
    if problems:
        return [], Checked([], problems)
    return raw, check_rows(raw, scope)
