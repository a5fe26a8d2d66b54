"""A national organisation tree imported from CSV, on SQLite: 10,000 precincts in one transaction.

Writes a units file in the import format (one country, 16 oblasts, 400 district commissions,
10,000 precinct commissions, names in English and Russian), then on a fresh, migrated SQLite
database times `flask units import FILE` (check every line, then write all or nothing). As a
baseline measured in the same run, it times a bare `INSERT` of the same rows into a table of
the same columns on another fresh SQLite file. It then imports a copy with one bad parent code
on the last line into another fresh database and checks that nothing was written. Target: the
import of 10,000 precincts in under 10 s; the ratio to the bare insert is printed beside it.

    .venv/bin/python bench/units_import.py [--precincts 10000]
"""
from __future__ import annotations

import argparse
import csv
import io
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_SECONDS = 10.0
HEADER = ["code", "parent_code", "name_en", "name_ru"]


def tree_rows(precincts: int) -> list[list[str]]:
    """Rows of the units file: parents before children, about 25 precincts per district."""
    rows = [["BX", "", "Benchland", "Бенчландия"]]
    oblasts, districts = 16, max(1, precincts // 25)
    for o in range(oblasts):
        rows.append([f"BX-{o:02d}", "BX", f"Oblast {o}", f"Область {o}"])
    for d in range(districts):
        rows.append([f"BX-{d % oblasts:02d}-{d:04d}", f"BX-{d % oblasts:02d}", f"District {d}", f"Район {d}"])
    for p in range(precincts):
        d = p % districts
        parent = f"BX-{d % oblasts:02d}-{d:04d}"
        rows.append([f"{parent}-{p:05d}", parent, f"Precinct {p}", f"Участок {p}"])
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    """The rows as a UTF-8 CSV file with its header."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def fresh_app(folder: Path):
    """An app on a new, migrated SQLite file in `folder`."""
    from flask_migrate import upgrade

    from lms import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/units.sqlite3", "SECRET_KEY": "bench",
                      "LMS_PASSWORD_MEMORY_KIB": 1024})
    with app.app_context():
        upgrade()
    return app


def unit_count(app) -> int:
    """How many units the database holds."""
    import sqlalchemy as sa

    from lms.extensions import db
    from lms.orgs.models import Unit

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Unit))


def bare_insert(folder: Path, rows: list[list[str]]) -> float:
    """Seconds to insert the same rows, unchecked, into a plain table of the same columns (one transaction)."""
    conn = sqlite3.connect(folder / "bare.sqlite3")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE units (id INTEGER PRIMARY KEY, code TEXT UNIQUE, parent TEXT, names TEXT)")
    start = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO units (code, parent, names) VALUES (?, ?, ?)",
                         ((r[0], r[1], f'{{"en": "{r[2]}", "ru": "{r[3]}"}}') for r in rows))
    seconds = time.perf_counter() - start
    conn.close()
    return seconds


def main() -> int:
    """Build the file, time the import and the baseline, check the all-or-nothing case; exit 1 off target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precincts", type=int, default=10_000)
    args = parser.parse_args()
    rows = tree_rows(args.precincts)
    work = Path(tempfile.mkdtemp(prefix="bench-units-"))
    good = work / "units.csv"
    good.write_bytes(as_csv(rows))
    bad_rows = [*rows[:-1], [rows[-1][0], "NO-SUCH-PARENT", rows[-1][2], rows[-1][3]]]
    bad = work / "units-bad.csv"
    bad.write_bytes(as_csv(bad_rows))

    (work / "a").mkdir()
    app = fresh_app(work / "a")
    start = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["units", "import", str(good)])
    seconds = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    imported = unit_count(app)
    (work / "b").mkdir()
    baseline = bare_insert(work / "b", rows)

    (work / "c").mkdir()
    other = fresh_app(work / "c")
    refused = other.test_cli_runner().invoke(args=["units", "import", str(bad)])
    written = unit_count(other)

    print(f"units file: {len(rows):,} lines ({args.precincts:,} precincts), {good.stat().st_size / 1024:.0f} KB")
    print(f"  flask units import  {seconds:8.2f} s  ({imported:,} units written)   target < {TARGET_SECONDS:.0f} s")
    print(f"  bare INSERT         {baseline:8.2f} s  (same rows, no checks)   ratio {seconds / baseline:.1f}x")
    print(f"  one bad parent code on the last line: exit {refused.exit_code}, {written} units written; "
          f"{refused.output.strip().splitlines()[0] if refused.output.strip() else ''}")
    ok = seconds < TARGET_SECONDS and imported == len(rows) and refused.exit_code == 1 and written == 0
    print("on target" if ok else "OFF TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
