"""Certificates of completion: a printable page for the official, and a public page where anyone
holding the code (a commission chair, an employer) can check it.

The code is the completion's id and a signature of that completion (who, which module, when),
made with SECRET_KEY; nothing is stored. A new completion in a later training cycle gets a new code,
and the old one stops checking out. Rotating SECRET_KEY invalidates every code.
"""
from __future__ import annotations

import hashlib
import hmac

import sqlalchemy as sa
from flask import abort, current_app, render_template, url_for
from flask_login import current_user, login_required
from itsdangerous import Signer
from markupsafe import Markup

from lms.auth.models import User
from lms.content.models import Module
from lms.extensions import db
from lms.learn import rules, services
from lms.learn.models import ModuleCompletion
from lms.learn.views import bp

_MAX_ID = 2**31 - 1


def certificate_code(completion: ModuleCompletion) -> str:
    """The certificate's verification code: the completion id and a signature of its details."""
    signer = Signer(current_app.secret_key, salt="lms.certificate", digest_method=hashlib.sha256)
    value = f"{completion.id}:{completion.user_id}:{completion.module_id}:{completion.completed_at.isoformat()}"
    return f"{completion.id}-{signer.get_signature(value).decode()[:20]}"


def _completion(code: str) -> ModuleCompletion | None:
    head, _, _signature = code.partition("-")
    if not head.isdigit() or not 0 < int(head) <= _MAX_ID:
        return None
    completion = db.session.get(ModuleCompletion, int(head))
    if completion is None or not hmac.compare_digest(certificate_code(completion), code):
        return None
    return completion


@bp.get("/modules/<slug>/certificate")
@login_required
def certificate(slug: str):
    """The signed-in official's certificate for a module they have completed in this cycle."""
    module = db.session.scalar(sa.select(Module).where(Module.slug == slug))
    allowed, since = services.access(current_user, module) if module is not None else (False, None)
    completion = db.session.scalar(sa.select(ModuleCompletion).where(
        ModuleCompletion.user_id == current_user.id, ModuleCompletion.module_id == module.id)) if allowed else None
    if completion is None or not rules.counts(completion.completed_at, since):  # none in this cycle
        abort(404)
    code = certificate_code(completion)
    return render_template("learn/certificate.html", person=current_user, module=module, completion=completion,
                           code=code, check_url=url_for("learn.check_certificate", code=code, _external=True),
                           strong=lambda text: Markup("<strong>%s</strong>") % text)


@bp.get("/certificates/<code>")
def check_certificate(code: str):
    """Public: whether a certificate code is genuine, and whose it is."""
    completion = _completion(code)
    if completion is None:
        abort(404)
    person = db.session.get(User, completion.user_id)
    module = db.session.get(Module, completion.module_id)
    return render_template("learn/certificate_check.html", person=person, module=module, completion=completion,
                           code=code)
