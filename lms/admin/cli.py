"""`flask units import FILE` (the same import as the admin's web form), `flask units move CODE NEW_PARENT_CODE`,
`flask units close CODE` and `flask units reopen CODE` (the same changes as the unit pages), and
`flask people export|erase USERNAME`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import force_locale

from lms.admin import unit_import, unit_tree
from lms.admin.units_service import UnitError, clean_code
from lms.extensions import db
from lms.orgs.models import Unit

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


def _unit_or_exit(code: str) -> Unit:
    """The unit with this code, or a message and exit status 1."""
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == clean_code(code)))
    if unit is None:
        click.echo(f"No unit has the code {clean_code(code) or code!r}.", err=True)
        sys.exit(1)
    return unit


def _refused(what: str, exc: UnitError) -> None:
    db.session.rollback()
    click.echo(f"{what}: {exc.message}", err=True)
    sys.exit(1)


@units_cli.command("move")
@click.argument("code")
@click.argument("new_parent_code")
def move_command(code: str, new_parent_code: str) -> None:
    """Move the unit CODE, with its sub-units and officials, under NEW_PARENT_CODE (one level above it)."""
    with force_locale("en"):
        unit, parent = _unit_or_exit(code), _unit_or_exit(new_parent_code)
        old = unit.parent.code if unit.parent else ""
        below = unit_tree.subtree_counts(unit)[0]
        try:
            refreshed = unit_tree.move(None, unit, parent)
            db.session.commit()
        except UnitError as exc:
            _refused(f"{unit.code} was not moved", exc)
    click.echo(f"Moved {unit.code} from {old} to {parent.code}, with {below} unit(s) below it; "
               f"progress refreshed for {refreshed} official(s).")


@units_cli.command("close")
@click.argument("code")
def close_command(code: str) -> None:
    """Close the unit CODE and the open units below it: they keep their history, and take nothing new."""
    with force_locale("en"):
        unit = _unit_or_exit(code)
        try:
            closed = unit_tree.close(None, unit)
            db.session.commit()
        except UnitError as exc:
            _refused(f"{unit.code} was not closed", exc)
    click.echo(f"Closed {unit.code} and {closed - 1} unit(s) below it.")


@units_cli.command("reopen")
@click.argument("code")
def reopen_command(code: str) -> None:
    """Open the closed unit CODE again, with the units below it that were closed together with it."""
    with force_locale("en"):
        unit = _unit_or_exit(code)
        try:
            opened = unit_tree.reopen(None, unit)
            db.session.commit()
        except UnitError as exc:
            _refused(f"{unit.code} was not reopened", exc)
    click.echo(f"Reopened {unit.code} and {opened - 1} unit(s) below it.")


people_cli = AppGroup("people", help="A person's data: export it, or erase it when the law requires.")


def _person(username: str):
    import sqlalchemy as sa

    from lms.auth.models import User

    person = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if person is None:
        click.echo(f"No account has the username {username!r}.", err=True)
        sys.exit(1)
    return person


@people_cli.command("export")
@click.argument("username")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="write here, not to stdout")
def people_export(username: str, output: str | None) -> None:
    """Write all of one person's data as JSON: account, unit, assignments, attempts with answers,
    lesson reads, completions, attendance, certificates, sign-ins and audit entries."""
    import json

    from lms.admin import people
    from lms.train import audit

    person = _person(username)
    data = json.dumps(people.export(person), ensure_ascii=False, indent=2)
    audit.record(None, "person.export", "user", person.id, person.unit_id, username=person.username)
    db.session.commit()
    if output:
        Path(output).write_text(data + "\n", encoding="utf-8")
        click.echo(f"Wrote {output}.", err=True)
    else:
        click.echo(data)


@people_cli.command("erase")
@click.argument("username")
@click.option("--yes", is_flag=True, help="confirm: this cannot be undone")
def people_erase(username: str, yes: bool) -> None:
    """Replace one person's name and username with an anonymous label and remove what identifies
    them; their attempts stay as anonymous figures, so report totals do not change."""
    from lms.admin import people

    if not yes:
        click.echo("Erasing cannot be undone: add --yes to confirm.", err=True)
        sys.exit(2)
    person = _person(username)
    try:
        people.erase(person, None)
    except people.NotErasable:
        db.session.rollback()
        click.echo(f"The data of {username!r} has already been erased.", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Erased: the account is now {people.label(person.id)}.")
