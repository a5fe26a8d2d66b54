"""Quizzes taken without a connection: the quiz a device keeps, and the attempt it sends back later.

When a learner saves a module for offline use, the device also keeps one quiz: questions drawn
now, each with the order of its parts, and a token that names them. The token is signed with
SECRET_KEY (itsdangerous) and holds the learner, the module, the question versions with their
layouts and a random id; it never holds the key, and the page shows what the online quiz shows.
Nothing is written when the quiz is given out.

When the device is back online it sends the token, the answers, and the times on its own clock
when the quiz was opened and finished. The attempt is then stored and graded under the usual
rules: the learner must still be allowed to take the module and have an attempt left; the
attempt counts and completes the module as of its finish time (so a due date is judged by when
the learner finished); a token older than LMS_OFFLINE_QUIZ_DAYS is refused. The device's times
are kept within what is possible (not before the quiz was given out, not after it arrived). The
token's id is unique on the attempt: sending the same attempt twice, or from two tabs at once,
stores it once.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from lms.auth.models import User
from lms.content.models import Module, QuestionVersion
from lms.core.locks import lock_users
from lms.extensions import db
from lms.learn import services
from lms.learn.models import AttemptItem, QuizAttempt
from lms.timeutil import utcnow

_SALT = "lms.offline-quiz"


class OfflineError(Exception):
    """An attempt sent from a device that cannot be stored; `reason` says why (see REASONS)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


#: reason -> HTTP status of the answer to the device
REASONS = {"invalid": 400, "not_yours": 403, "not_assigned": 404, "no_attempts_left": 409, "stale": 410}


@dataclass
class OfflineQuiz:
    """A quiz given out for offline use: its token and the items to show (never stored)."""

    token: str
    id: str
    items: list[AttemptItem]
    pass_mark: int


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def max_age() -> timedelta:
    """How long a quiz given out for offline use may be sent back (LMS_OFFLINE_QUIZ_DAYS)."""
    return timedelta(days=current_app.config["LMS_OFFLINE_QUIZ_DAYS"])


def give_out(user: User, module: Module, rng: random.Random | None = None) -> OfflineQuiz:
    """A quiz of `module` for `user` to take offline: questions drawn now, nothing stored."""
    drawn = services.draw_questions(module, rng or random.SystemRandom())
    quiz_id = uuid.uuid4().hex
    token = _serializer().dumps({"u": user.id, "m": module.id, "id": quiz_id, "v": module.version,
                                 "p": module.pass_mark, "q": [[v.id, layout] for v, layout in drawn]})
    items = []
    for position, (version, layout) in enumerate(drawn):
        item = AttemptItem(position=position, question_version_id=version.id, layout=layout)
        item.version = version
        items.append(item)
    return OfflineQuiz(token, quiz_id, items, module.pass_mark)


def _read(token: str) -> tuple[dict[str, Any], datetime]:
    """The token's contents and when it was given out (naive UTC); OfflineError when it is not one of ours."""
    try:
        data, issued = _serializer().loads(token, max_age=int(max_age().total_seconds()), return_timestamp=True)
    except SignatureExpired as error:
        raise OfflineError("stale") from error
    except BadSignature as error:
        raise OfflineError("invalid") from error
    try:
        checked = (int(data["u"]), int(data["m"]), str(data["id"]), int(data["v"]), int(data["p"]),
                   [(int(v), [str(part) for part in layout]) for v, layout in data["q"]])
    except (KeyError, TypeError, ValueError) as error:
        raise OfflineError("invalid") from error
    data = dict(zip(("u", "m", "id", "v", "p", "q"), checked, strict=True))
    return data, issued.astimezone(UTC).replace(tzinfo=None)


def parse_time(value: str | None) -> datetime | None:
    """A device's time as sent (milliseconds since 1970, UTC), as naive UTC; None if absent or not a number."""
    try:
        millis = int(value or "")
    except ValueError:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


def _clamp(value: datetime | None, low: datetime, high: datetime, default: datetime) -> datetime:
    if value is None:
        return default
    return min(max(value, low), high)


def receive(user: User, token: str, form: Any, started: datetime | None,
            finished: datetime | None) -> tuple[QuizAttempt, bool]:
    """Store and grade the attempt a device sends: (the attempt, True) when stored now, (the attempt
    stored before, False) when it was sent already. OfflineError when it cannot be stored."""
    data, issued = _read(token)
    if data["u"] != user.id:
        raise OfflineError("not_yours")
    module = db.session.get(Module, data["m"])
    if module is None or not services.can_open(user, module):
        raise OfflineError("not_assigned")
    lock_users([user.id])  # a second sending of the same attempt waits, then finds it
    existing = db.session.scalar(sa.select(QuizAttempt).where(QuizAttempt.offline_id == data["id"]))
    if existing is not None:
        return existing, False
    now = utcnow()
    finished_at = _clamp(finished, issued, now, now)
    started_at = _clamp(started, issued, finished_at, issued)
    if services.module_progress(user, module).attempts_left == 0:
        raise OfflineError("no_attempts_left")
    ids = [v for v, _layout in data["q"]]
    versions = {v.id: v for v in db.session.scalars(sa.select(QuestionVersion).where(QuestionVersion.id.in_(ids)))}
    if not ids or len(versions) != len(set(ids)) or any(v.question.module_id != module.id for v in versions.values()):
        raise OfflineError("invalid")
    attempt = QuizAttempt(user_id=user.id, module_id=module.id, number=services.next_attempt_number(user, module),
                          module_version=data["v"], pass_mark=data["p"], started_at=started_at,
                          offline_id=data["id"], synced_at=now)
    for position, (version_id, layout) in enumerate(data["q"]):
        item = AttemptItem(position=position, question_version_id=version_id, layout=layout)
        item.answer = services.parse_answer(versions[version_id].kind, item, form)
        attempt.items.append(item)
    db.session.add(attempt)
    try:
        db.session.flush()  # (no SAVEPOINT: on SQLite, pysqlite would commit at its release)
    except IntegrityError:  # sent twice at the same moment: the other request stored it
        db.session.rollback()  # nothing was written before this point
        existing = db.session.scalar(sa.select(QuizAttempt).where(QuizAttempt.offline_id == data["id"]))
        if existing is None:
            raise
        return existing, False
    services.submit_attempt(attempt, user, at=finished_at)
    return attempt, True
