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


class AccountRules:
    """What an account's columns say, for User and for the signed-in account of a request
    (lms.auth.signed_in.SignedIn), which has the same columns as plain attributes."""

    active: bool
    erased_at: datetime | None
    locked_until: datetime | None
    role: Role
    session_token: str
    sign_in_id: str | None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session cookie: the account's session token and the sign-in's id."""
        return f"{self.session_token}.{self.sign_in_id}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        """Whether the account may sign in (never once the person's data is erased)."""
        return self.active and self.erased_at is None

    @property
    def locked(self) -> bool:
        """Whether failed sign-ins have locked the account for now (lms.auth.lockout)."""
        return self.locked_until is not None and self.locked_until > utcnow()

    def has_role(self, *roles: Role) -> bool:
        """True if the user has one of `roles`."""
        return self.role in roles


class User(AccountRules, UserMixin, db.Model):
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
    # consecutive failed sign-ins; at LMS_LOCKOUT_FAILURES the account is locked until `locked_until`
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # the person's data was erased (lms.admin.people): name and username are an anonymous label now
    erased_at: Mapped[datetime | None]
    # contact details for reminders (lms.remind): optional; the phone in E.164 (+77011234567)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    reminders_opt_out: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # when a reminder was last written for them: the dashboard looks for reminders only when this is recent
    reminded_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship(lazy="joined")

    sign_in_id = None  # the SignIn of this request's session: set on load, not a column

    def unit_ancestor_ids(self) -> list[int]:
        """The ids of the account's unit and of its ancestors, nearest first (none without a unit)."""
        return self.unit.ancestor_ids() if self.unit is not None else []


def new_sign_in_id() -> str:
    """A random, unguessable id for one sign-in."""
    return secrets.token_urlsafe(32)


class SignIn(db.Model):
    """One signed-in session. Signing out ends it, so a copied cookie stops working; changing the
    account's session token (password change, reset, deactivation) ends every one at once."""

    __tablename__ = "sign_ins"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, default=new_sign_in_id)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # last request seen, written at most once a minute; idle past LMS_SESSION_IDLE_MINUTES ends it
    last_seen_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class ShownOnce(db.Model):
    """A one-time password waiting to be shown once to the staff member who issued it.

    It stays on the server (the session cookie carries only this row's random id), is deleted
    when shown, and is never shown after SHOWN_ONCE_MINUTES."""

    __tablename__ = "shown_once"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True, default=new_sign_in_id)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    shown_to_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    secret: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


SHOWN_ONCE_MINUTES = 15


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
