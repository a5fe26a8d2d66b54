"""Certificates as records: issued once per completion, found by their code, revoked with a reason.

A certificate's code is 16 characters drawn with `secrets` from an alphabet without the look-alikes
0/O, 1/I/L and U, printed in groups of four (ABCD-EFGH-JKMN-PQRS). It is stored, so it does not
depend on SECRET_KEY. A typed code is read without regard to case, spaces or dashes.

Older versions printed a code signed with SECRET_KEY (`<completion id>-<signature>`) and stored
nothing. Such a code is still found: by the copy that migration 0008 stored on the certificate of
its completion (`legacy_code`), else by checking its signature with the current key, which also
stores the copy for later.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from itsdangerous import Signer

from lms.auth.models import User
from lms.content.models import Module
from lms.extensions import db
from lms.i18n import pick
from lms.learn import rules, services
from lms.learn.models import Certificate, ModuleCompletion
from lms.learn.services import insert_ignore
from lms.timeutil import utcnow

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.]+")
_LEGACY = re.compile(r"\d{1,10}-[A-Za-z0-9_-]{20}")
_MAX_ID = 2**31 - 1


class NotRevocable(Exception):
    """The certificate is already revoked."""


def new_code() -> str:
    """A new random code (16 characters of ALPHABET)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """A stored code as printed: four groups of four joined by dashes."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise(typed: str) -> str | None:
    """The stored form of a typed code (capitals, no spaces or dashes), or None if it cannot be one."""
    cleaned = _SEPARATORS.sub("", typed or "").upper()
    if len(cleaned) != CODE_LENGTH or any(c not in ALPHABET for c in cleaned):
        return None
    return cleaned


def legacy_code(completion: ModuleCompletion) -> str:
    """The signed code older versions printed for `completion`: its id and a signature made with SECRET_KEY."""
    return signed_code(current_app.secret_key, completion.id, completion.user_id, completion.module_id,
                       completion.completed_at)


def signed_code(key: str | bytes, completion_id: int, user_id: int, module_id: int, completed_at: datetime) -> str:
    """The old signed code from its parts (migration 0008 computes the same for the stored copies)."""
    signer = Signer(key, salt="lms.certificate", digest_method=hashlib.sha256)
    value = f"{completion_id}:{user_id}:{module_id}:{completed_at.isoformat()}"
    return f"{completion_id}-{signer.get_signature(value).decode()[:20]}"


def _legacy_completion(code: str) -> ModuleCompletion | None:
    """The completion an old signed code was made for, if its signature checks out with the current key."""
    head, _, _signature = code.partition("-")
    if not head.isdigit() or not 0 < int(head) <= _MAX_ID:
        return None
    completion = db.session.get(ModuleCompletion, int(head))
    if completion is None or not hmac.compare_digest(legacy_code(completion), code):
        return None
    return completion


def of_completion(completion: ModuleCompletion) -> Certificate | None:
    """The certificate issued for `completion` (this learner, module and completion time), if any."""
    return db.session.scalar(sa.select(Certificate).where(
        Certificate.user_id == completion.user_id, Certificate.module_id == completion.module_id,
        Certificate.completed_at == completion.completed_at))


def issue(completion: ModuleCompletion) -> Certificate:
    """The certificate of `completion`, issued now if it has none: exactly once, even when two
    transactions race (INSERT ... ON CONFLICT DO NOTHING on the completion's unique key)."""
    existing = of_completion(completion)
    if existing is not None:
        return existing
    user = db.session.get(User, completion.user_id)
    module = db.session.get(Module, completion.module_id)
    lang = user.locale or current_app.config["LMS_DEFAULT_LOCALE"]
    unit = user.unit
    for _ in range(3):  # a clash of random codes is all but impossible; a second draw settles it
        insert_ignore(Certificate, code=new_code(), user_id=user.id, module_id=module.id,
                      completed_at=completion.completed_at, score=completion.best_score, full_name=user.full_name,
                      module_title=pick(module.title, lang)[:300], language=lang,
                      unit_id=unit.id if unit else None, unit_code=unit.code if unit else None,
                      unit_name=unit.name(lang)[:300] if unit else None, issued_at=utcnow())
        found = of_completion(completion)
        if found is not None:
            return found
    raise RuntimeError("no certificate could be issued")  # pragma: no cover


def current(user: User, module: Module, issue_now: bool = True) -> Certificate | None:
    """`user`'s certificate for their completion of `module` in this cycle, or None when there is none;
    with `issue_now`, a completion older than the records gets its certificate now."""
    allowed, since = services.access(user, module)
    if not allowed:
        return None
    completion = db.session.scalar(sa.select(ModuleCompletion).where(
        ModuleCompletion.user_id == user.id, ModuleCompletion.module_id == module.id))
    if completion is None or not rules.counts(completion.completed_at, since):  # none in this cycle
        return None
    return issue(completion) if issue_now else of_completion(completion)


def on_module_completed(sender: object, *, user_id: int, module_id: int) -> None:
    """Issue the certificate of a completion just recorded (lms.events.module_completed), in its transaction."""
    completion = db.session.scalar(sa.select(ModuleCompletion).where(
        ModuleCompletion.user_id == user_id, ModuleCompletion.module_id == module_id)
        .execution_options(populate_existing=True))
    if completion is not None:
        issue(completion)


def find(typed: str) -> Certificate | None:
    """The certificate a typed or linked code names: a stored code, or an old signed one; else None."""
    typed = (typed or "").strip()[:100]
    code = normalise(typed)
    if code is not None:
        found = db.session.scalar(sa.select(Certificate).where(Certificate.code == code))
        if found is not None:
            return found
    if not _LEGACY.fullmatch(typed):
        return None
    found = db.session.scalar(sa.select(Certificate).where(Certificate.legacy_code == typed))
    if found is not None:
        return found
    completion = _legacy_completion(typed)
    if completion is None:
        return None
    found = issue(completion)
    if found.legacy_code is None:  # kept, so that the printed code outlives a change of SECRET_KEY
        found.legacy_code = typed
    return found


def of_learner(user_id: int) -> list[Certificate]:
    """A learner's certificates, newest first."""
    return list(db.session.scalars(sa.select(Certificate).where(Certificate.user_id == user_id)
                                   .order_by(Certificate.completed_at.desc(), Certificate.id.desc())))


def revoke(certificate: Certificate, by: User, reason: str) -> None:
    """Mark `certificate` revoked now by `by`, for `reason`; NotRevocable if it already is (also when
    someone else revoked it a moment ago: only the first revocation is written)."""
    result = db.session.execute(
        sa.update(Certificate).where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by_id=by.id, revoke_reason=reason)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise NotRevocable()
    db.session.refresh(certificate)
