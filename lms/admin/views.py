"""Administration: the start page, the audit log (read-only) and the monitors' countries."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.admin import audit_search
from lms.auth.models import Role, User
from lms.core.export import download
from lms.core.paging import PAGE_SIZE, Page, paginate
from lms.extensions import db
from lms.orgs.models import Unit
from lms.reports.models import ReportScope
from lms.train import audit as audit_log
from lms.train import audit_text
from lms.train.scope import admin_required

bp = Blueprint("admin", __name__)


@bp.get("/")
@admin_required
def index():
    """The administrator's pages: audit log, staff accounts, monitors, organisation units, courses (GET; admins)."""
    return render_template("admin/index.html")


@bp.get("/audit")
@admin_required
def audit():
    """Every recorded change as a sentence, newest first, searched by person, action, record and dates, 50 a page."""
    form = audit_search.filter_form(request.args)
    query = audit_search.search(form) if form.validate() else None
    if query is None:
        page = Page([], 1, PAGE_SIZE, 0)
    else:
        page = paginate(query)
        page.items = audit_text.describe(page.items)
    return render_template("admin/audit.html", page=page, form=form, filters=form.args(),
                           searched=query is not None)


@bp.get("/audit/export.<fmt>")
@admin_required
def audit_export(fmt: str):
    """The events the filters find, all pages, as a CSV or Excel download in the reader's language (GET; admins)."""
    if fmt not in ("csv", "xlsx"):  # before any work
        abort(404)
    form = audit_search.filter_form(request.args)
    query = audit_search.search(form) if form.validate() else None
    if query is None:  # a hand-edited link: the page says what is wrong
        return render_template("admin/audit.html", page=Page([], 1, PAGE_SIZE, 0), form=form,
                               filters=form.args(), searched=False)
    return download(fmt, "audit-log", audit_search.export_header(), audit_search.export_rows(query),
                    _("Audit log"))


@bp.get("/monitors")
@admin_required
def monitors():
    """Monitors, the countries whose reports each may read, and whether they may see names."""
    people = db.session.scalars(sa.select(User).where(User.role == Role.MONITOR).order_by(User.username)).all()
    scopes: dict[int, list[Unit]] = {}
    for user_id, unit in db.session.execute(
        sa.select(ReportScope.user_id, Unit).join(Unit, Unit.id == ReportScope.unit_id).order_by(Unit.code)
    ):
        scopes.setdefault(user_id, []).append(unit)
    return render_template("admin/monitors.html", people=people, scopes=scopes)


@bp.route("/monitors/<int:user_id>", methods=["GET", "POST"])
@admin_required
def monitor(user_id: int):
    """Choose the countries whose reports a monitor may read and whether they see names (GET, POST; admins)."""
    person = db.session.get(User, user_id)
    if person is None or person.role != Role.MONITOR:
        abort(404)
    countries = db.session.scalars(sa.select(Unit).where(Unit.level == 0).order_by(Unit.code)).all()
    current = set(db.session.scalars(sa.select(ReportScope.unit_id).where(ReportScope.user_id == person.id)))
    if request.method == "POST":
        if not validate_csrf_form():
            abort(400)
        chosen = {int(v) for v in request.form.getlist("countries") if v.isdigit()}
        if not chosen <= {c.id for c in countries}:
            abort(400)
        names = request.form.get("names") == "1"
        db.session.execute(sa.delete(ReportScope).where(ReportScope.user_id == person.id))
        for unit_id in sorted(chosen):
            db.session.add(ReportScope(user_id=person.id, unit_id=unit_id))
        audit_log.record(current_user, "monitor.update", "user", person.id, None, username=person.username,
                     countries=[sorted(current), sorted(chosen)], names=[person.can_see_names, names])
        person.can_see_names = names
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("admin.monitors"), code=303)
    return render_template("admin/monitor.html", person=person, countries=countries, current=current)


def validate_csrf_form() -> bool:
    """True if the posted form carries a valid CSRF token."""
    from flask_wtf.csrf import ValidationError, validate_csrf
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True
