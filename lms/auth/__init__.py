"""Accounts, sign-in, passwords, API tokens and role checks."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register sign-in, the account pages and password hashing."""
    from lms.auth import passwords, sessions
    from lms.auth.views import bp

    passwords.init_app(app)
    sessions.init_app(app)
    app.register_blueprint(bp)
