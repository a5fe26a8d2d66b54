"""Imported course content. Questions are versioned; attempts point at a version.

A module has two flags. `active`: it was imported from the course files (the importer sets it; a
learner's pages and the reports show only active modules). `published`: an administrator offers
it for new assignments (lms.admin.courses_service); unpublishing changes nothing for the learners
who already have it, so the derived tables do not depend on it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, attribute_keyed_dict, mapped_column, relationship

from lms.content import kinds
from lms.extensions import JSONType, db
from lms.i18n import pick
from lms.timeutil import utcnow


class Module(db.Model):
    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict[str, str]] = mapped_column(JSONType)
    summary: Mapped[dict[str, str]] = mapped_column(JSONType)
    objectives: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    pass_mark: Mapped[int]
    questions_per_attempt: Mapped[int]
    max_attempts: Mapped[int]
    requires_attendance: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)
    published: Mapped[bool] = mapped_column(default=True, server_default=sa.true())  # offered for new assignments
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position",
        primaryjoin="and_(Lesson.module_id == Module.id, Lesson.active)", viewonly=True,
    )

    def t(self, field: str, lang: str) -> str:
        """The module's translated `field` in `lang`, with the usual fallbacks."""
        return pick(getattr(self, field), lang)


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (sa.UniqueConstraint("module_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(sa.String(64))
    position: Mapped[int]
    title: Mapped[dict[str, str]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)

    module: Mapped[Module] = relationship(back_populates="lessons")
    bodies: Mapped[dict[str, LessonBody]] = relationship(
        collection_class=attribute_keyed_dict("lang"), cascade="all, delete-orphan", passive_deletes=True)
    #: the HTML in each language, {"ru": "<p>…</p>", …}: read and written through the lesson_bodies rows
    body_html: AssociationProxy[dict[str, str]] = association_proxy(
        "bodies", "html", creator=lambda lang, html: LessonBody(lang=lang, html=html))


class LessonBody(db.Model):
    """A lesson's HTML in one language, a row of its own: a lesson page reads only its reader's
    language. (Kept as one JSON document of all seven, about 100 KB with Cyrillic escaped, the
    database parsed the whole of it on every lesson page.)"""

    __tablename__ = "lesson_bodies"

    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True)
    lang: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    html: Mapped[str] = mapped_column(sa.Text)


class Figure(db.Model):
    """A module's SVG drawing (courses/<module>/figures/<name>), stored by `courses import`, so that
    serving it reads no file; the lessons' HTML names it with its content hash."""

    __tablename__ = "figures"
    __table_args__ = (sa.UniqueConstraint("module_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(80))  # the file name: results-protocol.ru.svg
    svg: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    content_hash: Mapped[str] = mapped_column(sa.String(64))  # SHA-256 of the file


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (sa.UniqueConstraint("module_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(64))
    topic: Mapped[str | None] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(default=1)  # number of the current QuestionVersion
    active: Mapped[bool] = mapped_column(default=True)


class QuestionVersion(db.Model):
    """An immutable snapshot of a question as written in questions.yaml."""

    __tablename__ = "question_versions"
    __table_args__ = (sa.UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    question: Mapped[Question] = relationship()

    @property
    def question_kind(self) -> kinds.QuestionKind:
        """The kind that lays out, parses, grades and renders this version (lms.content.kinds)."""
        return kinds.get(self.kind)
