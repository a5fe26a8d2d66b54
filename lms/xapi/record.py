"""Statements built from the platform's records, and written once each.

The builders take the source records (a lesson read, a graded attempt, a completion, an
attendance) and return statements; `save` writes them with INSERT ... ON CONFLICT DO NOTHING on
their keys, in the caller's transaction, and queues each new one for forwarding when a learning
record store is set. The event subscribers (lms.xapi.events) and the back-fill (lms.xapi.backfill)
build through the same functions, so a statement comes out the same whichever path made it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.auth.models import User
from lms.content.models import Lesson, Module, Question, QuestionVersion
from lms.extensions import db
from lms.learn.models import QuizAttempt, TrainingSession
from lms.orgs.models import Unit
from lms.timeutil import utcnow
from lms.xapi import vocabulary as v
from lms.xapi.models import XapiOutbox, XapiStatement

SAVE_CHUNK = 500  # statements per INSERT


@dataclass
class Row:
    """A statement to write, with the columns it is found by."""

    key: str
    user_id: int | None
    unit_id: int | None
    data: dict[str, Any]

    @property
    def verb(self) -> str:
        """The verb's IRI."""
        return self.data["verb"]["id"]

    @property
    def activity(self) -> str:
        """The id of the object (the statement's id for a voiding statement)."""
        obj = self.data["object"]
        return obj["id"]


def _name(titles: dict[str, str | None] | None, lang: str) -> dict[str, str]:
    """The title in the learner's language (else in the first language that has one), as a language map:
    one language, not all seven, keeps a statement near a kilobyte."""
    titles = {code: text for code, text in (titles or {}).items() if text}
    if lang in titles:
        return {lang: titles[lang]}
    return dict(list(titles.items())[:1])


@dataclass
class Catalog:
    """What the statements say about modules, lessons, questions, units and learners, read once per
    back-fill chunk or event and kept (the back-fill reuses one across its chunks)."""

    modules: dict[int, Module] = field(default_factory=dict)
    lessons: dict[int, Lesson] = field(default_factory=dict)
    questions: dict[int, tuple[str, int]] = field(default_factory=dict)  # version id -> (slug, module id)
    unit_codes: dict[int, str] = field(default_factory=dict)
    unit_above: dict[int, list[int]] = field(default_factory=dict)  # unit id -> ids from the country down
    users: dict[int, tuple[int | None, str]] = field(default_factory=dict)  # id -> (unit id, language)

    def module(self, module_id: int) -> Module:
        """The module, read on first use."""
        if module_id not in self.modules:
            self.modules[module_id] = db.session.get(Module, module_id)
        return self.modules[module_id]

    def lesson(self, lesson_id: int) -> Lesson:
        """The lesson, read on first use."""
        if lesson_id not in self.lessons:
            self.lessons[lesson_id] = db.session.get(Lesson, lesson_id)
        return self.lessons[lesson_id]

    def question(self, version_id: int) -> tuple[str, int]:
        """The question's slug and module for one of its versions."""
        if version_id not in self.questions:
            self.load_questions([version_id])
        return self.questions[version_id]

    def load_questions(self, version_ids: Iterable[int]) -> None:
        """Read the slugs of these question versions in one query."""
        missing = set(version_ids) - set(self.questions)
        if missing:
            self.questions.update({vid: (slug, mid) for vid, slug, mid in db.session.execute(
                sa.select(QuestionVersion.id, Question.slug, Question.module_id)
                .join(Question, Question.id == QuestionVersion.question_id)
                .where(QuestionVersion.id.in_(missing)))})

    def load_users(self, user_ids: Iterable[int]) -> None:
        """Read these learners' units and languages in one query, and their units' paths."""
        missing = set(user_ids) - set(self.users)
        if missing:
            default = current_app.config["LMS_DEFAULT_LOCALE"]
            for uid, unit_id, locale in db.session.execute(
                    sa.select(User.id, User.unit_id, User.locale).where(User.id.in_(missing))):
                self.users[uid] = (unit_id, locale or default)
        self.load_units({unit for unit, _ in (self.users[u] for u in user_ids if u in self.users) if unit})

    def load_units(self, unit_ids: Iterable[int]) -> None:
        """Read these units' paths from the country down (their codes and their ancestors' codes)."""
        missing = set(unit_ids) - set(self.unit_above)
        if not missing:
            return
        rows = db.session.execute(sa.select(Unit.id, Unit.code, Unit.country_id, Unit.oblast_id, Unit.district_id)
                                  .where(Unit.id.in_(missing))).all()
        for uid, code, *above in rows:
            self.unit_codes[uid] = code
            self.unit_above[uid] = [a for a in above if a is not None] + [uid]
        ancestors = {a for _, _, *above in rows for a in above if a is not None} - set(self.unit_codes)
        if ancestors:
            self.unit_codes.update(db.session.execute(sa.select(Unit.id, Unit.code).where(Unit.id.in_(ancestors)))
                                   .tuples().all())

    def unit_path(self, unit_id: int | None) -> list[str]:
        """The codes of the units from the country down to this one."""
        if unit_id is None:
            return []
        self.load_units([unit_id])
        return [self.unit_codes[u] for u in self.unit_above.get(unit_id, []) if u in self.unit_codes]

    def learner(self, user_id: int) -> tuple[int | None, str]:
        """The learner's unit id and language."""
        self.load_users([user_id])
        return self.users.get(user_id, (None, current_app.config["LMS_DEFAULT_LOCALE"]))


