"""The signed-in account as a request sees it: Flask-Login's `current_user`.

Every signed-in request loads its account, so that load is one Core query (lms.auth.views.load_user)
rather than an ORM load of the account, its unit and its sign-in, which cost about as much as the
rest of a small page. The result is a plain object with the same attributes as lms.auth.models.User
(every column but the password hash) and the same rules. It is not an ORM object, and it is
read-only (assigning to it raises): code that changes the account loads it with account().
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lms.auth.models import AccountRules, Role, SignIn, User
from lms.extensions import db
from lms.orgs.models import ANCESTOR_COLUMNS, Unit

#: the columns read for each request: all of users' but the password hash
COLUMNS = tuple(column for column in User.__table__.columns if column.key != "password_hash")
_ATTRIBUTES = tuple(User.__mapper__.get_property_by_column(column).key for column in COLUMNS)

BY_SIGN_IN = (
    sa.select(*COLUMNS, SignIn.created_at.label("sign_in_created_at"),
              SignIn.last_seen_at.label("sign_in_last_seen_at"), Unit.level.label("unit_level"),
              *[getattr(Unit, name).label(f"unit_{name}") for name in ANCESTOR_COLUMNS])
    .join(SignIn, SignIn.user_id == User.id)
    .outerjoin(Unit, Unit.id == User.unit_id)
    .where(User.session_token == sa.bindparam("token"), SignIn.id == sa.bindparam("sign_in"),
           SignIn.ended_at.is_(None)))


class SignedIn(AccountRules):
    """The account of this request's sign-in (see the module's docstring)."""

    is_authenticated = True
    is_anonymous = False
    role: Role
    unit_id: int | None

    def __init__(self, row: sa.Row, sign_in_id: str) -> None:
        self.__dict__.update(zip(_ATTRIBUTES, row, strict=False), sign_in_id=sign_in_id)
        self._ancestors: list[int] = []
        if self.unit_id is not None:  # the unit, then its ancestors nearest first (as Unit.ancestor_ids())
            above = ANCESTOR_COLUMNS[:row.unit_level]
            self._ancestors = [self.unit_id, *(row._mapping[f"unit_{name}"] for name in reversed(above))]

    @property
    def unit(self) -> Unit | None:
        """The account's unit, from the request's ORM session (read once, when first asked for)."""
        if self.unit_id is None:
            return None
        try:
            return self._unit
        except AttributeError:
            self._unit: Unit | None = db.session.get(Unit, self.unit_id)
            return self._unit

    def unit_ancestor_ids(self) -> list[int]:
        """The ids of the account's unit and of its ancestors, nearest first (as User.unit_ancestor_ids())."""
        return list(self._ancestors)

    def account(self) -> User:
        """The account as an ORM object, to change it."""
        user = db.session.get(User, self.id)
        user.sign_in_id = self.sign_in_id
        return user

    def __repr__(self) -> str:
        return f"<SignedIn {self.id} {self.username!r} {self.role.value}>"

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):  # it would not be saved: say so rather than lose the change
            raise AttributeError(f"{name!r}: the signed-in account is read-only (change account(), "
                                 "or lms.auth.views.own_account())")
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"{name!r}: not kept for a signed-in request (use account() for the ORM object)")
