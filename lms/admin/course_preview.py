"""Administration: a module previewed in any language as a learner sees it, recording nothing.

The preview renders the learner's own templates (module page, lessons, quiz and result) in the
chosen language, with `g.learn_urls` pointing their links and forms at the pages below. Nothing is
written: no lesson is marked read, no attempt is stored and no progress changes. The quiz shows a
drawn set of questions with the learner's inputs; the drawn questions travel in a signed token,
and submitting the answers shows what the grading would give. (The learner's "check your answers"
step is left out: the answers go straight to the result.)
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, g, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from lms.admin import courses_service as svc
from lms.admin.views import bp, validate_csrf_form
from lms.config import LANGUAGES
from lms.content import kinds
from lms.content.briefing import module_languages
from lms.content.languages import language_notice
from lms.content.models import Lesson, Module, Question, QuestionVersion
from lms.core.templating import current_lang, shown_in
from lms.extensions import db
from lms.learn import services
from lms.train.scope import admin_required

_SALT = "lms.course-preview"


@dataclass
class PreviewItem:
    """One drawn question, as the quiz and result templates read an attempt's item (never stored)."""

    position: int
    version: QuestionVersion
    layout: list[str]
    answer: Any = None
    id: int = 0


@dataclass
class PreviewAttempt:
    """What the quiz and result templates read of an attempt (never stored)."""

    pass_mark: int
    items: list[PreviewItem] = field(default_factory=list)
    number: int = 1
    id: int = 0
    score: float | None = None
    passed: bool | None = None
    submitted_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """True until graded."""
        return self.score is None


def _lang() -> str:
    lang = request.args.get("lang", "")
    return lang if lang in LANGUAGES else current_lang()


def _module_or_404(slug: str) -> Module:
    module = svc.module_or_none(slug)
    if module is None:
        abort(404)
    return module


def _urls(module: Module, lang: str):
    """The learner's links rewritten to the preview's pages; other links (the briefing book) stay."""
    def rewrite(endpoint: str, **values: Any) -> str:
        """The preview's address for a learner's page, in the previewed language."""
        if endpoint == "learn.lesson":
            return url_for("admin.course_preview_lesson", slug=module.slug, lesson_slug=values["lesson_slug"],
                           lang=lang)
        if endpoint in ("learn.start_quiz", "learn.save_answers", "learn.attempt", "learn.submit"):
            return url_for("admin.course_preview_quiz", slug=module.slug, lang=lang)
        if endpoint in ("learn.module", "learn.dashboard", "learn.certificate", "learn.certificate_download"):
            return url_for("admin.course_preview", slug=module.slug, lang=lang)
        return url_for(endpoint, **values)
    return rewrite


def _render(module: Module, lang: str, template: str, **context: Any) -> str:
    """A learner's template rendered in `lang`, under the preview's banner in the admin's own language."""
    banner = Markup(render_template("admin/_preview_banner.html", module=module, shown=lang,
                                    languages=LANGUAGES, endpoint=request.endpoint, view_args=request.view_args))
    g.learn_urls = _urls(module, lang)
    with shown_in(lang):
        return render_template(template, module=module, course_preview=banner, **context)


@bp.get("/courses/<slug>/preview")
@admin_required
def course_preview(slug: str):
    """A module's page as a learner who has just been assigned it sees it, in `lang` (GET; admins)."""
    module = _module_or_404(slug)
    lang = _lang()
    progress = services.ModuleProgress(module, None)
    return _render(module, lang, "learn/module.html", progress=progress, read=set(), attempts=[],
                   offline_urls=[], certificate_revoked=False, open_attempt=None, preview=True,
                   book_languages=module_languages(module),
                   language=language_notice([lesson.title for lesson in module.lessons], lang))


@bp.get("/courses/<slug>/preview/lessons/<lesson_slug>")
@admin_required
def course_preview_lesson(slug: str, lesson_slug: str):
    """One lesson as a learner reads it in `lang`, not marked read (GET; admins)."""
    module = _module_or_404(slug)
    lang = _lang()
    lessons = db.session.scalars(sa.select(Lesson).where(Lesson.module_id == module.id, Lesson.active)
                                 .order_by(Lesson.position).options(selectinload(Lesson.bodies))).all()
    index = next((i for i, lesson in enumerate(lessons) if lesson.slug == lesson_slug), None)
    if index is None:
        abort(404)
    current = lessons[index]
    shown, body = services.lesson_text(current.body_html or {}, lang)
    return _render(module, lang, "learn/lesson.html", lesson=current, index=index, total=len(lessons),
                   shown=shown, body=body, previous=lessons[index - 1] if index else None,
                   next=lessons[index + 1] if index + 1 < len(lessons) else None)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def _drawn(module: Module, token: str) -> list[PreviewItem] | None:
    """The questions a preview token names, if it is one of ours for this module; else None."""
    try:
        data = _serializer().loads(token)
        pairs = [(int(v), [str(part) for part in layout]) for v, layout in data["q"]]
        if int(data["m"]) != module.id or not pairs:
            return None
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    versions = {v.id: v for v in db.session.scalars(
        sa.select(QuestionVersion).join(Question, Question.id == QuestionVersion.question_id)
        .where(QuestionVersion.id.in_({v for v, _ in pairs}), Question.module_id == module.id))}
    if any(v not in versions for v, _ in pairs):
        return None
    return [PreviewItem(i, versions[v], layout) for i, (v, layout) in enumerate(pairs)]


@bp.route("/courses/<slug>/preview/quiz", methods=["GET", "POST"])
@admin_required
def course_preview_quiz(slug: str):
    """GET: a set of questions drawn as for a new attempt, in `lang`. POST with the page's token: the
    result the grading would give those answers. Nothing is stored either way (GET, POST; admins)."""
    module = _module_or_404(slug)
    lang = _lang()
    if request.method == "POST":
        if not validate_csrf_form():
            abort(400)
        if "preview_token" not in request.form:  # the module page's start button: a new draw
            return redirect(url_for("admin.course_preview_quiz", slug=module.slug, lang=lang), 303)
        items = _drawn(module, request.form["preview_token"])
        if items is None:
            abort(400)
        return _result(module, lang, items)
    try:
        drawn = services.draw_questions(module, random.SystemRandom())
    except services.QuizError:  # an empty question bank
        abort(404)
    attempt = PreviewAttempt(module.pass_mark, [PreviewItem(i, v, layout) for i, (v, layout) in enumerate(drawn)])
    token = _serializer().dumps({"m": module.id, "q": [[item.version.id, item.layout] for item in attempt.items]})
    return _render(module, lang, "learn/quiz.html", attempt=attempt, preview_token=token)


def _result(module: Module, lang: str, items: list[PreviewItem]) -> str:
    """The result page for these answers, graded as a learner's attempt is (lms.learn.services)."""
    for item in items:
        item.answer = services.parse_answer(item.version.kind, item, request.form)
    credits = [kinds.get(item.version.kind).grade(item.version.data, item.answer, item.layout).credit
               for item in items]
    score = services.score_of(credits)
    attempt = PreviewAttempt(module.pass_mark, items, score=score, passed=score >= module.pass_mark)
    result = services.AttemptResult(attempt, services.ModuleProgress(module, None),
                                    services.review_items(module, items), None)
    return _render(module, lang, "learn/result.html", result=result)