def _activity(iri: str, kind: str, name: dict[str, str]) -> dict[str, Any]:
    definition: dict[str, Any] = {"type": v.TYPES[kind]}
    if name:
        definition["name"] = name
    return {"objectType": "Activity", "id": iri, "definition": definition}


def _module_activity(module: Module, lang: str) -> dict[str, Any]:
    return _activity(v.module_iri(module.slug), "module", _name(module.title, lang))


def _statement(catalog: Catalog, key: str, user_id: int, verb: str, obj: Any, at: datetime, *,
               parent: Module | None = None, result: dict[str, Any] | None = None,
               registration: str | None = None, extensions: dict[str, Any] | None = None) -> Row:
    unit_id, lang = catalog.learner(user_id)
    if callable(obj):  # built in the learner's language
        obj = obj(lang)
    context: dict[str, Any] = {"platform": "lms", "language": lang,
                               "extensions": {v.extension("unit-path"): catalog.unit_path(unit_id),
                                              **(extensions or {})}}
    if parent is not None:
        context["contextActivities"] = {"parent": [{"objectType": "Activity", "id": v.module_iri(parent.slug)}]}
    if registration:
        context["registration"] = registration
    data: dict[str, Any] = {
        "id": v.statement_id(key), "actor": v.actor(user_id),
        "verb": {"id": v.VERBS[verb], "display": {"en-US": verb}},
        "object": obj, "timestamp": v.timestamp(at), "context": context, "version": v.STATEMENT_VERSION,
    }
    if result is not None:
        data["result"] = result
    return Row(key=key, user_id=user_id, unit_id=unit_id, data=data)


# --- the builders -------------------------------------------------------------------------------

def launched(catalog: Catalog, user_id: int, module_id: int, since: Any, at: datetime) -> Row:
    """The learner opened a module (once per training cycle: `since` is the cycle's first day)."""
    module = catalog.module(module_id)
    return _statement(catalog, launch_key(user_id, module_id, since), user_id, "launched",
                      lambda lang: _module_activity(module, lang), at)


def launch_key(user_id: int, module_id: int, since: Any) -> str:
    """The key of the launch of a module in one training cycle."""
    return f"launched:{module_id}:{user_id}:{since.isoformat() if since else 'first'}"


def lesson_read(catalog: Catalog, user_id: int, lesson_id: int, at: datetime) -> Row:
    """The learner read a lesson (`experienced`), at `at`; a reading renewed in a new cycle is a new one."""
    lesson = catalog.lesson(lesson_id)
    module = catalog.module(lesson.module_id)
    obj = lambda lang: _activity(v.lesson_iri(module.slug, lesson.slug), "lesson", _name(lesson.title, lang))
    return _statement(catalog, f"lesson:{lesson_id}:{user_id}:{at.isoformat()}", user_id, "experienced", obj, at,
                      parent=module)


