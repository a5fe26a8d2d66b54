"""Home page routing and the health check."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, url_for
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
    """200 with the database and Redis status, or 503 naming what does not answer."""
    try:
        with db.engine.connect() as connection:  # one statement needs no ORM session
            connection.exec_driver_sql("SELECT 1")
        database = "ok"
    except SQLAlchemyError:
        database = "unavailable"
    redis = _redis_status()
    ok = database == "ok" and redis in ("ok", "not configured")
    return jsonify(status="ok" if ok else "degraded", database=database, redis=redis,
                   dialect=db.engine.dialect.name), 200 if ok else 503


def _redis_status() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    except (RedisError, OSError):
        return "unavailable"
