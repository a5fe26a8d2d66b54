"""`flask reports rebuild [--check]`: recompute the derived tables, or compare them with the records."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from lms.extensions import db

reports_cli = AppGroup("reports", help="Learner progress and report summaries, derived from the records.")


@reports_cli.command("rebuild")
@click.option("--check", is_flag=True, help="Compare without writing; exit 1 if anything differs.")
@click.option("--show", default=20, show_default=True, help="How many differences to print with --check.")
def rebuild_command(check: bool, show: int) -> None:
    """Recompute learner_progress and every report summary from the source records, in one transaction."""
    from lms.progress import rebuild

    if check:
        outcome = rebuild.check(limit=show)
        db.session.rollback()
        if outcome.count:
            for diff in outcome.differences:
                click.echo(str(diff))
            click.echo(f"{outcome.count} differences between the derived tables and the records.", err=True)
            sys.exit(1)
        click.echo("The derived tables match the records.")
        return
    written = rebuild.rebuild()
    db.session.commit()
    click.echo("Rebuilt: " + ", ".join(f"{table} {n}" for table, n in written.items()))
