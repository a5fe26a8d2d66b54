"""Administration: staff accounts (trainers, monitors, admins) — views on the admin blueprint."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from lms.admin import staff_service
from lms.admin.staff_forms import EditStaffForm, NewStaffForm, staff_unit_choices
from lms.admin.views import bp
from lms.auth.models import Role, User, name_or_username_contains
from lms.core.paging import paginate
from lms.core.templating import current_lang
from lms.extensions import db
from lms.orgs.models import Unit
from lms.train import accounts_service as svc
from lms.train.accounts import active_button, password_page, show_password_next, unlock_button
from lms.train.accounts_forms import ActionForm
from lms.train.scope import admin_required

SELECT_LEVELS = 2  # countries, oblasts and districts: precincts are too many for a select
ROLE_LABELS = {Role.TRAINER: _l("Trainer"), Role.MONITOR: _l("Monitor"), Role.ADMIN: _l("Administrator")}


def _staff_or_404(user_id: int) -> User:
    """A trainer, monitor or admin account; a learner's id or an unknown id is not found."""
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None  # beyond the column's range: none
    if user is None or user.role not in svc.STAFF_ROLES:
        abort(404)
    return user


def _set_unit_choices(form, current: Unit | None = None) -> None:
    units = list(db.session.scalars(sa.select(Unit).where(Unit.level <= SELECT_LEVELS, Unit.closed_at.is_(None))
                                    .order_by(Unit.code)))  # a closed unit takes no new staff
    if current is not None and all(u.id != current.id for u in units):
        units.insert(0, current)  # a precinct given by `flask users create` stays selectable
    form.unit.choices = staff_unit_choices(units, current_lang(), _("No unit"))


def _field(form, name: str):
    """The form field an AccountError names (the full name when the form has no such field)."""
    return form[name] if name in form else form.full_name  # noqa: SIM401  (a form has no get())


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, str(ROLE_LABELS[role])) for role in svc.STAFF_ROLES]


@bp.get("/staff")
@admin_required
def staff():
    """Trainers, monitors and admins, filtered by role and by name or username, 50 a page."""
    role = request.args.get("role", "")
    role = role if role in {r.value for r in svc.STAFF_ROLES} else ""
    q = request.args.get("q", "").strip()[:100]
    query = sa.select(User).where(User.role.in_(svc.STAFF_ROLES))
    if role:
        query = query.where(User.role == Role(role))
    if q:
        query = query.where(name_or_username_contains(q))
    page = paginate(query.order_by(User.full_name, User.id), count_by=User.id)
    filters = {k: v for k, v in {"q": q, "role": role}.items() if v}
    return render_template("admin/staff.html", page=page, q=q, role=role,
                           filters=filters, roles=_role_choices(), role_labels=ROLE_LABELS)


@bp.route("/staff/new", methods=["GET", "POST"])
@admin_required
def staff_new():
    """Create a trainer, monitor or admin account, then show its one-time password (GET, POST; admins)."""
    form = NewStaffForm()
    form.role.choices = _role_choices()
    _set_unit_choices(form)
    if request.method == "GET":
        form.language.data = current_app.config["LMS_DEFAULT_LOCALE"]
    if form.validate_on_submit():
        role = form.role.data if form.role.data in {r.value for r in svc.STAFF_ROLES} else None
        try:
            issued = svc.create_staff(current_user, Role(role) if role else None, form.full_name.data,
                                      form.username.data, form.unit.data or None, form.language.data)
            svc.set_contact(current_user, issued.user, form.email.data, form.phone.data)
            db.session.commit()
        except svc.AccountError as exc:
            db.session.rollback()
            _field(form, exc.field).errors.append(exc.message)
        except IntegrityError:  # the same username saved by someone else a moment ago
            db.session.rollback()
            form.username.errors.append(_("This username is already taken."))
        else:
            return show_password_next(issued, url_for("admin.staff_password", user_id=issued.user.id))
    return render_template("admin/staff_form.html", form=form, person=None)


