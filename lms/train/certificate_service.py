"""Revoking a learner's certificate: by an admin, or a trainer of the learner's oblast; audited."""
from __future__ import annotations

from lms.auth.models import User
from lms.extensions import db
from lms.learn import certificate_records as records
from lms.learn.certificate_records import NotRevocable
from lms.learn.models import Certificate
from lms.train import audit

__all__ = ["NotFound", "NotRevocable", "revoke"]


class NotFound(Exception):
    """No such certificate among the learner's."""


def revoke(actor: User, learner: User, certificate_id: int, reason: str) -> Certificate:
    """Revoke one of `learner`'s certificates for `reason` (the caller has checked that `actor` manages
    `learner`); NotFound if it is not theirs, NotRevocable if it is revoked already."""
    cert = db.session.get(Certificate, certificate_id)
    if cert is None or cert.user_id != learner.id:
        raise NotFound()
    records.revoke(cert, actor, reason)
    audit.record(actor, "certificate.revoke", "user", learner.id, learner.unit_id, username=learner.username,
                 module_id=cert.module_id, code=records.grouped(cert.code), reason=reason)
    return cert
