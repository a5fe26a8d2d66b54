"""Trainer workspace: the progress matrix and its exports, a learner's record, the overdue list."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.content.models import Module
from lms.core.export import download
from lms.core.paging import requested_page
from lms.core.templating import current_lang, format_date_cached
from lms.extensions import db
from lms.i18n import pick
from lms.learn import certificate_records, rules
from lms.learn import services as learn_services
from lms.learn.models import LearnerProgress, QuizAttempt
from lms.orgs.models import Unit
from lms.timeutil import today as today_
from lms.train import certificate_service
from lms.train import progress as svc
from lms.train.accounts_forms import ActionForm, RevokeCertificateForm
from lms.train.scope import learner_or_404, trainer_required, unit_or_404, units_in_scope
from lms.train.views import bp


def _filter() -> svc.MatrixFilter:
    args = request.args
    unit_id = args.get("unit", type=int)
    unit = unit_or_404(current_user, unit_id) if unit_id else None
    module_id = args.get("module", type=int)
    if module_id and db.session.get(Module, module_id) is None:
        abort(404)
    status = args.get("status") if args.get("status") in svc.STATUSES else None
    return svc.MatrixFilter(unit=unit, module_id=module_id, status=status, q=args.get("q", "").strip()[:100],
                            page=requested_page())


def _choices():
    units = db.session.scalars(units_in_scope(current_user).where(Unit.level < 3)).all()
    modules = db.session.scalars(sa.select(Module).where(Module.active).order_by(Module.position)).all()
    return units, modules


def cell_view(cell: LearnerProgress | None, today, labels: dict[str, str]) -> tuple[str, str, str] | None:
    """(status key, label, detail line) for one matrix cell, formatted once in Python."""
    if cell is None:
        return None
    key = rules.shown_status(cell.status, cell.due_date, today)
    parts = []
    if cell.best_score is not None:
        parts.append(f"{round(cell.best_score)}%")
    if cell.attempts:
        parts.append(f"{cell.attempts}×")
    if cell.completed_at:
        parts.append(format_date_cached(cell.completed_at, "short"))
    elif cell.due_date:
        parts.append(f"{labels['due']} {format_date_cached(cell.due_date, 'short')}")
    return key, labels[key], " · ".join(parts)


def status_labels() -> dict[str, str]:
    """The translated labels of the statuses, and of "due"."""
    return {**{k: str(v) for k, v in rules.LABELS.items()}, "due": _("due")}


@bp.get("/progress")
@trainer_required
def progress():
    """The progress matrix of learners by module, filtered and paged (GET; trainers and admins)."""
    f = _filter()
    units, modules = _choices()
    m = svc.matrix(current_user, f)
    today, labels = today_(), status_labels()
    rows = [(person, [cell_view(m.cells.get((person.id, mod.id)), today, labels) for mod in m.modules])
            for person in m.learners]
    return render_template("train/progress.html", m=m, rows=rows, f=f, units=units,
                           all_modules=modules, statuses=svc.STATUSES, args=request.args.to_dict(),
                           today=today_())


def _cell_text(cell: LearnerProgress | None, today, labels: dict[str, str]) -> str:
    """The status word the matrix shows, for exports."""
    view = cell_view(cell, today, labels)
    return view[1] if view else _("Not assigned")


@bp.get("/progress/export.<fmt>")
@trainer_required
def progress_export(fmt: str):
    """The filtered progress matrix, all pages, as a CSV or XLSX download (GET; trainers and admins)."""
    if fmt not in ("csv", "xlsx"):  # before any work
        abort(404)
    f = _filter()
    lang = current_lang()
    modules = svc._modules(f)
    header = [_("Full name"), _("Username"), _("Unit code"), _("Unit")]
    for m in modules:
        title = pick(m.title, lang)
        header += [f"{title}: {_('status')}", f"{title}: {_('best score')}", f"{title}: {_('attempts')}",
                   f"{title}: {_('completed on')}"]

    today, labels = today_(), status_labels()

    def rows():
        """Yield one export row per learner: account, unit, and status, score, attempts, date per module."""
        for user, mods, cells in svc.export_rows(current_user, f):
            row = [
                user.full_name,
                user.username,
                user.unit.code if user.unit else "",
                user.unit.name(lang) if user.unit else "",
            ]
            for m in mods:
                cell = cells.get((user.id, m.id))
                row += [
                    _cell_text(cell, today, labels),
                    cell.best_score if cell else None,
                    cell.attempts if cell else None,
                    cell.completed_at.date() if cell and cell.completed_at else None,
                ]
            yield row

    return download(fmt, "progress", header, rows(), "Progress")


def _learner_page(person, revoking: int | None = None, form: RevokeCertificateForm | None = None):
    """The learner's record; `form` holds the errors of a revocation of certificate `revoking` to show again."""
    rows = db.session.execute(
        sa.select(LearnerProgress, Module).join(Module, Module.id == LearnerProgress.module_id)
        .where(LearnerProgress.user_id == person.id).order_by(Module.position)).all()
    attempts = db.session.execute(
        sa.select(QuizAttempt, Module).join(Module, Module.id == QuizAttempt.module_id)
        .where(QuizAttempt.user_id == person.id).order_by(QuizAttempt.started_at.desc())).all()
    return render_template("train/learner.html", person=person, rows=rows, attempts=attempts, today=today_(),
                           action_form=ActionForm(), status_labels=status_labels(),
                           certificates=certificate_records.of_learner(person.id), grouped=certificate_records.grouped,
                           revoking=revoking, revoke_form=form or RevokeCertificateForm(formdata=None))


