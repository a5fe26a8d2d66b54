"""Monitoring reports: completion and knowledge, as pages, exports and the JSON API."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the report pages under /reports and the API under /api/v1."""
    from lms.reports.api import bp as api_bp
    from lms.reports.views import bp

    app.register_blueprint(bp, url_prefix="/reports")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
