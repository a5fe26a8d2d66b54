"""Trainer workspace: assignments (views on the train blueprint).

Elections and in-person sessions are in lms.train.calendar_views.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.auth.models import User
from lms.content.models import Module
from lms.core.paging import requested_page
from lms.core.templating import current_lang
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.orgs.models import Unit, closed_among
from lms.train import assign_service as svc
from lms.train import audit_text
from lms.train.assign_forms import (
    AssignmentForm,
    ConfirmForm,
    DueForm,
    as_choices,
    election_label,
    module_choices,
    unit_choices,
    unit_tree,
)
from lms.train.calendar_service import election_choices, unit_country_id
from lms.train.models import Election
from lms.train.scope import trainer_required, unit_or_404
from lms.train.views import bp


def _fill_due(form: DueForm) -> dict[int, Election]:
    """Offer the elections the current user may link to; returns them by id."""
    elections = {e.id: e for e in election_choices(current_user)}
    pairs = [(0, _("Choose an election"))] + [(i, election_label(e)) for i, e in elections.items()]
    form.election.choices = as_choices(pairs)
    return elections


def _rule(form: DueForm, elections: dict[int, Election]) -> svc.DueRule:
    return svc.DueRule(form.due.data, due_date=form.due_date.data, election=elections.get(form.election.data),
                       days_before=form.days_before.data, earlier_counts=form.earlier_counts.data,
                       reminder_days=form.reminder_days.data or None)


def _check_country(form: DueForm, rule: svc.DueRule, units: list[Unit], learners: list[User]) -> None:
    """An assignment may follow only an election of its targets' country."""
    if rule.kind != "election" or rule.election is None:
        return
    countries = {unit_country_id(u) for u in units} | {unit_country_id(p.unit) for p in learners if p.unit}
    if countries - {rule.election.country_id}:
        form.election.errors.append(_("This election is held in another country than the units or learners chosen."))


def _learners_from_lines(form: AssignmentForm) -> list[User]:
    """The learners named in the textarea; an error for each line that names no learner in scope."""
    lines = form.username_lines()
    found = svc.learners_by_username(current_user, [name for _number, name in lines])
    for number, name in lines:
        if name not in found:
            form.usernames.errors.append(_("Line %(n)s: “%(name)s” is not a learner you manage.",
                                           n=str(number), name=name))  # a line number, not a count
    return list({u.id: u for u in found.values()}.values())


@bp.get("/assignments")
@trainer_required
def assignments():
    """Assignments in scope, filtered by module and unit, with paging (GET; trainers and admins)."""
    args = request.args
    unit_id, module_id = args.get("unit", type=int), args.get("module", type=int)
    unit = unit_or_404(current_user, unit_id) if unit_id else None
    if module_id and db.session.get(Module, module_id) is None:
        abort(404)
    f = svc.ListFilter(module_id=module_id, unit=unit, page=requested_page())
    lang = current_lang()
    return render_template("train/assignments/list.html", page=svc.list_assignments(current_user, f), f=f,
                           modules=module_choices(lang), units=unit_choices(current_user, lang, max_level=2))