@bp.get("/learners/<int:learner_id>")
@trainer_required
def learner(learner_id: int):
    """A learner's record: progress in each module, quiz attempts and certificates (GET; trainers and admins)."""
    return _learner_page(learner_or_404(current_user, learner_id))


@bp.post("/learners/<int:learner_id>/certificates/<int:certificate_id>/revoke")
@trainer_required
def learner_revoke_certificate(learner_id: int, certificate_id: int):
    """Revoke one of a learner's certificates, with the reason, which the check page then shows (POST;
    admins, and trainers of the learner's oblast)."""
    person = learner_or_404(current_user, learner_id)
    form = RevokeCertificateForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _learner_page(person, certificate_id, form)
    try:
        certificate_service.revoke(current_user, person, certificate_id, form.reason.data.strip())
    except certificate_service.NotFound:
        abort(404)
    except certificate_service.NotRevocable:
        db.session.rollback()
        flash(_("This certificate had already been revoked."), "info")
    else:
        db.session.commit()
        flash(_("The certificate has been revoked. Its check page now says so, with your reason."), "success")
    return redirect(url_for("train.learner", learner_id=person.id) + "#certificates", 303)


@bp.get("/learners/<int:learner_id>/attempts/<int:attempt_id>")
@trainer_required
def learner_attempt(learner_id: int, attempt_id: int):
    """The result of one of a learner's submitted attempts (GET; trainers and admins)."""
    person = learner_or_404(current_user, learner_id)
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != person.id or attempt.is_open:
        abort(404)
    return render_template("learn/result.html", result=learn_services.attempt_result(attempt, person),
                           module=attempt.module, person=person)


@bp.get("/overdue")
@trainer_required
def overdue():
    """Overdue learners in scope, grouped by precinct, with paging (GET; trainers and admins)."""
    module_id = request.args.get("module", type=int)
    page = svc.overdue(current_user, module_id, requested_page())
    groups: dict = {}
    for lp, user in page.items:
        groups.setdefault(user.unit_id, (user.unit, []))[1].append((lp, user))
    modules = {m.id: m for m in db.session.scalars(sa.select(Module))}
    return render_template("train/overdue.html", groups=list(groups.values()), modules=modules, page=page,
                           all_modules=[m for m in modules.values() if m.active], module_id=module_id,
                           today=today_())
