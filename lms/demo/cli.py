"""`flask demo seed` and `flask demo generate --learners N`."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from lms.extensions import db

demo_cli = AppGroup("demo", help="Demo organisation, accounts and synthetic scale data.")


@demo_cli.command("seed")
def seed() -> None:
    """Demo tree for five countries, the accounts admin, monitor, trainer, learner, and generated officials."""
    from lms.demo.generate import demo_learners
    from lms.demo.seed import seed_demo
    from lms.xapi.backfill import backfill

    raw = str(current_app.config["LMS_DEMO_LEARNERS"]).strip()
    if not raw.isdigit() or int(raw) > 100_000:
        raise click.UsageError(f"LMS_DEMO_LEARNERS must be a whole number from 0 (none) to 100000, not {raw!r}")
    notes = seed_demo(current_app.config["LMS_DEMO_PASSWORD"])
    db.session.commit()
    for note in notes:
        click.echo(f"warning: {note}", err=True)
    count = int(raw)
    if count and not notes:  # the officials need the modules imported
        stats = demo_learners(count)
        db.session.commit()
        if stats:
            click.echo(f"Added {stats['learners']} demo officials with their progress (LMS_DEMO_LEARNERS=0: none).")
            # their records were written in bulk, not through the events: their xAPI statements come from
            # the back-fill, which builds them as the events do (and adds nothing to the demo learner's)
            written = backfill()
            click.echo(f"Wrote {written} xAPI statements for their records.")
    click.echo("Demo data ready: accounts admin, monitor, trainer, learner.")


@demo_cli.command("generate")
@click.option("--learners", type=click.IntRange(1, 2_000_000), required=True, help="How many synthetic learners.")
@click.option("--seed", "random_seed", type=int, default=1998, help="Random seed, for repeatable data.")
@click.option(
    "--oblast", "oblasts", multiple=True, help="Put the learners under these oblast codes (default: all ten)."
)
def generate(learners: int, random_seed: int, oblasts: tuple[str, ...]) -> None:
    """Synthetic learners with assignments, lessons read, attempts and completions (for benchmarks)."""
    from lms.demo.generate import generate_learners

    stats = generate_learners(learners, random_seed, list(oblasts) or None)
    click.echo("Generated: " + ", ".join(f"{v} {k}" for k, v in stats.items()))
