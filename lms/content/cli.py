"""`flask courses check|import [PATH]` and `flask courses export-scorm MODULE --lang LANG -o FILE.zip`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms.config import LANGUAGES
from lms.content import scorm
from lms.content.format import load_tree
from lms.content.importer import import_modules
from lms.extensions import db

courses_cli = AppGroup("courses", help="Validate, import and export course files.")


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


@courses_cli.command("export-scorm")
@click.argument("module")
@click.option("--lang", required=True, help="The language of the package: " + ", ".join(LANGUAGES) + ".")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The zip to write (default: MODULE-LANG-scorm12.zip here).")
def export_scorm(module: str, lang: str, output: Path | None) -> None:
    """Write MODULE as a SCORM 1.2 package in LANG: its lessons with their figures, and its quiz, which
    grades in the browser (lms.content.scorm). The file appears whole or not at all."""
    found = scorm.exportable_module(module)
    if found is None:
        click.echo(f"No module {module!r} in the imported course files (see /admin/courses).", err=True)
        sys.exit(1)
    if lang not in LANGUAGES:
        click.echo(f"Unknown language {lang!r}; use one of: {', '.join(LANGUAGES)}.", err=True)
        sys.exit(1)
    try:
        data = scorm.build_package(found, lang)
    except scorm.ExportError as exc:
        click.echo(f"Cannot export: {exc}.", err=True)
        sys.exit(1)
    target = output or Path(scorm.package_filename(found, lang))
    try:
        scorm.write_atomically(data, target)
    except OSError as exc:
        click.echo(f"Cannot write {target}: {exc.strerror or exc}. Nothing was written.", err=True)
        sys.exit(1)
    click.echo(f"Wrote {target} ({len(data):,} bytes): SCORM 1.2, {found.slug} in {lang}, "
               f"{len(found.lessons)} lesson(s), pass mark {found.pass_mark}%.")
