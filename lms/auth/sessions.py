"""Session cookies that are Secure over HTTPS, and the idle and absolute limits of a sign-in.

A sign-in (lms.auth.models.SignIn) ends when its owner signs out, when the account's session
token changes, after LMS_SESSION_IDLE_MINUTES without a request, and LMS_SESSION_MAX_HOURS
after it began, whatever happens in between.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface

from lms.auth.models import SignIn
from lms.extensions import db

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per sign-in


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag on every request that came over HTTPS
    (directly, or as the trusted proxy says with X-Forwarded-Proto; see LMS_PROXY_HOPS)."""

    def open_session(self, app: Flask, request):
        """The signed cookie's session; for the health check, which reads none, an empty one without
        checking the cookie (it stays unmodified, so the response leaves the cookie as it is)."""
        if request.path == "/healthz":
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or when this request is HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))


def init_app(app: Flask) -> None:
    """Use the session interface above."""
    app.session_interface = SessionInterface()


def limits(now: datetime) -> tuple[datetime, datetime]:
    """The oldest start and the oldest last request a live sign-in may have at `now`."""
    config = current_app.config
    return (now - timedelta(hours=config["LMS_SESSION_MAX_HOURS"]),
            now - timedelta(minutes=config["LMS_SESSION_IDLE_MINUTES"]))


def is_live(sign_in: SignIn, now: datetime) -> bool:
    """True while `sign_in` is within both limits."""
    oldest_start, oldest_seen = limits(now)
    return sign_in.created_at >= oldest_start and (sign_in.last_seen_at or sign_in.created_at) >= oldest_seen


# Both writes below run when the user is loaded, before the view has changed anything, and
# commit at once: a GET never commits, and on SQLite a second connection writing meanwhile
# would leave this request's snapshot unable to write later.

def touch(sign_in: SignIn, now: datetime) -> None:
    """Note a request on `sign_in` (at most once a minute) and commit."""
    if (sign_in.last_seen_at or sign_in.created_at) > now - TOUCH_EVERY:
        return
    db.session.execute(sa.update(SignIn).where(SignIn.id == sign_in.id).values(last_seen_at=now))
    db.session.commit()


def end(sign_in: SignIn, now: datetime) -> None:
    """End a sign-in for good and commit."""
    db.session.execute(sa.update(SignIn).where(SignIn.id == sign_in.id, SignIn.ended_at.is_(None))
                       .values(ended_at=now))
    db.session.commit()
