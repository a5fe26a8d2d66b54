"""Trainer workspace: learner accounts and bulk import (views on the train blueprint)."""
from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from lms.auth.models import SHOWN_ONCE_MINUTES, ShownOnce, User
from lms.auth.views import safe_next
from lms.core.paging import requested_page
from lms.core.templating import current_lang
from lms.extensions import db
from lms.orgs.models import Unit
from lms.timeutil import utcnow
from lms.train import accounts_service as svc
from lms.train.accounts_forms import (
    ActionForm,
    ConfirmImportForm,
    EditLearnerForm,
    ImportForm,
    NewLearnerForm,
    unit_choices,
)
from lms.train.scope import learner_or_404, trainer_required, unit_condition, unit_or_404, units_in_scope
from lms.train.user_import import check_file, check_rows, normalised_chunks, read_normalised
from lms.train.views import bp

PREVIEW_ROWS = 50
_SHOWN = "lms_temporary_password"  # session key: the password shown once after a create or reset


def _no_store(response):
    response = current_app.make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def _posted_unit_or_404() -> None:
    """A unit id outside the trainer's scope in a submitted form is a foreign id: 404."""
    unit_id = request.form.get("unit", type=int)
    if request.method == "POST" and unit_id:
        unit_or_404(current_user, unit_id)


def _set_unit_choices(form, current: Unit | None = None) -> None:
    """Offer the open precincts in scope, and the learner's own (even closed). A closed precinct sent
    anyway is accepted by the form, so that the service says why it is refused."""
    units = svc.precincts_in_scope(current_user)
    keep = [current] if current is not None else []
    posted = request.form.get("unit", type=int) if request.method == "POST" else None
    sent = db.session.get(Unit, posted) if posted and 0 < posted < 2**31 else None
    if sent is not None and sent.closed and sent.level == 3:
        keep.append(sent)
    for unit in keep:
        if all(u.id != unit.id for u in units):
            units.insert(0, unit)
    form.unit.choices = unit_choices(units, current_lang(), _("Choose the precinct commission"))


def show_password_next(issued: svc.Issued, url: str | None = None):
    """Keep the password on the server for one showing on the next page (`url`, by default the learner's).

    The session cookie carries only the random id of that row, never the password."""
    db.session.execute(sa.delete(ShownOnce).where(
        ShownOnce.created_at < utcnow() - timedelta(minutes=SHOWN_ONCE_MINUTES)))  # forgotten ones
    note = ShownOnce(user_id=issued.user.id, shown_to_id=current_user.id, secret=issued.password)
    db.session.add(note)
    db.session.commit()
    session[_SHOWN] = note.id
    return redirect(url or url_for("train.learner_password", learner_id=issued.user.id), 303)


@bp.get("/learners")
@trainer_required
def learners():
    """The trainer's list of learners in their scope, with search, filters and paging (GET; trainers, admins)."""
    args = request.args
    unit_id = args.get("unit", type=int)
    unit = unit_or_404(current_user, unit_id) if unit_id else None
    state = args.get("state", "") if args.get("state") in ("active", "inactive") else ""
    q = args.get("q", "").strip()[:100]
    page = svc.learner_page(current_user, q, unit, state, requested_page())
    units = db.session.scalars(units_in_scope(current_user).where(Unit.level < 3)).all()
    filters = {k: v for k, v in {"q": q, "unit": unit.id if unit else None, "state": state}.items() if v}
    return render_template("train/learners/list.html", page=page, units=units, unit=unit, q=q, state=state,
                           filters=filters, action_form=ActionForm())


@bp.route("/learners/new", methods=["GET", "POST"])
@trainer_required
def learner_new():
    """Create a learner account, then show its one-time password (GET, POST; trainers and admins)."""
    _posted_unit_or_404()
    form = NewLearnerForm()
    _set_unit_choices(form)
    if request.method == "GET":
        form.language.data = current_app.config["LMS_DEFAULT_LOCALE"]
    if form.validate_on_submit():
        try:
            issued = svc.create_learner(current_user, form.full_name.data, form.username.data, form.unit.data,
                                        form.language.data)
            svc.set_contact(current_user, issued.user, form.email.data, form.phone.data)
            db.session.commit()
        except svc.OutOfScope:
            abort(404)
        except svc.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(exc.message)
        except IntegrityError:  # the same username saved by someone else a moment ago
            db.session.rollback()
            form.username.errors.append(_("This username is already taken."))
        else:
            return show_password_next(issued)
    return render_template("train/learners/form.html", form=form, person=None)


