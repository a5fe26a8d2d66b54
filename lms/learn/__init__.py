"""The learner's path: modules, lessons, quizzes, certificates."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the learner's pages under /learn (certificates, the briefing book, figures and offline use add
    their routes to the same blueprint), the service worker and the manifest at the root, the public
    check of certificates at /verify with the signing keys and the offline check, `flask certificates
    ...`, and the issue of a certificate on each completion; check the signing key settings."""
    from lms import events
    from lms.learn import (  # noqa: F401
        briefing_views,
        certificate_records,
        certificates,
        figure_views,
        offline_check,
        offline_views,
        rules,
        signing,
        views,
    )
    from lms.learn.cli import certificates_cli

    signing.init_app(app)
    app.register_blueprint(views.bp, url_prefix="/learn")
    app.register_blueprint(certificates.verify_bp)  # /verify/<code>, /verify/keys.json, /verify/offline: public
    app.register_blueprint(offline_views.root_bp)  # /sw.js and /manifest.webmanifest, at the root
    app.cli.add_command(certificates_cli)
    events.module_completed.connect(certificate_records.on_module_completed, weak=False)
    app.add_template_global(views.learn_url, "learn_url")
    app.add_template_global(rules.shown_status, "shown_status")  # the same rules in templates
    app.add_template_global(rules.label, "status_label")
    app.add_template_global(rules.FILTER_LABELS, "status_filter_labels")
