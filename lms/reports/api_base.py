"""What every JSON API endpoint shares: the blueprint, the bearer token, strict query parameters and paging.

Query parameters are read strictly, so that a client's mistake is an error and never a silent
default: a parameter given twice, or with an empty value, is a 400; dates are `YYYY-MM-DD` exactly;
integers are plain digits within their bounds; enumerations match one of their values exactly.
Errors are `{"error": status, "message": "...", "parameter": name}` (lms.core.errors gives the
same shape to 404s and 405s of the routing).

Lists are paged by a cursor: `limit` rows (default 100, at most 500) in a fixed order, and `next`,
the link to the following page (its `after` is the key of the last row), or null on the last page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import wraps
from typing import Any, NoReturn
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, g, jsonify, make_response, request
from werkzeug.exceptions import NotFound

from lms.auth.models import ApiToken, Role, User, token_hash
from lms.content.models import Module
from lms.extensions import csrf, db
from lms.orgs.models import Unit
from lms.reports import services
from lms.timeutil import utcnow

bp = Blueprint("api", __name__)
csrf.exempt(bp)

DEFAULT_LIMIT, MAX_LIMIT = 100, 500
MAX_KEY = 2**31 - 1  # the largest key of a row (ids are 32-bit integers)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]{1,10}")


def fail(status: int, message: str, parameter: str | None = None) -> NoReturn:
    """Stop with a JSON error; `parameter` names the query parameter at fault."""
    body: dict[str, Any] = {"error": status, "message": message}
    if parameter:
        body["parameter"] = parameter
    abort(make_response(jsonify(body), status))


def token_required(view):
    """Authenticate `Authorization: Bearer <token>`: 401 without a live token of an active user,
    403 when its owner's role may not read reports."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        """Run the view for a live token's active owner who may read reports; else a JSON 401 or 403."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash(token),
                                                          ApiToken.revoked_at.is_(None))) if token else None
        user = row.user if row else None
        if user is None or not user.active:
            return jsonify(error=401, message="a valid API token is required"), 401, {"WWW-Authenticate": "Bearer"}
        if user.role not in (Role.MONITOR, Role.TRAINER, Role.ADMIN):
            return jsonify(error=403, message="this account may not read reports"), 403
        row.last_used_at = utcnow()
        db.session.commit()
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped


# --- query parameters ----------------------------------------------------------------------------

def raw(name: str) -> str | None:
    """The value of query parameter `name` as sent, None when absent; 400 when it is given twice."""
    values = request.args.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        fail(400, f"'{name}' is given more than once", name)
    return values[0]


def present(name: str) -> str | None:
    """The value of `name`, None when absent; 400 when it is empty (an empty value is never read as absent)."""
    value = raw(name)
    if value is not None and value == "":
        fail(400, f"'{name}' is empty; leave it out instead", name)
    return value


def code(name: str, required: bool = False) -> str | None:
    """A unit code or module id, surrounding spaces ignored (a blank one names nothing: 404 where it is
    looked up); None when absent; 400 when required and absent."""
    value = present(name)
    if value is None:
        if required:
            fail(400, f"'{name}' is required", name)
        return None
    return value.strip()


def choice(name: str, options: tuple[str, ...], default: str | None = None) -> str | None:
    """One of `options`, exactly as written; `default` when absent; 400 otherwise."""
    value = present(name)
    if value is None:
        return default
    if value not in options:
        fail(400, f"'{name}' must be one of {', '.join(options)}", name)
    return value


def day(name: str) -> date | None:
    """A date written YYYY-MM-DD, or None when absent; 400 for anything else."""
    value = present(name)
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        fail(400, "expected a date as YYYY-MM-DD", name)


def integer(name: str, low: int, high: int, default: int | None = None) -> int | None:
    """A whole number from `low` to `high` written in digits; `default` when absent; 400 otherwise."""
    value = present(name)
    if value is None:
        return default
    if not _DIGITS.fullmatch(value) or not low <= int(value) <= high:
        fail(400, f"'{name}' must be a whole number from {low} to {high}", name)
    return int(value)


def boolean(name: str) -> bool | None:
    """`true` or `false`, None when absent; 400 otherwise."""
    value = choice(name, ("true", "false"))
    return None if value is None else value == "true"


def _findable(value: str, length: int) -> bool:
    """Whether `value` can be a stored key of at most `length` characters (a NUL never is, and
    PostgreSQL refuses it in a query)."""
    return len(value) <= length and "\x00" not in value


def unit(viewer: User, name: str = "unit") -> Unit | None:
    """The unit whose code `name` gives, if in the viewer's report scope; None when absent; else 404."""
    value = code(name)
    if value is None:
        return None
    unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == value)) if _findable(value, 40) else None
    try:
        if unit_id is not None:
            return services.unit_in_scope_or_404(viewer, unit_id)
    except NotFound:
        pass
    fail(404, f"no unit {value!r} in your scope", name)


def module(required: bool = False) -> Module | None:
    """The module whose id (slug) `module` gives; None when absent; 400 when required; 404 when unknown."""
    value = code("module", required)
    if value is None:
        return None
    found = db.session.scalar(sa.select(Module).where(Module.slug == value)) if _findable(value, 64) else None
    if found is None:
        fail(404, f"no module {value!r}", "module")
    return found


# --- paging -------------------------------------------------------------------------------------

@dataclass
class Paging:
    """Where a page starts (the key of the previous page's last row, or None) and how many rows it has."""

    after: tuple[int, ...] | None
    limit: int


def paging(arity: int = 1) -> Paging:
    """`after` (a key of `arity` whole numbers joined by dots, as the `next` link gives it) and `limit`."""
    after = present("after")
    key = None
    if after is not None:
        parts = after.split(".")
        if len(parts) != arity or not all(_DIGITS.fullmatch(p) for p in parts):
            fail(400, "'after' is not a cursor of this list; follow the 'next' link", "after")
        key = tuple(min(int(p), MAX_KEY) for p in parts)  # no row's key is larger: the page is as empty
    return Paging(key, integer("limit", 1, MAX_LIMIT, DEFAULT_LIMIT))


def page_of(query: sa.Select, key: tuple[sa.ColumnElement, ...], page: Paging) -> tuple[list[Any], bool]:
    """The rows of `query` after the cursor in `key` order, at most `page.limit`, and whether more follow."""
    if page.after is not None:
        if len(key) == 1:
            query = query.where(key[0] > page.after[0])
        else:
            query = query.where(sa.tuple_(*key) > sa.tuple_(*[sa.literal(v) for v in page.after]))
    rows = list(db.session.execute(query.order_by(*key).limit(page.limit + 1)).all())
    return rows[:page.limit], len(rows) > page.limit


def listing(items: list[dict], more: bool, last_key: tuple[int, ...] | None, page: Paging):
    """The JSON body of one page: its items, the limit, and the link to the next page (or null)."""
    nxt = None
    if more and last_key is not None:
        args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("after", "limit")]
        args += [("after", ".".join(str(k) for k in last_key)), ("limit", str(page.limit))]
        nxt = f"{request.script_root}{request.path}?{urlencode(args)}"
    return jsonify(items=items, limit=page.limit, next=nxt)


# --- values -------------------------------------------------------------------------------------

def moment(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as RFC 3339 with `Z`, or None."""
    return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def iso(value: date | None) -> str | None:
    """A date as YYYY-MM-DD, or None."""
    return value.isoformat() if value is not None else None
