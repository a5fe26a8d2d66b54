"""xAPI 1.0.3: statements of what learners do, served to partners and forwarded to a learning record store.

Statements are written from the events (lms.events) in the transaction of the record they
describe (lms.xapi.subscribers), listed at `GET /api/v1/xapi/statements` (lms.xapi.api), and
forwarded from an outbox by `flask xapi forward` (lms.xapi.forward). `flask xapi backfill` writes
the statements of records made before (lms.xapi.backfill).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Subscribe the statements to the events, register the statements endpoint, the activities' metadata
    (their ids are URLs) and `flask xapi`."""
    from lms.xapi import api, subscribers
    from lms.xapi.cli import xapi_cli

    subscribers.subscribe()
    app.register_blueprint(api.bp, url_prefix="/api/v1/xapi")
    app.register_blueprint(api.meta_bp, url_prefix="/xapi/activities")  # the activity ids resolve
    app.cli.add_command(xapi_cli)
