"""Administration: the organisation tree, staff accounts, monitors' scope."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the admin pages under /admin (staff and units add their routes to the same blueprint)
    and `flask units ...`."""
    from lms.admin import staff, units, views  # noqa: F401
    from lms.admin.cli import units_cli

    app.register_blueprint(views.bp, url_prefix="/admin")
    app.cli.add_command(units_cli)
