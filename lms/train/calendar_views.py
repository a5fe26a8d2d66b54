"""Trainer workspace: the election calendar and in-person sessions (views on the train blueprint)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.content.models import Module
from lms.core.paging import requested_page
from lms.core.templating import current_lang
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.train import calendar_service as cal
from lms.train.assign_forms import AttendanceForm, ElectionForm, SessionForm, as_choices, module_choices, unit_choices
from lms.train.scope import sees_everything, trainer_required
from lms.train.views import bp

# --- elections -----------------------------------------------------------------------------------

@bp.get("/elections")
@trainer_required
def elections():
    """Elections in scope, with paging (GET; trainers and admins)."""
    return render_template("train/elections/list.html", page=cal.list_elections(current_user, requested_page()))


@bp.route("/elections/new", methods=["GET", "POST"])
@trainer_required
def election_new():
    """Add an election in the trainer's country, or any for an admin (GET, POST; trainers and admins)."""
    form = ElectionForm()
    if sees_everything(current_user):
        form.country.choices = as_choices([(c.id, c.name(current_lang())) for c in cal.countries()])
    else:
        if cal.country_id_of(current_user) is None:
            abort(403)
        del form.country
    if form.validate_on_submit():
        country_id = form.country.data if "country" in form else cal.country_id_of(current_user)
        election = cal.create_election(current_user, country_id, form.name.data, form.polling_date.data,
                                       form.training_opens.data)
        db.session.commit()
        flash(_("The election “%(name)s” has been added.", name=election.name), "success")
        return redirect(url_for("train.elections"), 303)
    return render_template("train/elections/form.html", form=form, election=None)


@bp.route("/elections/<int:election_id>/edit", methods=["GET", "POST"])
@trainer_required
def election_edit(election_id: int):
    """Edit an election; linked due dates move with it (GET, POST; trainers and admins)."""
    election = cal.election_or_404(current_user, election_id)
    form = ElectionForm(obj=election)
    del form.country
    if form.validate_on_submit():
        changed, moved = cal.update_election(current_user, election, form.name.data, form.polling_date.data,
                                             form.training_opens.data)
        db.session.commit()
        if not changed:
            flash(_("Nothing was changed."), "info")
        else:
            flash(_("The election has been saved."), "success")
            if moved:
                flash(ngettext("The due date of %(num)d assignment has moved with it.",
                               "The due dates of %(num)d assignments have moved with it.", moved), "info")
        return redirect(url_for("train.elections"), 303)
    return render_template("train/elections/form.html", form=form, election=election)


# --- in-person sessions ------------------------------------------------------------------------

@bp.get("/sessions")
@trainer_required
def sessions():
    """Training sessions in scope, filtered by module, with paging (GET; trainers and admins)."""
    module_id = request.args.get("module", type=int)
    if module_id and db.session.get(Module, module_id) is None:
        abort(404)
    page = cal.list_sessions(current_user, requested_page(), module_id)
    return render_template("train/sessions/list.html", page=page, modules=module_choices(current_lang()),
                           module_id=module_id)


@bp.route("/sessions/new", methods=["GET", "POST"])
@trainer_required
def session_new():
    """Record a new training session (GET, POST; trainers and admins)."""
    form = SessionForm()
    lang = current_lang()
    form.module.choices = as_choices(module_choices(lang))
    form.unit.choices = as_choices(unit_choices(current_user, lang))
    if request.method == "GET" and not form.trainer_name.data:
        form.trainer_name.data = current_user.full_name
    if form.validate_on_submit():
        session = cal.create_session(current_user, form.module.data, form.unit.data, form.held_on.data,
                                     form.place.data, form.trainer_name.data)
        db.session.commit()
        flash(_("The session has been recorded. Now mark who attended."), "success")
        return redirect(url_for("train.session", session_id=session.id), 303)
    return render_template("train/sessions/new.html", form=form)


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@trainer_required
def session(session_id: int):
    """A training session and who attended; posting saves attendance (GET, POST; trainers and admins)."""
    training = cal.session_or_404(current_user, session_id)
    eligible = cal.eligible_learners(current_user, training)
    attended = cal.attendee_ids(training)
    form = AttendanceForm()
    form.attended.choices = as_choices([(u.id, u.full_name) for u in eligible])
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)  # only a tampered form names someone outside the list
        added, removed = cal.save_attendance(current_user, training, eligible, set(form.attended.data or []))
        db.session.commit()
        if added or removed:
            flash(_("Attendance has been saved: %(added)s added, %(removed)s removed.",
                    added=len(added), removed=len(removed)), "success")
        else:
            flash(_("Nothing was changed."), "info")
        return redirect(url_for("train.session", session_id=training.id), 303)
    eligible_ids = {u.id for u in eligible}
    return render_template("train/sessions/show.html", training=training, eligible=eligible, form=form,
                           chosen=attended & eligible_ids, others=len(attended - eligible_ids))
