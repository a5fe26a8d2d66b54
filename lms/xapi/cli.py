"""`flask xapi forward|backfill|queue-all|status`."""
from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import AppGroup

from lms.xapi import backfill as backfill_module
from lms.xapi import forward as forward_module

xapi_cli = AppGroup("xapi", help="xAPI statements: forward them to a learning record store, back-fill them.")


@xapi_cli.command("forward")
@click.option("--loop", is_flag=True, help="Keep running, forwarding new statements as they come.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds to wait when nothing is due (--loop).")
@click.option("--batch", default=100, show_default=True, help="Statements per request to the store.")
def forward_command(loop: bool, interval: float, batch: int) -> None:
    """Send the statements in the outbox to LMS_XAPI_ENDPOINT; exits non-zero if some could not be sent."""
    if not current_app.config.get("LMS_XAPI_ENDPOINT"):
        raise click.ClickException("LMS_XAPI_ENDPOINT is not set: there is no learning record store to forward to")
    stopping = []
    if loop:  # a systemd stop or Ctrl-C ends the loop between two rounds
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))
    done = forward_module.forward(batch=batch, loop=loop, interval=interval, stop=lambda: bool(stopping))
    left = forward_module.status()
    click.echo(f"sent {done.sent}, failed {done.failed}, waiting {left['waiting']}")
    if done.errors:
        click.echo(f"last error: {done.errors[-1]}", err=True)
    if done.failed:
        raise SystemExit(1)


@xapi_cli.command("backfill")
def backfill_command() -> None:
    """Write the statements of records made before statements were recorded (idempotent)."""
    total = backfill_module.backfill(lambda step, n: click.echo(f"{step}: {n} new"))
    click.echo(f"{total} statements written")


@xapi_cli.command("queue-all")
def queue_all_command() -> None:
    """Queue every stored statement for forwarding (after LMS_XAPI_ENDPOINT is first set)."""
    click.echo(f"{forward_module.queue_all()} statements queued")


@xapi_cli.command("status")
def status_command() -> None:
    """How many statements wait in the outbox, how many failed, and the last error."""
    s = forward_module.status()
    click.echo(f"waiting {s['waiting']}, failed at least once {s['failing']}, next try {s['next_try_at'] or '-'}")
    if s["last_error"]:
        click.echo(f"last error: {s['last_error']}")
