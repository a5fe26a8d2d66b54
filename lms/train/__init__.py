"""The trainer workspace: accounts, assignments, progress, elections and sessions."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the trainer workspace under /train and `flask users ...`.

    Each feature module adds its routes to the one `train` blueprint, so they are imported here,
    before the blueprint is registered."""
    from lms.train import accounts, assignments, calendar_views, progress_views, views  # noqa: F401
    from lms.train.cli import users_cli

    app.register_blueprint(views.bp, url_prefix="/train")
    app.cli.add_command(users_cli)
