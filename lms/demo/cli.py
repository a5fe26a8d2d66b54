"""`flask demo seed` and `flask demo generate --learners N`."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from lms.extensions import db

demo_cli = AppGroup("demo", help="Demo organisation, accounts and synthetic scale data.")


@demo_cli.command("seed")
def seed() -> None:
    """Demo tree for five countries and the accounts admin, monitor, trainer, learner."""
    from lms.demo.seed import seed_demo

    notes = seed_demo(current_app.config["LMS_DEMO_PASSWORD"])
    db.session.commit()
    for note in notes:
        click.echo(f"warning: {note}", err=True)
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
