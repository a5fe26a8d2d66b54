"""`flask units import FILE` (the same import as the admin's web form)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from lms.admin import unit_import
from lms.extensions import db

units_cli = AppGroup("units", help="Organisation units.")


@units_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_(file: str) -> None:
    """Create units and update their names from a CSV or XLSX file: all lines or none."""
    with force_locale("en"):  # messages in English, outside any request
        _, checked = unit_import.check_file(Path(file).read_bytes(), max_rows=unit_import.CLI_MAX_ROWS)
    if not checked.ok:
        for problem in checked.problems:
            click.echo(f"{file}:{problem.line}: {problem.message}", err=True)
        click.echo(f"{len(checked.problems)} problem(s) found; nothing was imported.", err=True)
        sys.exit(1)
    try:
        counts = unit_import.write_units(None, checked, source=Path(file).name)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        click.echo(f"Import failed, nothing was imported: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Created {counts['created']} unit(s), updated {counts['updated']}, "
               f"unchanged {counts['unchanged']}.")
