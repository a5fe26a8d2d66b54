"""`GET /api/v1/xapi/statements`: the statements in the token owner's scope, as an xAPI 1.0.3 StatementResult.

The filters are the specification's (`statementId`, `voidedStatementId`, `agent`, `verb`,
`activity`, `since`, `until`, `limit`, `ascending`); `more` is the relative URL of the next page
(empty on the last). Voided statements are left out of lists and found by `voidedStatementId`.
Statements are listed in the order they were stored. A trainer's token reads the statements of
learners in the trainer's oblast (where they were when the statement was made); a monitor's and
an admin's read their whole scope, as for the reports. Learners' tokens are refused.
"""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, g, jsonify, make_response, request, url_for

from lms.auth.models import Role
from lms.content.models import Lesson, Module, Question
from lms.extensions import csrf, db
from lms.learn.models import TrainingSession
from lms.orgs.models import Unit, in_subtree
from lms.reports.api_base import fail as _fail
from lms.reports.api_base import present, raw, token_required
from lms.reports.api_base import unit as unit_param
from lms.reports.services import root_units
from lms.xapi import vocabulary as v
from lms.xapi.models import XapiStatement

bp = Blueprint("xapi", __name__)
csrf.exempt(bp)

DEFAULT_LIMIT, MAX_LIMIT = 100, 500
MAX_CURSOR = 2**31 - 1
PARAMETERS = {"unit", "statementId", "voidedStatementId", "agent", "verb", "activity", "since", "until", "limit",
              "ascending", "format", "attachments", "related_activities", "related_agents", "registration", "after"}


def _served(row: XapiStatement) -> dict[str, Any]:
    return {**row.data, "stored": v.timestamp(row.stored), "authority": v.authority()}


def _respond(body: Any, status: int = 200):
    response = make_response(jsonify(body), status)
    response.headers["X-Experience-API-Version"] = v.VERSION
    return response


_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\d)[Tt](\d\d:\d\d:\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)")


def _time(name: str) -> datetime | None:
    raw_value = present(name)
    if raw_value is None:
        return None
    match = _RFC3339.fullmatch(raw_value.strip())
    try:
        if match is None:
            raise ValueError(raw_value)
        day, clock, fraction, zone = match.groups()
        zone = "+00:00" if zone in ("Z", "z") else zone
        at = datetime.fromisoformat(f"{day}T{clock}.{(fraction or '0')[:6].ljust(6, '0')}{zone}")
    except ValueError:
        _fail(400, "expected an RFC 3339 timestamp with its offset, such as 2026-11-30T09:00:00Z", name)
    return at.astimezone(UTC).replace(tzinfo=None)


def _bool(name: str) -> bool:
    value = present(name) or "false"
    if value not in ("true", "false"):
        _fail(400, "expected true or false", name)
    return value == "true"


def _user_of_agent(raw: str) -> int | None:
    """The account number an `agent` filter names; None when it names someone who has no
    statements here (another home page, an e-mail address)."""
    try:
        agent = json.loads(raw)
    except ValueError:
        _fail(400, "agent must be a JSON Agent object", "agent")
    if not isinstance(agent, dict) or agent.get("objectType", "Agent") not in ("Agent", "Group"):
        _fail(400, "agent must be a JSON Agent object", "agent")
    account = agent.get("account")
    if not isinstance(account, dict):
        if any(k in agent for k in ("mbox", "mbox_sha1sum", "openid")):
            return None
        _fail(400, "agent needs an account, mbox, mbox_sha1sum or openid", "agent")
    name, home = account.get("name"), account.get("homePage")
    if not isinstance(name, str) or not isinstance(home, str):
        _fail(400, "an account needs a homePage and a name", "agent")
    if home.rstrip("/") != v.base_url() or not name.isdigit():
        return None
    return int(name)


def _scoped(query: sa.Select) -> sa.Select:
    if g.api_user.role == Role.ADMIN and g.api_user.unit is None:
        return query
    roots = root_units(g.api_user)
    inside = sa.select(Unit.id).where(sa.or_(*[in_subtree(r) for r in roots]) if roots else sa.false())
    return query.where(XapiStatement.unit_id.in_(inside))


def _one(column, raw: str) -> XapiStatement | None:
    return db.session.scalar(_scoped(sa.select(XapiStatement).where(column == raw.strip())))


