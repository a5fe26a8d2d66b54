"""JSON API for monitors: the completion and knowledge reports, with per-user bearer tokens."""
from __future__ import annotations

import hashlib
from datetime import date
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, g, jsonify, request

from lms.auth.models import ApiToken, Role, User
from lms.content.format import pick
from lms.content.models import Module
from lms.extensions import csrf, db
from lms.orgs.models import Unit
from lms.reports import services
from lms.timeutil import utcnow

bp = Blueprint("api", __name__)
csrf.exempt(bp)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_required(view):
    """Authenticate `Authorization: Bearer <token>`; 401 without a live token of an active reader."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_hash(token),
                                                          ApiToken.revoked_at.is_(None))) if token else None
        user = row.user if row else None
        if user is None or not user.active or user.role not in (Role.MONITOR, Role.TRAINER, Role.ADMIN):
            return jsonify(error=401, message="a valid API token is required"), 401
        row.last_used_at = utcnow()
        db.session.commit()
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped


def _unit(viewer: User) -> Unit | None:
    code = request.args.get("unit", "").strip()
    if not code:
        return None
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == code))
    if unit is None:
        abort(404)
    return services.unit_in_scope_or_404(viewer, unit.id)


def _module(required: bool = False) -> Module | None:
    slug = request.args.get("module", "").strip()
    if not slug:
        if required:
            abort(400)
        return None
    module = db.session.scalar(sa.select(Module).where(Module.slug == slug))
    if module is None:
        abort(404)
    return module


def _date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        abort(400)


def _row(r: services.CompletionRow, lang: str) -> dict:
    return {
        "unit": {"code": r.unit.code, "name": r.unit.name(lang), "level": r.unit.level} if r.unit else None,
        "learners": r.learners, "assigned": r.assigned, "started": r.started, "completed": r.completed,
        "completion_rate": r.completion_rate, "overdue": r.overdue, "average_best_score": r.average_best,
        "first_attempt_pass_rate": r.first_pass_rate, "median_days_to_complete": r.median_days,
    }


@bp.get("/reports/completion")
@token_required
def completion():
    viewer = g.api_user
    unit, module = _unit(viewer), _module()
    date_from, date_to = _date("from"), _date("to")
    role = request.args.get("role", "learner")
    if role not in (*services.ROLES, "all"):
        abort(400)
    role = None if role == "all" else role
    report = services.completion(viewer, unit, module.id if module else None, date_from, date_to, role)
    lang = request.args.get("lang", "en")
    return jsonify(
        unit=unit.code if unit else None, module=module.slug if module else None, role=role or "all",
        date_from=date_from.isoformat() if date_from else None, date_to=date_to.isoformat() if date_to else None,
        rows=[_row(r, lang) for r in report.rows], total=_row(report.total, lang),
        trend=[{"week": w.isoformat(), "completions": n} for w, n in report.trend],
    )


@bp.get("/reports/knowledge")
@token_required
def knowledge():
    viewer = g.api_user
    unit, module = _unit(viewer), _module(required=True)
    report = services.knowledge(viewer, unit, module)
    lang = request.args.get("lang", "en")
    return jsonify(
        unit=unit.code if unit else None, module=module.slug,
        questions=[{
            "question": item.question.slug, "version": item.version.number, "topic": item.question.topic,
            "prompt": pick(item.version.data["prompt"], lang), "answered": item.answered, "right": item.right,
            "difficulty": item.difficulty, "discrimination": item.discrimination,
            "wrong_options": [{"option": o, "chosen": n} for o, n in item.wrong_options],
        } for item in report.items],
        topics=[{"lesson": lesson.slug if lesson else None, "answered": a, "right": r} for lesson, a, r in report.topics],
        oblasts=[{"code": o.code, "average_first_score": {str(k): v for k, v in scores.items()}}
                 for o, scores in report.oblast_map],
    )