@bp.route("/assignments/new", methods=["GET", "POST"])
@trainer_required
def assignment_new():
    """Assign modules to units or named learners with a due rule (GET, POST; trainers and admins)."""
    form = AssignmentForm()
    lang = current_lang()
    form.modules.choices = as_choices(module_choices(lang, published_only=True))  # a forged id: not a valid choice
    form.units.choices = as_choices(unit_choices(current_user, lang))
    elections = _fill_due(form)
    if form.validate_on_submit():
        learners = _learners_from_lines(form)
        units = list(db.session.scalars(sa.select(Unit).where(Unit.id.in_(form.units.data or []))))
        if not units and not learners and not form.usernames.errors:
            form.units.errors.append(_("Choose at least one unit, or enter at least one username."))
        closed = closed_among((u.id for u in units), exclusive=True)  # locked until the commit (assign_service)
        for unit in units:
            if unit.id in closed:
                form.units.errors.append(_("%(name)s is closed: it takes no new assignments.",
                                           name=unit.name(lang)))
        rule = _rule(form, elections)
        _check_country(form, rule, units, learners)
        if not form.errors:
            try:
                created = svc.create(current_user, form.modules.data, [u.id for u in units],
                                     [p.id for p in learners], rule)
            except svc.AssignError as error:
                if str(error) != "unpublished":
                    abort(400)
                db.session.rollback()  # unpublished since the form was shown: say so on the form
                form.modules.choices = as_choices(module_choices(lang, published_only=True))
                form.modules.errors.append(_("A module you chose is no longer offered for assignment. "
                                             "Choose the modules again."))
                return render_template("train/assignments/new.html", form=form, tree=unit_tree(current_user),
                                       lang=lang)
            db.session.commit()
            flash(ngettext("%(num)d assignment made.", "%(num)d assignments made.", len(created.assignments)),
                  "success")
            if created.learners:
                flash(ngettext("Progress updated for %(num)d learner.", "Progress updated for %(num)d learners.",
                               created.learners), "info")
            if created.skipped:
                flash(ngettext("%(num)d was already assigned with the same due date and was left as it was.",
                               "%(num)d were already assigned with the same due date and were left as they were.",
                               created.skipped), "info")
            return redirect(url_for("train.assignments"), 303)
    return render_template("train/assignments/new.html", form=form, tree=unit_tree(current_user), lang=lang)


@bp.get("/assignments/<int:assignment_id>")
@trainer_required
def assignment(assignment_id: int):
    """One assignment: its target, rule, reach and history (GET; trainers and admins)."""
    a = svc.assignment_or_404(current_user, assignment_id)
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(
        User.id.in_({i for i in (a.user_id, a.assigned_by_id, a.withdrawn_by_id) if i is not None})))}
    return render_template(
        "train/assignments/show.html", a=a, people=people, history=audit_text.describe(svc.history(a)),
        reach=svc.reach_count(a),
        unit=db.session.get(Unit, a.unit_id) if a.unit_id else None,
        election=db.session.get(Election, a.election_id) if a.election_id else None, form=ConfirmForm())


@bp.route("/assignments/<int:assignment_id>/edit", methods=["GET", "POST"])
@trainer_required
def assignment_edit(assignment_id: int):
    """Change the due rule of a live assignment (GET, POST; trainers and admins)."""
    a = svc.assignment_or_404(current_user, assignment_id)
    if a.withdrawn_at is not None:
        flash(_("This assignment has been withdrawn and can no longer be changed."), "error")
        return redirect(url_for("train.assignment", assignment_id=a.id), 303)
    form = DueForm()
    elections = _fill_due(form)
    if request.method == "GET":
        rule = svc.rule_of(a)
        form.due.data, form.due_date.data, form.earlier_counts.data = rule.kind, rule.due_date, rule.earlier_counts
        form.reminder_days.data = rule.reminder_days
        if rule.election is not None:
            form.election.data, form.days_before.data = rule.election.id, rule.days_before
    elif form.validate_on_submit():
        rule = _rule(form, elections)
        learner = db.session.get(User, a.user_id) if a.user_id else None
        _check_country(form, rule, [db.session.get(Unit, a.unit_id)] if a.unit_id else [], [learner] if learner else [])
        if not form.errors:
            changed = svc.update(current_user, a, rule)
            db.session.commit()
            flash(_("The assignment has been changed.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("train.assignment", assignment_id=a.id), 303)
    return render_template("train/assignments/edit.html", form=form, a=a)


@bp.post("/assignments/<int:assignment_id>/withdraw")
@trainer_required
def assignment_withdraw(assignment_id: int):
    """Withdraw an assignment, keeping its history (POST; trainers and admins)."""
    a = svc.assignment_or_404(current_user, assignment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if a.withdrawn_at is None:
        svc.withdraw(current_user, a)
        db.session.commit()
        flash(_("The assignment has been withdrawn. Its history is kept."), "success")
    return redirect(url_for("train.assignment", assignment_id=a.id), 303)