@bp.get("/statements")
@token_required
def statements():
    """xAPI statements in the token's scope: one by `statementId`/`voidedStatementId`, else a
    StatementResult filtered and paged (GET; API token of monitors, trainers, admins)."""
    version = request.headers.get("X-Experience-API-Version")
    if version is not None and not version.strip().startswith("1.0"):
        _fail(400, "this store speaks xAPI 1.0.x (X-Experience-API-Version)", "X-Experience-API-Version")
    unknown = sorted(set(request.args) - PARAMETERS)
    if unknown:
        _fail(400, f"unknown parameter {unknown[0]!r}", unknown[0])
    for name in request.args:
        raw(name)  # a parameter given twice is a 400
    for single, voided in (("statementId", False), ("voidedStatementId", True)):
        if single in request.args:
            others = sorted(set(request.args) - {single, "format", "attachments", "unit"})
            if others:
                _fail(400, f"{single} cannot be combined with {others[0]}", others[0])
            unit_param(g.api_user)
            row = _one(XapiStatement.uuid, request.args[single])
            if row is None or row.voided != voided:
                _fail(404, "no such statement in your scope", single)
            return _respond(_served(row))

    query = _scoped(sa.select(XapiStatement).where(XapiStatement.voided.is_(False)))
    within = unit_param(g.api_user)  # an extension of the filters: the learners at or below one unit
    if within is not None:
        query = query.where(XapiStatement.unit_id.in_(sa.select(Unit.id).where(in_subtree(within))))
    if "agent" in request.args:
        user_id = _user_of_agent(present("agent"))
        query = query.where(XapiStatement.user_id == user_id) if user_id is not None else query.where(sa.false())
    for name, column in (("verb", XapiStatement.verb), ("activity", XapiStatement.activity)):
        if name in request.args:
            value = present(name).strip()
            if not value:
                _fail(400, f"{name} must be an IRI", name)
            query = query.where(column == value)
    if "registration" in request.args:
        query = query.where(
            XapiStatement.data["context"]["registration"].as_string() == present("registration").strip())
    since, until = _time("since"), _time("until")
    if since is not None:
        query = query.where(XapiStatement.stored > since)
    if until is not None:
        query = query.where(XapiStatement.stored <= until)
    ascending = _bool("ascending")
    _bool("attachments")  # accepted, as the specification lists it: there are no attachments
    if present("format") not in (None, "exact", "ids", "canonical"):
        _fail(400, "format must be exact, ids or canonical", "format")
    try:
        limit = int(present("limit") or DEFAULT_LIMIT)
    except ValueError:
        _fail(400, "limit must be a whole number", "limit")
    if limit < 0:
        _fail(400, "limit must be 0 (the largest page) or more", "limit")
    limit = MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT)
    if "after" in request.args:  # the cursor of `more`: the id of the last statement of the page before
        try:
            after = int(present("after"))
            if not 0 <= after <= MAX_CURSOR:
                raise ValueError(after)
        except ValueError:
            _fail(400, "after must be the cursor given in `more`", "after")
        query = query.where(XapiStatement.id > after if ascending else XapiStatement.id < after)
    order = XapiStatement.id.asc() if ascending else XapiStatement.id.desc()
    rows = db.session.scalars(query.order_by(order).limit(limit + 1)).all()
    more = ""
    if len(rows) > limit:
        rows = rows[:limit]
        args = {k: val for k, val in request.args.items() if k != "after"}
        more = url_for("xapi.statements", **args, after=rows[-1].id)
    return _respond({"statements": [_served(r) for r in rows], "more": more})


# --- activity metadata: the activity ids are URLs that answer with their definition -------------

meta_bp = Blueprint("xapi_activities", __name__)


def _definition(kind: str, titles: dict | None = None, description: dict | None = None):
    definition: dict[str, Any] = {"type": v.TYPES[kind]}
    if titles:
        definition["name"] = {lang: text for lang, text in titles.items() if text}
    if description:
        definition["description"] = {lang: text for lang, text in description.items() if text}
    response = make_response(jsonify(definition))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _module_or_404(slug: str) -> Module:
    module = db.session.scalar(sa.select(Module).where(Module.slug == slug))
    if module is None:
        abort(404)
    return module


@meta_bp.get("/modules/<slug>")
def module_activity(slug: str):
    """The definition of a module's activity (xAPI activity metadata; public, as the courses are)."""
    module = _module_or_404(slug)
    return _definition("module", module.title, module.summary)


@meta_bp.get("/modules/<slug>/quiz")
def quiz_activity(slug: str):
    """The definition of a module's quiz activity (public)."""
    return _definition("quiz", _module_or_404(slug).title)


@meta_bp.get("/modules/<slug>/lessons/<lesson_slug>")
def lesson_activity(slug: str, lesson_slug: str):
    """The definition of a lesson's activity (public)."""
    module = _module_or_404(slug)
    lesson = db.session.scalar(sa.select(Lesson).where(Lesson.module_id == module.id, Lesson.slug == lesson_slug))
    if lesson is None:
        abort(404)
    return _definition("lesson", lesson.title)


@meta_bp.get("/modules/<slug>/questions/<question_slug>")
def question_activity(slug: str, question_slug: str):
    """The definition of a question's activity: its type only, so that the answers are not given away (public)."""
    module = _module_or_404(slug)
    if db.session.scalar(sa.select(Question.id).where(Question.module_id == module.id,
                                                      Question.slug == question_slug)) is None:
        abort(404)
    return _definition("question")


@meta_bp.get("/sessions/<int:session_id>")
def session_activity(session_id: int):
    """The definition of an in-person session's activity: the module's title (place and trainer stay private)."""
    session = db.session.get(TrainingSession, session_id)
    if session is None:
        abort(404)
    return _definition("session", db.session.get(Module, session.module_id).title)
