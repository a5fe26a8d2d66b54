"""Administration: the organisation tree, staff accounts, monitors' scope, courses."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the admin pages under /admin (staff, units, courses, the preview of a module and a
    person's data add their routes to the same blueprint), `flask units ...` and `flask people ...`."""
    from lms.admin import course_preview, courses, people, staff, units, views  # noqa: F401
    from lms.admin.cli import people_cli, units_cli

    app.register_blueprint(views.bp, url_prefix="/admin")
    app.cli.add_command(units_cli)
    app.cli.add_command(people_cli)
