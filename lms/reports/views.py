"""Monitor reports: completion (with drill-down and weekly trend) and knowledge (item analysis)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.access import roles_required
from lms.auth.models import Role, User
from lms.content.models import Module
from lms.core.export import download
from lms.core.templating import current_lang, short_date
from lms.extensions import db
from lms.i18n import pick
from lms.learn.models import LearnerProgress
from lms.progress import summary
from lms.reports import charts, services
from lms.timeutil import today

bp = Blueprint("reports", __name__)
report_access = roles_required(Role.MONITOR, Role.TRAINER, Role.ADMIN)


def _date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400)


def _module(arg: str = "module", required: bool = False) -> Module | None:
    value = request.args.get(arg, type=int)
    if value is None:
        if required:
            return db.session.scalar(sa.select(Module).where(Module.active).order_by(Module.position).limit(1))
        return None
    module = db.session.get(Module, value)
    if module is None:
        abort(404)
    return module


def _modules() -> list[Module]:
    return list(db.session.scalars(sa.select(Module).where(Module.active).order_by(Module.position)))


@bp.get("/")
@report_access
def index():
    """Go to the completion report (GET; monitors, trainers and admins)."""
    return redirect(url_for("reports.completion"))


def _role() -> str | None:
    """Whose figures: precinct officials (the default), trainers, or both ("all")."""
    role = request.args.get("role", "learner")
    if role == "all":
        return None
    if role not in services.ROLES:
        abort(400)
    return role


def _completion_args():
    unit = services.unit_in_scope_or_404(current_user, request.args.get("unit", type=int))
    module = _module()
    date_from, date_to = _date("from"), _date("to")
    if date_from and date_to and date_from > date_to:
        abort(400)
    return unit, module, date_from, date_to, _role()


@bp.get("/completion")
@report_access
def completion():
    """The completion report of a unit, with charts and names where allowed (GET; monitors, trainers, admins)."""
    unit, module, date_from, date_to, role = _completion_args()
    report = services.completion(current_user, unit, module.id if module else None, date_from, date_to, role)
    lang = current_lang()
    names = []
    if services.may_see_names(current_user, unit):
        names = db.session.execute(
            sa.select(User, LearnerProgress, Module).join(LearnerProgress, LearnerProgress.user_id == User.id)
            .join(Module, Module.id == LearnerProgress.module_id)
            .where(User.unit_id == unit.id, *([Module.id == module.id] if module else []))
            .order_by(User.full_name, Module.position)).all()
    bars = charts.bar_chart([(r.unit.name(lang), r.completion_rate) for r in report.rows],
                            _("Completion rate by unit"))
    trend = charts.column_chart([(short_date(w), n) for w, n in report.trend], _("Completions per week"))
    return render_template("reports/completion.html", report=report, module=module, modules=_modules(),
                           date_from=date_from, date_to=date_to, bars=bars, trend=trend, names=names,
                           role=request.args.get("role", "learner"),
                           args=request.args.to_dict(), today=today())


def completion_table(report: services.CompletionReport, lang: str) -> tuple[list[str], list[list]]:
    """The completion report as a header and rows for export, the total last."""
    header = [_("Unit"), _("Code"), _("Learners"), _("Assigned"), _("Started"), _("Completed"), _("Completion rate, %"),
              _("Overdue"), _("Average best score, %"), _("First-attempt pass rate, %"), _("Median days to complete")]
    rows = []
    for r in report.rows + [report.total]:
        label = r.unit.name(lang) if r.unit is not None and r is not report.total else _("Total")
        if r.unit is not None and r is not report.total and r.unit.closed:
            label = _("%(name)s (closed)", name=label)
        code = r.unit.code if r.unit is not None else ""
        rows.append([label, code, r.learners, r.assigned, r.started, r.completed, r.completion_rate, r.overdue,
                     r.average_best, r.first_pass_rate, r.median_days])
    return header, rows


@bp.get("/completion.<fmt>")
@report_access
def completion_export(fmt: str):
    """The completion report as a CSV or XLSX download (GET; monitors, trainers and admins)."""
    unit, module, date_from, date_to, role = _completion_args()
    report = services.completion(current_user, unit, module.id if module else None, date_from, date_to, role)
    return download(fmt, "completion", *completion_table(report, current_lang()), "Completion")


def _knowledge_args():
    unit = services.unit_in_scope_or_404(current_user, request.args.get("unit", type=int))
    module = _module(required=True)
    if module is None:
        abort(404)
    return unit, module


@bp.get("/knowledge")
@report_access
def knowledge():
    """The knowledge report of a module: item analysis and topics (GET; monitors, trainers and admins)."""
    unit, module = _knowledge_args()
    report = services.knowledge(current_user, unit, module)
    lang = current_lang()
    topic_chart = charts.bar_chart(
        [
            (
                (lesson.title and pick(lesson.title, lang)) if lesson else _("Other"),
                round(100 * right / answered, 1) if answered else None,
            )
            for lesson, answered, right in report.topics
        ],
        _("Right at the first attempt, by lesson topic"),
    )
    roots = services.root_units(current_user)
    return render_template("reports/knowledge.html", report=report, modules=_modules(), module=module,
                           topic_chart=topic_chart, args=request.args.to_dict(),
                           rows=services.knowledge_by_unit(current_user, unit, module),
                           trail=services.trail(current_user, unit),
                           all_countries=bool(roots) and all(r.level == 0 for r in roots),
                           upper=summary.UPPER, lower=summary.LOWER)


def knowledge_table(report: services.KnowledgeReport, lang: str) -> tuple[list[str], list[list]]:
    """The knowledge report's item analysis as a header and rows for export."""
    header = [_("Question"), _("Version"), _("Topic"), _("Answered at first attempt"), _("Right"),
              _("Difficulty (share right)"), _("Discrimination index"), _("Most chosen wrong options")]
    rows = []
    for item in report.items:
        options = {o["id"]: pick(o["text"], lang) for o in item.version.data.get("options", [])}
        rows.append([pick(item.version.data["prompt"], lang), item.version.number, item.question.topic or "",
                     item.answered, item.right, item.difficulty, item.discrimination,
                     "; ".join(f"{options.get(o, o)} ({n})" for o, n in item.wrong_options)])
    return header, rows


@bp.get("/knowledge.<fmt>")
@report_access
def knowledge_export(fmt: str):
    """The knowledge report as a CSV or XLSX download (GET; monitors, trainers and admins)."""
    unit, module = _knowledge_args()
    return download(fmt, "knowledge", *knowledge_table(services.knowledge(current_user, unit, module), current_lang()),
                    "Knowledge")