def attempt_graded(catalog: Catalog, attempt: QuizAttempt,
                   items: Iterable[tuple[int, int, float | None]]) -> list[Row]:
    """A graded quiz attempt: one `answered` per question (items are (position, question version id,
    credit)), then `passed` or `failed` with its score and duration."""
    module = catalog.module(attempt.module_id)
    items = list(items)
    catalog.load_questions(vid for _, vid, _ in items)
    at = attempt.submitted_at
    registration = v.registration(attempt.id)
    number = {v.extension("attempt-number"): attempt.number}
    rows = []
    for position, version_id, credit in items:
        slug, _ = catalog.question(version_id)
        credit = float(credit or 0.0)
        rows.append(_statement(
            catalog, f"answer:{attempt.id}:{position}", attempt.user_id, "answered",
            _activity(v.question_iri(module.slug, slug), "question", {}), at, parent=module,
            result={"success": credit >= 1.0, "score": {"scaled": round(credit, 4)}},
            registration=registration, extensions=number))
    score = float(attempt.score or 0.0)
    rows.append(_statement(
        catalog, f"attempt:{attempt.id}", attempt.user_id, "passed" if attempt.passed else "failed",
        lambda lang: _activity(v.quiz_iri(module.slug), "quiz", _name(module.title, lang)), at, parent=module,
        result={"score": {"scaled": round(score / 100, 4), "raw": score, "min": 0, "max": 100},
                "success": bool(attempt.passed), "completion": True,
                "duration": v.duration(at - attempt.started_at)},
        registration=registration, extensions=number))
    return rows


def module_completed(catalog: Catalog, user_id: int, module_id: int, at: datetime, best_score: float) -> Row:
    """The learner completed a module (every lesson read, the quiz passed, a session attended where required)."""
    module = catalog.module(module_id)
    return _statement(catalog, f"completed:{module_id}:{user_id}:{at.isoformat()}", user_id, "completed",
                      lambda lang: _module_activity(module, lang), at,
                      result={"completion": True, "success": True,
                              "score": {"scaled": round(best_score / 100, 4), "raw": best_score,
                                        "min": 0, "max": 100}})


def attended(catalog: Catalog, user_id: int, session: TrainingSession, number: int, at: datetime) -> Row:
    """The learner attended an in-person session (`number` counts earlier markings that were undone)."""
    module = catalog.module(session.module_id)
    key = f"attended:{session.id}:{user_id}" + (f":{number}" if number else "")

    def obj(lang: str) -> dict[str, Any]:
        """The session as an activity, named in the learner's language."""
        name = {code: f"{title} — {session.held_on.isoformat()}" for code, title in _name(module.title, lang).items()}
        return _activity(v.session_iri(session.id), "session", name)

    return _statement(catalog, key, user_id, "attended", obj, at, parent=module)


def voiding(catalog: Catalog, target: XapiStatement, at: datetime) -> Row:
    """A statement that voids `target` (an attendance marked by mistake and taken back)."""
    obj = {"objectType": "StatementRef", "id": target.uuid}
    return _statement(catalog, f"void:{target.uuid}", target.user_id, "voided", obj, at)


# --- writing ----------------------------------------------------------------------------------

def forwarding() -> bool:
    """True when statements are forwarded to a learning record store."""
    return bool(current_app.config.get("LMS_XAPI_ENDPOINT"))


def save(rows: Iterable[Row]) -> int:
    """Write the statements whose keys are new, in the caller's transaction, and queue them for
    forwarding; returns how many were new."""
    rows = list(rows)
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    now, new = utcnow(), 0
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as served: `since` then means what it says
    for start in range(0, len(rows), SAVE_CHUNK):
        chunk = rows[start:start + SAVE_CHUNK]
        values = [{"uuid": r.data["id"], "key": r.key, "user_id": r.user_id, "unit_id": r.unit_id, "verb": r.verb,
                   "activity": r.activity, "timestamp": datetime.fromisoformat(r.data["timestamp"].rstrip("Z")),
                   "stored": now, "voided": False, "data": r.data} for r in chunk]
        ids = db.session.scalars(insert(XapiStatement).values(values).on_conflict_do_nothing()
                                 .returning(XapiStatement.id)).all()
        new += len(ids)
        if ids and forwarding():
            db.session.execute(sa.insert(XapiOutbox), [{"statement_id": i, "next_try_at": now} for i in ids])
    return new