@bp.route("/staff/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def staff_edit(user_id: int):
    """Edit a staff account's name, role, unit, language and whether it is active (GET, POST; admins)."""
    person = _staff_or_404(user_id)
    form = EditStaffForm(data={"full_name": person.full_name, "unit": person.unit_id or 0, "active": person.active,
                               "role": person.role.value, "email": person.email, "phone": person.phone,
                               "language": person.locale or current_app.config["LMS_DEFAULT_LOCALE"]})
    form.role.choices = _role_choices()
    _set_unit_choices(form, person.unit)
    if form.validate_on_submit():
        old_role = person.role
        try:
            changed = staff_service.update_staff(current_user, person, form.full_name.data, form.unit.data or None,
                                                 form.language.data, form.active.data, form.role.data)
            changed = svc.set_contact(current_user, person, form.email.data, form.phone.data) or changed
            db.session.commit()
        except svc.AccountError as exc:
            db.session.rollback()
            _field(form, exc.field).errors.append(exc.message)
        else:
            return _after_edit(person, old_role, changed)
    return render_template("admin/staff_form.html", form=form, person=person,
                           role_label=ROLE_LABELS[person.role])


def _after_edit(person: User, old_role: Role, changed: bool):
    """Where a saved edit goes: the new monitor's countries, the home page of an admin who gave up the role,
    else the staff list."""
    if not changed:
        flash(_("Nothing was changed."), "success")
        return redirect(url_for("admin.staff"), 303)
    if person.role == old_role:
        flash(_("The account has been saved."), "success")
        return redirect(url_for("admin.staff"), 303)
    flash(_("The role of %(name)s is now: %(role)s.", name=person.full_name, role=str(ROLE_LABELS[person.role])),
          "success")
    if person.id == current_user.id:  # the admin pages are closed to them from now on
        return redirect(url_for("core.index"), 303)
    if person.role == Role.MONITOR:
        flash(_("A monitor reads the reports of every country until you choose some here."), "info")
        return redirect(url_for("admin.monitor", user_id=person.id), 303)
    return redirect(url_for("admin.staff"), 303)


@bp.post("/staff/<int:user_id>/reset-password")
@admin_required
def staff_reset(user_id: int):
    """Give a staff account a new one-time password and show it next (POST; admins)."""
    person = _staff_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    issued = svc.reset_password(current_user, person)
    db.session.commit()
    return show_password_next(issued, url_for("admin.staff_password", user_id=person.id))


@bp.get("/staff/<int:user_id>/temporary-password")
@admin_required
def staff_password(user_id: int):
    """The staff account's one-time password, shown once after it is made (GET; admins)."""
    person = _staff_or_404(user_id)
    staff = (url_for("admin.staff"), _("Staff accounts"))
    return password_page(person, back=staff, reset_url=url_for("admin.staff_reset", user_id=person.id), record=staff,
                         role_label=ROLE_LABELS[person.role])


def _set_active(user_id: int, active: bool):
    person = _staff_or_404(user_id)
    refusal = None if active else staff_service.deactivation_refused(current_user, person)
    return active_button(person, active, url_for("admin.staff"), refusal)


@bp.post("/staff/<int:user_id>/unlock")
@admin_required
def staff_unlock(user_id: int):
    """Lift a staff account's lock-out after failed sign-ins (POST; admins)."""
    return unlock_button(_staff_or_404(user_id), url_for("admin.staff"))


@bp.post("/staff/<int:user_id>/deactivate")
@admin_required
def staff_deactivate(user_id: int):
    """Deactivate a staff account, never the admin's own nor the last active admin (POST; admins)."""
    return _set_active(user_id, False)


@bp.post("/staff/<int:user_id>/reactivate")
@admin_required
def staff_reactivate(user_id: int):
    """Reactivate a staff account so it can sign in again (POST; admins)."""
    return _set_active(user_id, True)
