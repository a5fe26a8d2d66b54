"""`flask users import FILE` (the same import as the trainer's web form) and `flask users create`."""
from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask_babel import force_locale

from lms.auth.models import Role, User
from lms.extensions import db
from lms.orgs.models import Unit
from lms.train.accounts_service import STAFF_ROLES, AccountError, create_staff, import_learners
from lms.train.scope import unit_condition
from lms.train.user_import import check_file

users_cli = AppGroup("users", help="Accounts: import learners, create staff accounts.")


def _actor(username: str | None) -> User | None:
    if not username:
        return None
    actor = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if actor is None or not actor.active or actor.role not in (Role.TRAINER, Role.ADMIN):
        click.echo(f"--actor {username}: no active trainer or admin account has this username.", err=True)
        sys.exit(2)
    return actor


def _open_out(path: str | None):
    """The passwords file, readable by its owner only (stdout when no path)."""
    if not path:
        return sys.stdout
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        click.echo(f"--passwords-out {path}: {exc.strerror}", err=True)
        sys.exit(2)
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


@users_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", help="Import as this trainer or admin (their scope applies); default: the whole organisation.")
@click.option("--passwords-out", help="Write username,temporary_password CSV here (default: standard output).")
def import_(file: str, actor: str | None, passwords_out: str | None) -> None:
    """Create learner accounts from a CSV or XLSX file: all rows or none."""
    user = _actor(actor)
    scope = unit_condition(user) if user else sa.true()
    with force_locale("en"):  # messages in English, outside any request
        _, checked = check_file(Path(file).read_bytes(), scope)
    if not checked.ok:
        for problem in checked.problems:
            click.echo(f"{file}:{problem.line}: {problem.message}", err=True)
        click.echo(f"{len(checked.problems)} problem(s) found; nothing was imported.", err=True)
        sys.exit(1)
    out = _open_out(passwords_out)
    try:
        imported = import_learners(user, checked.rows, source=Path(file).name)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        if out is not sys.stdout:
            out.close()
            os.unlink(passwords_out)
        click.echo(f"Import failed, nothing was imported: {exc}", err=True)
        sys.exit(1)
    writer = csv.writer(out)
    writer.writerow(["username", "temporary_password"])
    writer.writerows([item.row.username, item.password] for item in imported)
    if out is not sys.stdout:
        out.close()
    click.echo(f"Imported {len(imported)} learner account(s).", err=out is sys.stdout)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in STAFF_ROLES]), required=True)
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--unit", "unit_code", help="Unit code (required for a trainer: the unit they train).")
@click.option("--language", help="Interface language (en, ru, kk, ky, uz, tg, tk); default LMS_DEFAULT_LOCALE.")
def create(username: str, role: str, full_name: str, unit_code: str | None, language: str | None) -> None:
    """Create a trainer, monitor or admin account (the first admin of a new installation, for one).

    Prints a one-time password, to be changed at first sign-in.
    """
    unit_id = None
    if unit_code:
        unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == unit_code.strip().upper()))
        if unit_id is None:
            click.echo(f"--unit {unit_code}: no unit has this code.", err=True)
            sys.exit(2)
    try:
        with force_locale("en"):
            issued = create_staff(None, Role(role), full_name, username, unit_id, language)
        db.session.commit()
    except AccountError as exc:
        db.session.rollback()
        click.echo(f"{exc.field}: {exc.message}", err=True)
        sys.exit(2)
    click.echo(f"Created {role} account {issued.user.username}; one-time password: {issued.password}")
