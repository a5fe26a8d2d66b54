"""`flask courses check|import [PATH]`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms.content.format import load_tree
from lms.content.importer import import_modules
from lms.extensions import db

courses_cli = AppGroup("courses", help="Validate and import course files.")


def _load(path: str | None):
    root = Path(path or current_app.config["LMS_COURSES_PATH"])
    modules, problems = load_tree(root)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found; nothing was changed.", err=True)
        sys.exit(1)
    return modules


@courses_cli.command("check")
@click.argument("path", required=False)
def check(path: str | None) -> None:
    """Validate course files; print file:line: message for each problem."""
    modules = _load(path)
    lessons = sum(len(m.lessons) for m in modules)
    questions = sum(len(m.questions) for m in modules)
    click.echo(f"OK: {len(modules)} module(s), {lessons} lesson(s), {questions} question(s).")


@courses_cli.command("import")
@click.argument("path", required=False)
def import_(path: str | None) -> None:
    """Validate, then import all modules in one transaction (all or nothing)."""
    modules = _load(path)
    try:
        report = import_modules(modules)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        click.echo(f"Import failed, nothing was changed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Imported: {len(report.created)} created, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged, {report.new_question_versions} new question version(s).")
