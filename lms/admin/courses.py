"""Administration: the courses page, publishing, the import of the course files and the SCORM 1.2
download of a module (views on the admin blueprint). The preview of a module is in lms.admin.course_preview."""
from __future__ import annotations

import io
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, OperationalError

from lms.admin import courses_service as svc
from lms.admin.views import bp
from lms.content import scorm
from lms.core.templating import current_lang
from lms.extensions import db
from lms.i18n import gettext as _
from lms.train.accounts_forms import ActionForm
from lms.train.scope import admin_required


def _courses_path() -> Path:
    return Path(current_app.config["LMS_COURSES_PATH"])


def _page(problems=()):
    return render_template("admin/courses.html", rows=svc.course_rows(), problems=list(problems),
                           courses_path=str(_courses_path()), form=ActionForm())


@bp.get("/courses")
@admin_required
def courses():
    """Every module: version, languages, use, published or not; import and preview (GET; admins)."""
    return _page()


def _module_or_404(slug: str):
    module = svc.module_or_none(slug)
    if module is None:
        abort(404)
    return module


def _set_published(slug: str, published: bool):
    module = _module_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    changed = svc.set_published(current_user, module, published)
    db.session.commit()
    title = module.t("title", current_lang())
    if not changed:
        flash(_("Nothing was changed."), "info")
    elif published:
        flash(_("“%(module)s” is published: trainers can assign it.", module=title), "success")
    else:
        flash(_("“%(module)s” is unpublished: trainers can no longer assign it. The learners who have it "
                "can still finish it.", module=title), "success")
    return redirect(url_for("admin.courses"), 303)


@bp.post("/courses/<slug>/publish")
@admin_required
def course_publish(slug: str):
    """Offer a module for new assignments again (POST; admins)."""
    return _set_published(slug, True)


@bp.post("/courses/<slug>/unpublish")
@admin_required
def course_unpublish(slug: str):
    """Stop offering a module for new assignments; the assignments made stay (POST; admins)."""
    return _set_published(slug, False)


@bp.get("/courses/<slug>/scorm.zip")
@admin_required
def course_scorm(slug: str):
    """The module as a SCORM 1.2 package in `?lang=` (by default the admin's language), as `flask courses
    export-scorm` writes it; 404 for a module not in the course files or a language it has no lesson in
    (GET; admins)."""
    module = scorm.exportable_module(slug)
    lang = request.args.get("lang") or current_lang()
    if module is None or lang not in scorm.export_languages(module):
        abort(404)
    try:
        data = scorm.build_package(module, lang)
    except scorm.ExportError:  # a question kind the package cannot grade
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                         download_name=scorm.package_filename(module, lang), max_age=0)
    response.cache_control.private = True
    return response


@bp.post("/courses/import")
@admin_required
def courses_import():
    """Check the course files and import them, all or nothing, as `flask courses import` does; on
    problems, show each as file:line: message and write nothing (POST; admins)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        outcome = svc.import_courses(current_user, _courses_path())
        if outcome.problems:
            db.session.rollback()
            return _page(outcome.problems)
        db.session.commit()
    except (IntegrityError, OperationalError):  # another import at the same moment
        db.session.rollback()
        flash(_("The import failed and nothing was changed. Another import may have been running: try again."),
              "error")
        return redirect(url_for("admin.courses"), 303)
    report = outcome.report
    flash(_("The course files have been imported. Modules created: %(created)d, updated: %(updated)d, "
            "unchanged: %(unchanged)d. New question versions: %(versions)d.", created=len(report.created),
            updated=len(report.updated), unchanged=len(report.unchanged), versions=report.new_question_versions),
          "success")
    return redirect(url_for("admin.courses"), 303)
