"""Learning without a connection: the service worker, the web app manifest, the page a device shows
when it is offline, the quiz a device keeps, and the attempts it sends back (lms.learn.offline).

The service worker (lms/static/sw.js) caches nothing on a first visit. A learner who presses
"Save for offline reading" on a module page has the page's script (lms/static/app.js) put the
module page, its lessons, its offline quiz and the page for being offline into the browser's
cache; the worker serves them from there when the network fails.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.auth.models import Role
from lms.extensions import db
from lms.learn import offline, services
from lms.learn.views import _module_or_404, bp

root_bp = Blueprint("offline", __name__)


@root_bp.get("/sw.js")
def service_worker():
    """The service worker, at the root so that it may serve every page (GET; anyone; a new version
    reaches browsers within the hour)."""
    response = send_from_directory(current_app.static_folder, "sw.js", max_age=3600)
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@root_bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest, in the reader's language, so that the site can be added to a home screen (GET; anyone)."""
    response = make_response(render_template("learn/manifest.webmanifest"))
    response.headers["Content-Type"] = "application/manifest+json"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/offline")
@login_required
def offline_page():
    """What this device has saved, read from its cache by the page's script; shown by the service
    worker in place of a page that is not saved when there is no connection (GET; signed-in users)."""
    return render_template("learn/offline.html")


@bp.get("/modules/<slug>/quiz/offline")
@login_required
def offline_quiz(slug: str):
    """A quiz of the module to keep on this device and take without a connection: questions drawn
    now, nothing stored until the device sends the answers (GET; users who may open the module)."""
    module = _module_or_404(slug)
    progress = services.module_progress(current_user, module)
    quiz = None
    if progress.attempts_left != 0:
        try:
            quiz = offline.give_out(current_user, module)
        except services.QuizError:
            quiz = None
    db.session.rollback()  # nothing to keep: the quiz lives in its token
    response = make_response(render_template("learn/offline_quiz.html", module=module, quiz=quiz,
                                             progress=progress, max_days=offline.max_age().days))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/offline-attempts")
@login_required
def offline_attempt():
    """Store and grade an attempt taken offline (POST; the learner it was given to).

    The page's script sends it with `Accept: application/json` and gets JSON back: 201 when stored
    now, 200 when it was stored before (nothing changes), else 400, 403, 404, 409 or 410 with a
    reason (lms.learn.offline.REASONS). A plain form post (no script) is answered with the result
    page, the dashboard with a message (409, 410), or the error itself."""
    if current_user.role == Role.MONITOR:  # monitors read reports and take no quizzes
        abort(404)
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        attempt, created = offline.receive(current_user, request.form.get("token", ""), request.form,
                                           offline.parse_time(request.form.get("started")),
                                           offline.parse_time(request.form.get("finished")))
    except offline.OfflineError as error:
        db.session.rollback()
        status = offline.REASONS[error.reason]
        if wants_json:
            return jsonify(stored=False, reason=error.reason, message=_reason(error.reason)), status
        if status in (400, 403, 404):  # a forged, foreign or unassigned quiz: no page to go back to
            abort(status)
        flash(_reason(error.reason), "error")
        return redirect(url_for("learn.dashboard"), 303)
    db.session.commit()
    url = url_for("learn.attempt", attempt_id=attempt.id)
    if wants_json:
        return jsonify(stored=True, created=created, url=url, score=attempt.score, passed=attempt.passed,
                       message=_("Your offline attempt has been received and graded."),
                       link=_("See the result")), 201 if created else 200
    return redirect(url, 303)


def _reason(reason: str) -> str:
    """The learner's sentence for an attempt that could not be stored."""
    return {
        "invalid": _("This offline quiz was not given out by this site, or it was changed. It cannot be counted."),
        "not_yours": _("This offline quiz was given to another account. Sign in as that person to send it."),
        "not_assigned": _("This module is no longer assigned to you, so the offline attempt cannot be counted."),
        "no_attempts_left": _("You had no quiz attempts left, so the offline attempt cannot be counted. "
                              "Ask your trainer for help."),
        "stale": _("This offline quiz is too old to be counted. Save the module again and take a new one."),
    }[reason]
