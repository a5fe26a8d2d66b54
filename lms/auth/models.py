"""Accounts."""
from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.orgs.models import Unit
from lms.timeutil import utcnow


class Role(enum.StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    MONITOR = "monitor"
    ADMIN = "admin"


def new_session_token() -> str:
    """A new random session token; changing a user's token signs out their sessions."""
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # A monitor sees learners' names in precinct reports only when an admin grants it.
    can_see_names: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Changing it signs the user out everywhere (Flask-Login uses it as the session id).
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship(lazy="joined")

    def get_id(self) -> str:
        """The session token Flask-Login keeps in the session cookie (not the user id)."""
        return self.session_token

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        """Whether the account may sign in."""
        return self.active

    def has_role(self, *roles: Role) -> bool:
        """True if the user has one of `roles`."""
        return self.role in roles


def name_or_username_contains(q: str) -> sa.ColumnElement[bool]:
    """Full name or username containing `q`, ignoring case; % and _ in `q` are plain characters."""
    like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.or_(sa.func.lower(User.full_name).like(like, escape="\\"),
                  sa.func.lower(User.username).like(like, escape="\\"))


def token_hash(token: str) -> str:
    """The SHA-256 of an API token, as stored (the token itself never is)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A personal token for the JSON API. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
