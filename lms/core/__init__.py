"""Shared infrastructure: health and static pages, error pages, templating, locks, retries, exports."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the core pages, the error handlers and the template helpers."""
    from lms.core import errors, logs, templating
    from lms.core.views import bp

    logs.init_app(app)
    app.register_blueprint(bp)
    errors.init_app(app)
    templating.init_app(app)
