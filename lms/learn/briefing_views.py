"""The briefing book download: a module as a PDF to read and print without a connection."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.auth.models import Role
from lms.content.briefing import briefing_book, module_languages
from lms.content.models import Module
from lms.core.templating import current_lang
from lms.extensions import db
from lms.learn import services
from lms.learn.views import bp
from lms.timeutil import today

#: Staff print the book of any active module for their sessions and meetings.
PRINTERS = (Role.TRAINER, Role.ADMIN, Role.MONITOR)


def may_download(user, module: Module) -> bool:
    """True if `user` may download `module`'s book: staff for any active module, a learner as the module page."""
    if user.role in PRINTERS:
        return module.active
    return services.can_open(user, module)


@bp.get("/modules/<slug>/briefing-book.pdf")
@login_required
def briefing_book_pdf(slug: str):
    """The module's briefing book as a PDF, in the reader's language or ?lang= (GET; as the module page,
    and monitors)."""
    module = db.session.scalar(sa.select(Module).where(Module.slug == slug))
    if module is None or not may_download(current_user, module):
        abort(404)
    requested = request.args.get("lang", "").strip()
    lang = requested or current_lang()
    if requested and requested not in module_languages(module):
        message = _("This module has no briefing book in that language. Choose one of the languages offered "
                    "on its page.")
        return render_template("error.html", code=404, message=message), 404
    pdf, etag = briefing_book(module, lang, today())
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{module.slug}-{lang}.pdf"'
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    response.set_etag(etag)
    return response.make_conditional(request)
