"""The learner's path: modules, lessons, quizzes, certificates."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the learner's pages under /learn (certificates and the briefing book add their routes
    to the same blueprint)."""
    from lms.learn import briefing_views, certificates, rules, views  # noqa: F401

    app.register_blueprint(views.bp, url_prefix="/learn")
    app.add_template_global(rules.shown_status, "shown_status")  # the same rules in templates
    app.add_template_global(rules.label, "status_label")
    app.add_template_global(rules.FILTER_LABELS, "status_filter_labels")
