"""Certificates of completion: the learner's page and PDF, and the public check of a code.

A certificate is a stored record (lms.learn.certificate_records), issued once per completion when
it is recorded; the learner's page issues it too for a completion older than the records. The
check page /verify/<code> is open to anyone holding the code (a commission chair, an employer) and
shows only the name, the module and the date, or that the certificate was revoked; the old check
address /learn/certificates/<code> answers the same for codes printed before.

The PDF's QR code carries a signed statement too (lms.learn.statements), and the learner can
download the certificate as an Open Badges 3.0 credential (lms.learn.credentials), both signed
with the key of lms.learn.signing.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from lms.content.models import Module
from lms.core.templating import current_lang
from lms.extensions import db, limiter
from lms.learn import certificate_pdf, credentials, signing, statements
from lms.learn import certificate_records as records
from lms.learn.models import Certificate
from lms.learn.views import bp
from lms.timeutil import utcnow

verify_bp = Blueprint("verify", __name__)


def _limit() -> str:
    return current_app.config["LMS_VERIFY_LIMIT"]


def _own(slug: str) -> tuple[Module, Certificate]:
    module = db.session.scalar(sa.select(Module).where(Module.slug == slug))
    cert = records.current(current_user, module) if module is not None else None
    if cert is None:
        abort(404)
    db.session.commit()  # a certificate issued just now is kept
    return module, cert


def check_url(cert: Certificate) -> str:
    """The absolute address of the certificate's public check page (the host as the proxy reports it)."""
    return url_for("verify.check", code=records.grouped(cert.code), _external=True)


@bp.get("/modules/<slug>/certificate")
@login_required
def certificate(slug: str):
    """The signed-in official's certificate for a module they have completed in this cycle (GET)."""
    module, cert = _own(slug)
    return render_template("learn/certificate.html", module=module, cert=cert, code=records.grouped(cert.code),
                           check_url=check_url(cert), strong=lambda text: Markup("<strong>%s</strong>") % text)


@bp.get("/modules/<slug>/certificate.pdf")
@login_required
def certificate_download(slug: str):
    """The certificate as a PDF in the reader's language, with a QR code of its check page (GET)."""
    module, cert = _own(slug)
    if cert.revoked:
        abort(404)
    statement = statements.sign(cert, signing.keyring())
    response = make_response(certificate_pdf.render(cert, check_url(cert), current_lang(), statement))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{records.grouped(cert.code)}.pdf"'
    response.headers["Cache-Control"] = "private, max-age=600"
    return response


@bp.get("/modules/<slug>/certificate.json")
@login_required
def certificate_credential(slug: str):
    """The certificate as an Open Badges 3.0 credential (a W3C Verifiable Credential, JSON), signed now (GET)."""
    module, cert = _own(slug)
    if cert.revoked:
        abort(404)
    document = credentials.signed(
        cert, signing.keyring(), created=utcnow(), verify_url=check_url(cert),
        achievement_url=url_for("learn.module", slug=module.slug, _external=True),
        issuer_name=current_app.config["LMS_ISSUER_NAME"], issuer_url=url_for("core.index", _external=True))
    response = jsonify(document)
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{records.grouped(cert.code)}.json"'
    response.headers["Cache-Control"] = "private, max-age=600"
    return response


def _verify(code: str):
    cert = records.find(code)
    if cert is None:
        return render_template("learn/verify.html", cert=None, typed=code[:40]), 404
    db.session.commit()  # an old signed code, found by its signature, is kept with the certificate
    return render_template("learn/verify.html", cert=cert, code=records.grouped(cert.code))


@bp.get("/certificates/<code>")
@limiter.limit(_limit)
def check_certificate(code: str):
    """Public: the check of a certificate code at the address printed before /verify (GET; anyone, rate-limited)."""
    return _verify(code)


@verify_bp.get("/verify")
@limiter.limit(_limit)
def lookup():
    """Public: a form to type a certificate's code; a typed code goes to its check page (GET; anyone)."""
    typed = request.args.get("code", "").strip()[:100]
    if typed:
        code = records.normalise(typed)
        if code is None:  # an old signed code, or no code at all: answered here, whatever it holds
            return _verify(typed)
        return redirect(url_for("verify.check", code=records.grouped(code)), 303)
    return render_template("learn/verify.html", cert=None, typed=None, asked=False)


@verify_bp.get("/verify/<code>")
@limiter.limit(_limit)
def check(code: str):
    """Public: whether a certificate is valid, revoked or unknown; its name, module and date (GET; anyone,
    rate-limited; unknown codes answer 404)."""
    return _verify(code)
