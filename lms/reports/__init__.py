"""Monitoring reports: completion and knowledge, as pages, exports and the JSON API."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the report pages under /reports and the API under /api/v1: one blueprint, on which
    lms.reports.api puts the report endpoints and lms.reports.partner_api the partner lists."""
    from lms.reports import api, partner_api  # noqa: F401  (importing them adds their routes)
    from lms.reports.api_base import bp as api_bp
    from lms.reports.views import bp

    app.register_blueprint(bp, url_prefix="/reports")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
