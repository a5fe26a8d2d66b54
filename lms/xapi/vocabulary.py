"""The IRIs of the statements: ADL verbs and activity types, and this platform's activity ids.

Activity ids are URLs under `LMS_BASE_URL`, built from slugs that never change once a module is
published, so a learning record store sees the same activity whatever the language or the
version of its content. The actor is an account on the platform's home page, named by the
account's number: no e-mail address, name or login leaves the platform.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import current_app

VERSION = "1.0.3"  # of the xAPI specification, in the X-Experience-API-Version header
STATEMENT_VERSION = "1.0.0"  # the `version` property of a statement the platform serves

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {name: ADL + name for name in
         ("launched", "experienced", "answered", "passed", "failed", "completed", "attended", "voided")}

TYPES = {
    "module": "http://adlnet.gov/expapi/activities/module",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "quiz": "http://adlnet.gov/expapi/activities/assessment",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "session": "http://adlnet.gov/expapi/activities/meeting",
}


def base_url() -> str:
    """The platform's public address without a trailing slash (`LMS_BASE_URL`)."""
    return current_app.config["LMS_BASE_URL"].rstrip("/")


def home_page() -> str:
    """The home page of the accounts that act in the statements."""
    return base_url() + "/"


def namespace() -> uuid.UUID:
    """The namespace of statement ids: one per installation, so two platforms never mint the same id."""
    return uuid.uuid5(uuid.NAMESPACE_URL, home_page())


def statement_id(key: str) -> str:
    """The statement id for the record named `key` (the same on every write of the same event)."""
    return str(uuid.uuid5(namespace(), key))


def registration(attempt_id: int) -> str:
    """The registration that groups the statements of one quiz attempt."""
    return str(uuid.uuid5(namespace(), f"registration:attempt:{attempt_id}"))


def actor(user_id: int) -> dict:
    """The agent for an account of this platform."""
    return {"objectType": "Agent", "account": {"homePage": home_page(), "name": str(user_id)}}


def authority() -> dict:
    """The agent that vouches for the statements served: the platform itself."""
    return {"objectType": "Agent", "account": {"homePage": home_page(), "name": "platform"}}


def extension(name: str) -> str:
    """The IRI of one of the platform's context extensions (`unit-path`, `attempt-number`)."""
    return f"{base_url()}/xapi/extensions/{name}"


def module_iri(slug: str) -> str:
    """The activity id of a module."""
    return f"{base_url()}/xapi/activities/modules/{slug}"


def lesson_iri(module_slug: str, lesson_slug: str) -> str:
    """The activity id of a lesson of a module."""
    return f"{module_iri(module_slug)}/lessons/{lesson_slug}"


def quiz_iri(module_slug: str) -> str:
    """The activity id of a module's quiz."""
    return f"{module_iri(module_slug)}/quiz"


def question_iri(module_slug: str, question_slug: str) -> str:
    """The activity id of one question of a module's quiz (the same across its versions)."""
    return f"{module_iri(module_slug)}/questions/{question_slug}"


def session_iri(session_id: int) -> str:
    """The activity id of an in-person training session."""
    return f"{base_url()}/xapi/activities/sessions/{session_id}"


def timestamp(at: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as xAPI asks (`2026-11-30T09:15:02.123Z`)."""
    return at.isoformat(timespec="milliseconds") + "Z"


def duration(span: timedelta) -> str:
    """An ISO 8601 duration to the hundredth of a second (`PT1H2M3.45S`), never negative."""
    centis = max(0, round(span.total_seconds() * 100))
    hours, rest = divmod(centis, 360000)
    minutes, rest = divmod(rest, 6000)
    seconds = f"{rest // 100}.{rest % 100:02d}".rstrip("0").rstrip(".")
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{seconds}S" if seconds != "0" or text == "PT" else "")