@bp.route("/learners/<int:learner_id>/edit", methods=["GET", "POST"])
@trainer_required
def learner_edit(learner_id: int):
    """Edit a learner's name, precinct, language and whether active (GET, POST; trainers and admins)."""
    person = learner_or_404(current_user, learner_id)
    _posted_unit_or_404()
    form = EditLearnerForm(data={"full_name": person.full_name, "unit": person.unit_id, "active": person.active,
                                 "language": person.locale or current_app.config["LMS_DEFAULT_LOCALE"],
                                 "email": person.email, "phone": person.phone})
    _set_unit_choices(form, person.unit)
    if form.validate_on_submit():
        try:
            changed = svc.update_learner(current_user, person, form.full_name.data, form.unit.data,
                                         form.language.data, form.active.data)
            changed = svc.set_contact(current_user, person, form.email.data, form.phone.data) or changed
            db.session.commit()
        except svc.OutOfScope:
            abort(404)
        except svc.AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(_("The account has been saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("train.learners"), 303)
    return render_template("train/learners/form.html", form=form, person=person)


@bp.post("/learners/<int:learner_id>/reset-password")
@trainer_required
def learner_reset(learner_id: int):
    """Give a learner a new one-time password and show it next (POST; trainers and admins)."""
    person = learner_or_404(current_user, learner_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    issued = svc.reset_password(current_user, person)
    db.session.commit()
    return show_password_next(issued)


def password_page(person: User, *, back: tuple[str, str], reset_url: str, record: tuple[str, str],
                  role_label: str | None = None):
    """`person`'s one-time password, shown once; afterwards only the offer to make a new one.

    `back` and `record` are (url, label) links; the page is never cached."""
    password = None
    note_id = session.pop(_SHOWN, None)
    if isinstance(note_id, str):
        # deleted as it is read: a replayed cookie, a reload or another tab finds nothing
        fresh = utcnow() - timedelta(minutes=SHOWN_ONCE_MINUTES)
        row = db.session.execute(sa.delete(ShownOnce).where(
            ShownOnce.id == note_id, ShownOnce.user_id == person.id, ShownOnce.shown_to_id == current_user.id,
            ShownOnce.created_at >= fresh).returning(ShownOnce.secret)).first()
        db.session.commit()
        password = row[0] if row else None
    return _no_store(render_template("train/learners/password.html", person=person, password=password, back=back,
                                     reset_url=reset_url, record=record, role_label=role_label))


@bp.get("/learners/<int:learner_id>/temporary-password")
@trainer_required
def learner_password(learner_id: int):
    """The learner's one-time password, shown once after it is made (GET; trainers and admins)."""
    person = learner_or_404(current_user, learner_id)
    return password_page(person, back=(url_for("train.learners"), _("Accounts of your officials")),
                         reset_url=url_for("train.learner_reset", learner_id=person.id),
                         record=(url_for("train.learner", learner_id=person.id), _("The official's record")))


def active_button(person: User, active: bool, back: str, refusal: str | None = None):
    """A deactivate or reactivate button was pressed: check the form, change, say so, go `back`.
    With `refusal`, nothing changes and that is said instead."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if refusal:
        flash(refusal, "error")
    elif svc.set_active(current_user, person, active):
        db.session.commit()
        flash(_("%(name)s can sign in again.", name=person.full_name) if active
              else _("%(name)s can no longer sign in.", name=person.full_name), "success")
    return redirect(back, 303)


def unlock_button(person: User, back: str):
    """An unlock button was pressed: check the form, lift the lock-out, say so, go `back`."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if svc.unlock(current_user, person):
        db.session.commit()
        flash(_("%(name)s can sign in again.", name=person.full_name), "success")
    else:
        flash(_("%(name)s's account was not locked.", name=person.full_name), "info")
    return redirect(back, 303)


@bp.post("/learners/<int:learner_id>/unlock")
@trainer_required
def learner_unlock(learner_id: int):
    """Lift a learner's lock-out after failed sign-ins (POST; trainers and admins)."""
    person = learner_or_404(current_user, learner_id)
    return unlock_button(person, safe_next(request.form.get("next")) or url_for("train.learner", learner_id=person.id))


def _set_active(learner_id: int, active: bool):
    person = learner_or_404(current_user, learner_id)
    return active_button(person, active, safe_next(request.form.get("next")) or url_for("train.learners"))


@bp.post("/learners/<int:learner_id>/modules/<int:module_id>/extra-attempt")
@trainer_required
def learner_extra_attempt(learner_id: int, module_id: int):
    """Grant a learner out of attempts one more quiz attempt in a module (POST; trainers and admins)."""
    person = learner_or_404(current_user, learner_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if svc.grant_attempt(current_user, person, module_id):
        db.session.commit()
        flash(_("%(name)s may take the quiz once more.", name=person.full_name), "success")
    else:
        flash(_("%(name)s still has quiz attempts left in this module, or has passed it.", name=person.full_name),
              "error")
    return redirect(url_for("train.learner", learner_id=person.id), 303)


@bp.post("/learners/<int:learner_id>/deactivate")
@trainer_required
def learner_deactivate(learner_id: int):
    """Deactivate a learner's account (POST; trainers and admins)."""
    return _set_active(learner_id, False)


@bp.post("/learners/<int:learner_id>/reactivate")
@trainer_required
def learner_reactivate(learner_id: int):
    """Reactivate a learner's account so they can sign in again (POST; trainers and admins)."""
    return _set_active(learner_id, True)


@bp.route("/learners/import", methods=["GET", "POST"])
@trainer_required
def learners_import():
    """Upload, check and preview a file of learners; the confirmation writes it (GET, POST; trainers, admins)."""
    if request.method == "POST" and "batch" in request.form:
        return _confirm_import()
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        raw, checked = check_file(upload.read(), unit_condition(current_user))
        if checked.ok:
            return render_template("train/learners/preview.html", rows=checked.rows[:PREVIEW_ROWS],
                                   count=len(checked.rows), chunks=normalised_chunks(raw),
                                   form=ConfirmImportForm(formdata=None, batch=secrets.token_hex(8)),
                                   source=(upload.filename or "")[:200])
        return render_template("train/learners/import.html", form=form, problems=checked.problems)
    return render_template("train/learners/import.html", form=form, problems=[])


def _confirm_import():
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    if svc.batch_done(form.batch.data):
        flash(_("This list has already been imported."), "info")
        return redirect(url_for("train.learners"), 303)
    raw, problems = read_normalised(request.form.getlist("data"))
    checked = check_rows(raw, unit_condition(current_user)) if not problems else None
    if checked is None or not checked.ok:
        return render_template("train/learners/import.html", form=ImportForm(formdata=None),
                               problems=problems or checked.problems)
    imported = svc.import_learners(current_user, checked.rows, request.form.get("source", ""), form.batch.data)
    db.session.commit()
    return _no_store(render_template("train/learners/imported.html", imported=imported))
