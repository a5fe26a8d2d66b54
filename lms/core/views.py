"""Home page routing and the health check."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from lms.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
def index():
    """Send each user to their own start page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role.value == "monitor":
        return redirect(url_for("reports.completion"))
    return redirect(url_for("learn.dashboard"))


@bp.get("/healthz")
def healthz():
    """200 with the database status, or 503 when the database does not answer."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        db.session.rollback()
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database,
                   dialect=db.engine.dialect.name), status
