"""Administration: the organisation tree (views on the admin blueprint)."""
from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from lms.admin import unit_import, unit_tree
from lms.admin import units_service as svc
from lms.admin.units_forms import MoveUnitForm, UnitForm, UnitNamesForm
from lms.admin.views import bp
from lms.core.export import csv_response
from lms.core.paging import requested_page
from lms.core.templating import current_lang
from lms.extensions import db
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.orgs.models import Unit, UnitKind
from lms.train.accounts_forms import ActionForm, ConfirmImportForm, ImportForm
from lms.train.accounts_service import batch_done
from lms.train.scope import admin_required
from lms.train.user_import import Problem

PREVIEW_ROWS = 50


def _unit_or_404(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id) if 0 < unit_id < 2**31 else None  # beyond the column's range: no such unit
    if unit is None:
        abort(404)
    return unit


def _unit_page_url(unit: Unit | None) -> str:
    return url_for("admin.units", unit=unit.id) if unit is not None else url_for("admin.units")


@bp.get("/units")
@admin_required
def units():
    """The countries, or one unit: its ancestors and a page of its sub-units with their counts."""
    unit_id = request.args.get("unit", type=int)
    unit = _unit_or_404(unit_id) if unit_id is not None else None
    page = svc.unit_page(unit, requested_page())
    return render_template("admin/units.html", view=page, unit=unit, level_names=svc.LEVEL_NAMES,
                           action_form=ActionForm())


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>/new", methods=["GET", "POST"])
@admin_required
def unit_new(unit_id: int | None = None):
    """A new country, or a new sub-unit of `unit_id` (never under a precinct commission)."""
    parent = _unit_or_404(unit_id) if unit_id is not None else None
    if parent is not None and parent.level >= UnitKind.PRECINCT:
        abort(404)
    if parent is not None and parent.closed:
        flash(svc.closed_parent_message(parent), "error")
        return redirect(_unit_page_url(parent), 303)
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = svc.create_unit(current_user, parent, form.code.data, form.names())
            db.session.commit()
        except svc.UnitError as exc:
            db.session.rollback()
            form[exc.field].errors.append(exc.message)
        except IntegrityError:  # the same code saved by someone else a moment ago
            db.session.rollback()
            form.code.errors.append(_("This code is already used by another unit."))
        else:
            flash(_("%(name)s has been added.", name=unit.name(current_lang())), "success")
            return redirect(_unit_page_url(parent), 303)
    level = UnitKind.COUNTRY if parent is None else parent.level + 1
    return render_template("admin/unit_form.html", form=form, unit=None, parent=parent,
                           level_name=svc.LEVEL_NAMES[level])


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@admin_required
def unit_edit(unit_id: int):
    """Edit the names of a unit in every language and its reminder days (GET, POST; admins)."""
    unit = _unit_or_404(unit_id)
    form = UnitNamesForm(data={**{f"name_{lang}": name for lang, name in (unit.names or {}).items()},
                               "reminder_days": unit.reminder_days})
    if form.validate_on_submit():
        try:
            changed = svc.update_names(current_user, unit, form.names())
            changed = svc.set_reminder_days(current_user, unit, form.reminder_days.data) or changed
            db.session.commit()
        except svc.UnitError as exc:
            db.session.rollback()
            form[exc.field].errors.append(exc.message)
        else:
            flash(_("The names have been saved.") if changed else _("Nothing was changed."), "success")
            return redirect(_unit_page_url(unit), 303)
    return render_template("admin/unit_form.html", form=form, unit=unit, parent=unit.parent,
                           level_name=svc.LEVEL_NAMES[unit.kind])


