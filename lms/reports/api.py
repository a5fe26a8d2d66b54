"""JSON API for monitors: the completion and knowledge reports, with per-user bearer tokens."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import current_app, g, jsonify, send_from_directory

from lms.config import LANGUAGES
from lms.content.models import Module
from lms.extensions import db
from lms.i18n import pick
from lms.reports import services
from lms.reports.api_base import bp, choice, day, fail, module, token_required, unit


def _period() -> tuple[date | None, date | None]:
    date_from, date_to = day("from"), day("to")
    if date_from and date_to and date_from > date_to:
        fail(400, "'from' is after 'to'", "from")
    return date_from, date_to


def _lang() -> str:
    return choice("lang", LANGUAGES, current_app.config["LMS_DEFAULT_LOCALE"])


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
    place, course = unit(viewer), module()
    date_from, date_to = _period()
    role = choice("role", (*services.ROLES, "all"), "learner")
    role = None if role == "all" else role
    lang = _lang()
    report = services.completion(viewer, place, course.id if course else None, date_from, date_to, role)
    return jsonify(
        unit=place.code if place else None, module=course.slug if course else None, role=role or "all",
        date_from=date_from.isoformat() if date_from else None, date_to=date_to.isoformat() if date_to else None,
        rows=[_row(r, lang) for r in report.rows], total=_row(report.total, lang),
        trend=[{"week": w.isoformat(), "completions": n} for w, n in report.trend],
    )


@bp.get("/reports/knowledge")
@token_required
def knowledge():
    """Item analysis, topics and oblast map of a module, as JSON (GET; API token of monitors, trainers, admins)."""
    viewer = g.api_user
    place, course = unit(viewer), module(required=True)
    lang = _lang()
    report = services.knowledge(viewer, place, course)
    slugs = dict(db.session.execute(sa.select(Module.id, Module.slug)).all())
    return jsonify(
        unit=place.code if place else None,
        module=course.slug,
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
