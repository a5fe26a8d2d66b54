"""Session cookies that are Secure over HTTPS, and the idle and absolute limits of a sign-in.

A sign-in (lms.auth.models.SignIn) ends when its owner signs out, when the account's session
token changes, after LMS_SESSION_IDLE_MINUTES without a request, and LMS_SESSION_MAX_HOURS
after it began, whatever happens in between.
"""
from __future__ import annotations

import functools
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from lms.auth.models import SignIn
from lms.extensions import db

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per sign-in


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag on every request that came over HTTPS
    (directly, or as the trusted proxy says with X-Forwarded-Proto; see LMS_PROXY_HOPS)."""

    def open_session(self, app: Flask, request):
        """The signed cookie's session, as Flask's; for the health check, which reads none, an empty
        one without checking the cookie (it stays unmodified, so the response leaves the cookie as it is).

        A cookie already verified is not verified again: its contents and signing time are kept
        (for the last 4,096 cookies, keyed by the cookie and the keys), and its age is checked on
        every request. Contents with a mutable value (flashed messages) are decoded each time."""
        if not app.secret_key:
            return None
        if request.path == "/healthz":
            return self.session_class()
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        try:
            items, signed_at = _verified(self, keys, cookie)
        except BadSignature:
            return self.session_class()
        age = time.time() - signed_at
        if age < 0 or age > int(app.permanent_session_lifetime.total_seconds()):
            return self.session_class()  # expired (or from the future), as itsdangerous's max_age says
        if items is None:  # a mutable value: decode this cookie anew, the session may change it
            items = self.get_signing_serializer(app).loads(cookie)
        return self.session_class(items)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or when this request is HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))


_IMMUTABLE = (str, int, float, bool, type(None))


@functools.lru_cache(maxsize=4096)
def _verified(interface: SessionInterface, keys: tuple, cookie: str) -> tuple[tuple | None, float]:
    """(the cookie's items, or None when one is mutable; when it was signed); BadSignature if forged."""
    data, signed = interface.get_signing_serializer(current_app).loads(cookie, return_timestamp=True)
    items = tuple(data.items()) if all(isinstance(v, _IMMUTABLE) for v in data.values()) else None
    return items, signed.timestamp()


def init_app(app: Flask) -> None:
    """Use the session interface above."""
    app.session_interface = SessionInterface()


def limits(now: datetime) -> tuple[datetime, datetime]:
    """The oldest start and the oldest last request a live sign-in may have at `now`."""
    config = current_app.config
    return (now - timedelta(hours=config["LMS_SESSION_MAX_HOURS"]),
            now - timedelta(minutes=config["LMS_SESSION_IDLE_MINUTES"]))


def is_live(started: datetime, last_seen: datetime | None, now: datetime) -> bool:
    """True while a sign-in that began at `started` and was last seen at `last_seen` is within both limits."""
    oldest_start, oldest_seen = limits(now)
    return started >= oldest_start and (last_seen or started) >= oldest_seen


# Both writes below run when the user is loaded, before the view has changed anything, and
# commit at once: a GET never commits, and on SQLite a second connection writing meanwhile
# would leave this request's snapshot unable to write later.

def touch(sign_in_id: str, started: datetime, last_seen: datetime | None, now: datetime) -> None:
    """Note a request on the sign-in (at most once a minute) and commit."""
    if (last_seen or started) > now - TOUCH_EVERY:
        return
    db.session.execute(sa.update(SignIn).where(SignIn.id == sign_in_id).values(last_seen_at=now))
    db.session.commit()


def end(sign_in_id: str, now: datetime) -> None:
    """End a sign-in for good and commit."""
    db.session.execute(sa.update(SignIn).where(SignIn.id == sign_in_id, SignIn.ended_at.is_(None))
                       .values(ended_at=now))
    db.session.commit()
