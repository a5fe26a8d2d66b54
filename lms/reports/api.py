"""JSON API for monitors: the completion and knowledge reports, with per-user bearer tokens."""
from __future__ import annotations

from datetime import date
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, jsonify, make_response, request, send_from_directory
from werkzeug.exceptions import NotFound

from lms.auth.models import ApiToken, Role, User, token_hash
from lms.config import LANGUAGES
from lms.content.models import Module
from lms.extensions import csrf, db
from lms.i18n import pick
from lms.orgs.models import Unit
from lms.reports import services
from lms.timeutil import utcnow

bp = Blueprint("api", __name__)
csrf.exempt(bp)


def _fail(status: int, message: str, parameter: str | None = None):
    """Stop with a JSON error; `parameter` names the query parameter at fault."""
    body = {"error": status, "message": message}
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
            return jsonify(error=401, message="a valid API token is required"), 401
        if user.role not in (Role.MONITOR, Role.TRAINER, Role.ADMIN):
            return jsonify(error=403, message="this account may not read reports"), 403
        row.last_used_at = utcnow()
        db.session.commit()
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped


def _unit(viewer: User) -> Unit | None:
    code = request.args.get("unit", "").strip()
    if not code:
        return None
    unit = db.session.scalar(sa.select(Unit.id).where(Unit.code == code))
    try:
        if unit is not None:
            return services.unit_in_scope_or_404(viewer, unit)
    except NotFound:
        pass
    _fail(404, f"no unit {code!r} in your scope", "unit")


def _module(required: bool = False) -> Module | None:
    slug = request.args.get("module", "").strip()
    if not slug:
        if required:
            _fail(400, "a module is required", "module")
        return None
    module = db.session.scalar(sa.select(Module).where(Module.slug == slug))
    if module is None:
        _fail(404, f"no module {slug!r}", "module")
    return module


def _date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        _fail(400, "expected a date as YYYY-MM-DD", name)


def _period() -> tuple[date | None, date | None]:
    date_from, date_to = _date("from"), _date("to")
    if date_from and date_to and date_from > date_to:
        _fail(400, "'from' is after 'to'", "from")
    return date_from, date_to


def _lang() -> str:
    lang = request.args.get("lang", "").strip() or current_app.config["LMS_DEFAULT_LOCALE"]
    if lang not in LANGUAGES:
        _fail(400, f"lang must be one of {', '.join(LANGUAGES)}", "lang")
    return lang


def _row(r: services.CompletionRow, lang: str) -> dict:
    return {
        "unit": {"code": r.unit.code, "name": r.unit.name(lang), "level": r.unit.level, "closed": r.unit.closed}
        if r.unit else None,
        "learners": r.learners, "assigned": r.assigned, "started": r.started, "completed": r.completed,
        "completion_rate": r.completion_rate, "overdue": r.overdue, "average_best_score": r.average_best,
        "first_attempt_pass_rate": r.first_pass_rate, "median_days_to_complete": r.median_days,
    }


@bp.get("/reports/completion")
@token_required
def completion():
    """Completion figures by unit with a weekly trend, as JSON (GET; API token of monitors, trainers, admins)."""
    viewer = g.api_user
    unit, module = _unit(viewer), _module()
    date_from, date_to = _period()
    role = request.args.get("role", "").strip() or "learner"
    if role not in (*services.ROLES, "all"):
        _fail(400, f"role must be one of {', '.join((*services.ROLES, 'all'))}", "role")
    role = None if role == "all" else role
    lang = _lang()
    report = services.completion(viewer, unit, module.id if module else None, date_from, date_to, role)
    return jsonify(
        unit=unit.code if unit else None, module=module.slug if module else None, role=role or "all",
        date_from=date_from.isoformat() if date_from else None, date_to=date_to.isoformat() if date_to else None,
        rows=[_row(r, lang) for r in report.rows], total=_row(report.total, lang),
        trend=[{"week": w.isoformat(), "completions": n} for w, n in report.trend],
    )


@bp.get("/reports/knowledge")
@token_required
def knowledge():
    """Item analysis, topics and oblast map of a module, as JSON (GET; API token of monitors, trainers, admins)."""
    viewer = g.api_user
    unit, module = _unit(viewer), _module(required=True)
    lang = _lang()
    report = services.knowledge(viewer, unit, module)
    slugs = dict(db.session.execute(sa.select(Module.id, Module.slug)).all())
    return jsonify(
        unit=unit.code if unit else None,
        module=module.slug,
        questions=[
            {
                "question": item.question.slug,
                "version": item.version.number,
                "topic": item.question.topic,
                "prompt": pick(item.version.data["prompt"], lang),
                "answered": item.answered,
                "right": item.right,
                "difficulty": item.difficulty,
                "discrimination": item.discrimination,
                "wrong_options": [{"option": o, "chosen": n} for o, n in item.wrong_options],
            }
            for item in report.items
        ],
        topics=[
            {"lesson": lesson.slug if lesson else None, "answered": a, "right": r} for lesson, a, r in report.topics
        ],
        oblasts=[
            {"code": o.code, "name": o.name(lang), "average_first_score": {slugs[k]: v for k, v in scores.items()}}
            for o, scores in report.oblast_map
        ],
    )


@bp.get("/openapi.yaml")
def openapi():
    """The OpenAPI description of this API (lms/static/openapi.yaml); no token needed."""
    return send_from_directory(current_app.static_folder, "openapi.yaml", mimetype="application/yaml")
