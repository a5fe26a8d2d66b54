"""`flask reminders send|status|set-days`."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from lms.content.models import Module
from lms.extensions import db
from lms.i18n import pick
from lms.orgs.models import Unit
from lms.remind import deliver, schedule

reminders_cli = AppGroup("reminders", help="Due-soon and overdue reminders by e-mail and SMS.")


def send(dry_run: bool = False, batch: int = 100, echo=click.echo) -> deliver.Round | None:
    """Write today's messages to the outbox, cancel those that no longer apply, deliver the due ones;
    with `dry_run`, only print what would be written and sent."""
    if dry_run:
        listing: list = []
        schedule.plan(dry_run=True, listing=listing)
        titles = {m.id: pick(m.title, "en") for m in db.session.scalars(sa.select(Module))}
        for kind, username, module_id, day in listing:
            echo(f"{kind:9} {day.isoformat()} {username} {titles.get(module_id, '') if module_id else ''}".rstrip())
        left = deliver.waiting()
        echo(f"{len(listing)} new messages would be written; {left['waiting']} queued wait to be sent")
        db.session.rollback()
        return None

    def planned():
        """Write today's messages, in a transaction of their own."""
        done = schedule.plan()
        db.session.commit()
        return done

    def cancelled():
        """Cancel what no longer applies, in a transaction of its own."""
        n = schedule.cancel_stale()
        db.session.commit()
        return n

    written = sum(p.count for p in deliver.run_with_retry(planned))
    stale = deliver.run_with_retry(cancelled)
    done = deliver.deliver(batch=batch)
    left = deliver.waiting()
    echo(f"written {written}, cancelled {stale}, sent {done.sent}, failed {done.failed}, waiting {left['waiting']}")
    if done.errors:
        echo(f"last error: {done.errors[-1]}", err=True)
    return done


@reminders_cli.command("send")
@click.option("--dry-run", is_flag=True, help="Print what would be written and sent; write nothing.")
@click.option("--batch", default=100, show_default=True, help="Messages leased per round.")
def send_command(dry_run: bool, batch: int) -> None:
    """Compute today's reminders, write each once to the outbox, and deliver the due ones (cron: every minute)."""
    send(dry_run=dry_run, batch=batch)


@reminders_cli.command("status")
def status_command() -> None:
    """Messages by status, how many wait, and the last error."""
    counts = deliver.status_counts()
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no messages")
    left = deliver.waiting()
    click.echo(f"waiting {left['waiting']}, failed at least once {left['failing']}")
    if left["last_error"]:
        click.echo(f"last error: {left['last_error']}")


@reminders_cli.command("set-days")
@click.argument("unit_code")
@click.argument("days")
def set_days_command(unit_code: str, days: str) -> None:
    """Set the reminder days of a unit and the units below it ("7,1"; "-" for the default)."""
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise click.ClickException(f"no unit {unit_code}")
    try:
        unit.reminder_days = None if days == "-" else schedule.format_days(schedule.parse_days(days))
    except schedule.DaysError as error:
        raise click.ClickException(f"not reminder days: {days} (whole days 0-365, at most five)") from error
    db.session.commit()
    click.echo(f"{unit.code}: {unit.reminder_days or 'default'}")
