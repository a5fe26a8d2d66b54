"""Learner pages: dashboard, module, lesson, quiz, check your answers, result."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms import events
from lms.auth.models import Role
from lms.content.briefing import module_languages
from lms.content.languages import language_notice
from lms.content.models import Lesson, Module
from lms.core.templating import current_lang
from lms.extensions import db
from lms.learn import certificate_records, rules, services
from lms.learn.models import QuizAttempt

bp = Blueprint("learn", __name__)


def learn_url(endpoint: str, **values) -> str:
    """`url_for` for the links and forms of the learner's pages (a template global). An admin's preview
    of a module (lms.admin.course_preview) renders the same templates with `g.learn_urls` set, which
    points them at the preview's own pages, so that nothing is recorded."""
    rewrite = g.get("learn_urls")
    return rewrite(endpoint, **values) if rewrite is not None else url_for(endpoint, **values)


def _module_or_404(slug: str) -> Module:
    module = db.session.scalar(sa.select(Module).where(Module.slug == slug))
    if module is None or not services.can_open(current_user, module):
        abort(404)
    return module


def _own_attempt_or_404(attempt_id: int) -> QuizAttempt:
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


@bp.get("/")
@login_required
def dashboard():
    """The learner's dashboard of their modules and progress (GET; signed-in users)."""
    return render_template("learn/dashboard.html", items=services.dashboard(current_user, current_lang()))


@bp.get("/modules/<slug>")
@login_required
def module(slug: str):
    """A module page: its lessons read, progress and quiz attempts (GET; users who may open it)."""
    module = _module_or_404(slug)
    progress = services.module_progress(current_user, module)
    launched = events.module_launched.send(user_id=current_user.id, module_id=module.id, since=progress.since)
    if any(wrote for _, wrote in launched):
        db.session.commit()  # the statement of the first visit in this cycle (lms.xapi)
    read = services.lessons_read(current_user, module, progress.since)
    attempts = db.session.scalars(sa.select(QuizAttempt).where(
        QuizAttempt.user_id == current_user.id, QuizAttempt.module_id == module.id)
        .order_by(QuizAttempt.number)).all()
    certificate = certificate_records.current(current_user, module, issue_now=False) if progress.completed_at else None
    offline_urls = [url_for("learn.module", slug=slug),
                    *(url_for("learn.lesson", slug=slug, lesson_slug=lesson.slug) for lesson in module.lessons),
                    url_for("learn.offline_quiz", slug=slug), url_for("learn.offline_page")]
    return render_template("learn/module.html", module=module, progress=progress, read=read, attempts=attempts,
                           offline_urls=offline_urls,
                           certificate_revoked=certificate is not None and certificate.revoked,
                           open_attempt=next((a for a in attempts if a.is_open), None),
                           preview=current_user.role != Role.LEARNER, book_languages=module_languages(module),
                           language=language_notice([lesson.title for lesson in module.lessons], current_lang()))


@bp.get("/modules/<slug>/lessons/<lesson_slug>")
@login_required
def lesson(slug: str, lesson_slug: str):
    """A lesson page, which marks the lesson read (GET; users who may open the module)."""
    page = services.lesson_page(current_user, slug, lesson_slug, current_lang())
    if page is None or not page.allowed:
        abort(404)
    lessons = page.lessons
    index = next((i for i, row in enumerate(lessons) if row.slug == lesson_slug), None)
    if index is None:
        abort(404)
    current = lessons[index]
    # opening a lesson marks it read; saving it for offline reading (lms.learn.offline_views) does not
    if not rules.counts(current.completed_at, page.since) and request.headers.get("X-Offline-Save") != "1":
        services.mark_lesson_read(current_user, db.session.get(Lesson, current.id), page.since)
        db.session.commit()
    shown, body = services.lesson_text({code: getattr(current, f"body_{code}") for code in page.langs},
                                       current_lang())
    return render_template("learn/lesson.html", module=page.module, lesson=current, index=index, total=len(lessons),
                           shown=shown, body=body,
                           previous=lessons[index - 1] if index else None,
                           next=lessons[index + 1] if index + 1 < len(lessons) else None)


@bp.post("/modules/<slug>/quiz")
@login_required
def start_quiz(slug: str):
    """Start a quiz attempt, or go back to the open one (POST; users who may open the module)."""
    module = _module_or_404(slug)
    try:
        attempt = services.start_attempt(current_user, module)
    except services.QuizError:
        db.session.rollback()
        flash(_("You have no quiz attempts left for this module. Ask your trainer for help."), "error")
        return redirect(url_for("learn.module", slug=slug))
    db.session.commit()
    return redirect(url_for("learn.attempt", attempt_id=attempt.id), code=303)


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    """One's own attempt: the quiz while open, else its result (GET; signed-in users)."""
    attempt = _own_attempt_or_404(attempt_id)
    if attempt.is_open:
        return render_template("learn/quiz.html", attempt=attempt, module=attempt.module)
    return render_template("learn/result.html", result=services.attempt_result(attempt, current_user),
                           module=attempt.module)


@bp.post("/attempts/<int:attempt_id>/answers")
@login_required
def save_answers(attempt_id: int):
    """Save the answers to one's own open attempt and go to its review (POST; signed-in users).

    The quiz page's script also posts here as the learner goes (header `X-Autosave: 1`); it
    gets JSON back instead of a redirect: 200 when saved, 409 when the attempt is closed."""
    attempt = _own_attempt_or_404(attempt_id)
    autosave = request.headers.get("X-Autosave") == "1"
    if not attempt.is_open:
        if autosave:
            return jsonify(saved=False, reason="submitted"), 409
        flash(_("This attempt has already been submitted; here is its result."), "info")
        return redirect(url_for("learn.attempt", attempt_id=attempt.id), code=303)
    if not services.save_answers(attempt, request.form):
        db.session.rollback()
        if autosave:
            return jsonify(saved=False, reason="submitted"), 409
        flash(_("This attempt has already been submitted; here is its result."), "info")
        return redirect(url_for("learn.attempt", attempt_id=attempt.id), code=303)
    db.session.commit()
    if autosave:
        return jsonify(saved=True)
    return redirect(url_for("learn.review", attempt_id=attempt.id), code=303)


@bp.get("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int):
    """Review one's own open attempt's answers before submitting (GET; signed-in users)."""
    attempt = _own_attempt_or_404(attempt_id)
    if not attempt.is_open:
        return redirect(url_for("learn.attempt", attempt_id=attempt.id))
    problems = {item.id: services.answer_problem(item.version.kind, item) for item in attempt.items}
    return render_template("learn/review.html", attempt=attempt, module=attempt.module, problems=problems)


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    """Grade and close one's own open attempt, then show its result (POST; signed-in users)."""
    attempt = _own_attempt_or_404(attempt_id)
    if attempt.is_open and services.submit_attempt(attempt, current_user):
        db.session.commit()
    return redirect(url_for("learn.attempt", attempt_id=attempt.id), code=303)