@bp.post("/units/<int:unit_id>/delete")
@admin_required
def unit_delete(unit_id: int):
    """Delete a unit that nothing refers to, else say what still does (POST; admins)."""
    unit = _unit_or_404(unit_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name, parent = unit.name(current_lang()), unit.parent
    blockers = svc.delete_unit(current_user, unit)
    if blockers:
        db.session.rollback()
        flash(_("%(name)s cannot be deleted: only a unit with nothing attached to it can be. It still has: "
                "%(what)s.", name=name, what=", ".join(blockers)), "error")
        return redirect(_unit_page_url(unit), 303)
    db.session.commit()
    flash(_("%(name)s has been deleted.", name=name), "success")
    return redirect(_unit_page_url(parent), 303)


@bp.route("/units/import", methods=["GET", "POST"])
@admin_required
def units_import():
    """Upload, check and preview a file of units; the confirmation (with `batch`) writes it."""
    if request.method == "POST" and "batch" in request.form:
        return _confirm_import()
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        raw, checked = unit_import.check_file(upload.read())
        if checked.ok:
            return render_template("admin/units_preview.html", rows=checked.rows[:PREVIEW_ROWS], checked=checked,
                                   count=len(checked.rows), chunks=unit_import.confirmation_chunks(raw),
                                   form=ConfirmImportForm(formdata=None, batch=secrets.token_hex(8)),
                                   source=(upload.filename or "")[:200], level_names=svc.LEVEL_NAMES)
        return render_template("admin/units_import.html", form=form, problems=checked.problems)
    return render_template("admin/units_import.html", form=form, problems=[])


def _confirm_import():
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    if batch_done(form.batch.data, "units.import"):
        flash(_("This list has already been imported."), "info")
        return redirect(url_for("admin.units"), 303)
    raw, problems = unit_import.read_confirmation(request.form.getlist("data"))
    checked = unit_import.check_rows(raw) if not problems else None
    if checked is None or not checked.ok:
        return render_template("admin/units_import.html", form=ImportForm(formdata=None),
                               problems=problems or checked.problems)
    try:
        counts = unit_import.write_units(current_user, checked, request.form.get("source", ""), form.batch.data)
        db.session.commit()
    except IntegrityError:  # a code saved by someone else between the check and now
        db.session.rollback()
        problem = Problem(1, _("The units were changed while you checked the file. Upload it again."))
        return render_template("admin/units_import.html", form=ImportForm(formdata=None), problems=[problem])
    flash(" ".join([ngettext("%(num)d unit was created.", "%(num)d units were created.", counts["created"]),
                    ngettext("%(num)d unit was updated.", "%(num)d units were updated.", counts["updated"])]),
          "success")
    return redirect(url_for("admin.units"), 303)


@bp.route("/units/<int:unit_id>/move", methods=["GET", "POST"])
@admin_required
def unit_move(unit_id: int):
    """Move a unit, with its sub-units and officials, under another unit of the level above (GET, POST; admins)."""
    unit = _unit_or_404(unit_id)
    if unit.level == UnitKind.COUNTRY:
        abort(404)
    form = MoveUnitForm()
    lang = current_lang()
    if form.validate_on_submit():
        wanted = form.parent.data
        new_parent = db.session.get(Unit, wanted) if wanted and 0 < wanted < 2**31 else None
        old_name = unit.parent.name(lang) if unit.parent else ""
        try:
            refreshed = unit_tree.move(current_user, unit, new_parent)
            db.session.commit()
        except svc.UnitError as exc:
            db.session.rollback()
            form.parent.errors.append(exc.message)
        else:
            flash(_("%(name)s has been moved from %(old)s to %(new)s, with the units and officials below it.",
                    name=unit.name(lang), old=old_name, new=new_parent.name(lang)), "success")
            if refreshed:
                flash(ngettext("Progress updated for %(num)d learner.", "Progress updated for %(num)d learners.",
                               refreshed), "info")
            return redirect(_unit_page_url(unit), 303)
    return render_template("admin/unit_move.html", form=form, unit=unit, candidates=unit_tree.move_candidates(unit),
                           counts=unit_tree.subtree_counts(unit), level_names=svc.LEVEL_NAMES)


@bp.route("/units/<int:unit_id>/close", methods=["GET", "POST"])
@admin_required
def unit_close(unit_id: int):
    """Ask to confirm, then close a unit and the units below it (GET, POST; admins)."""
    unit = _unit_or_404(unit_id)
    lang = current_lang()
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            closed = unit_tree.close(current_user, unit)
            db.session.commit()
        except svc.UnitError as exc:
            db.session.rollback()
            flash(exc.message, "info")
        else:
            flash(ngettext("%(name)s has been closed, with %(num)d unit below it.",
                           "%(name)s has been closed, with %(num)d units below it.", closed - 1, name=unit.name(lang))
                  if closed > 1 else _("%(name)s has been closed.", name=unit.name(lang)), "success")
        return redirect(_unit_page_url(unit), 303)
    if unit.closed:
        flash(_("%(name)s is already closed.", name=unit.name(lang)), "info")
        return redirect(_unit_page_url(unit), 303)
    return render_template("admin/unit_close.html", form=form, unit=unit, counts=unit_tree.subtree_counts(unit),
                           level_names=svc.LEVEL_NAMES)


@bp.post("/units/<int:unit_id>/reopen")
@admin_required
def unit_reopen(unit_id: int):
    """Open a closed unit again, with the units closed together with it (POST; admins)."""
    unit = _unit_or_404(unit_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    lang = current_lang()
    try:
        opened = unit_tree.reopen(current_user, unit)
        db.session.commit()
    except svc.UnitError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(ngettext("%(name)s is open again, with %(num)d unit below it.",
                       "%(name)s is open again, with %(num)d units below it.", opened - 1, name=unit.name(lang))
              if opened > 1 else _("%(name)s is open again.", name=unit.name(lang)), "success")
    return redirect(_unit_page_url(unit), 303)


@bp.get("/units/export.csv")
@admin_required
def units_export():
    """The whole tree as a CSV file in the import format, parents first (GET; admins)."""
    return csv_response("units", unit_tree.EXPORT_COLUMNS, unit_tree.export_rows())
