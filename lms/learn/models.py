"""Assignments and the learner's record: lessons read, quiz attempts, in-person sessions attended, completions."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.content.models import Module, QuestionVersion
from lms.extensions import JSONType, db
from lms.orgs.models import Unit
from lms.timeutil import utcnow


class Assignment(db.Model):
    """A module assigned to one learner, or to a unit and so to every learner below it."""

    __tablename__ = "assignments"
    __table_args__ = (
        sa.CheckConstraint("(user_id IS NULL) <> (unit_id IS NULL)", name="one_target"),
        sa.Index("ix_assignments_module_live", "module_id", "withdrawn_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    due_date: Mapped[date | None]
    # A due date counted back from an election's polling day moves with it.
    election_id: Mapped[int | None] = mapped_column(sa.ForeignKey("elections.id", ondelete="SET NULL"), index=True)
    days_before: Mapped[int | None]
    # Lessons, attempts and completions before this day do not count for this assignment.
    counts_from: Mapped[date | None]
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # days before the due date when reminders go out ("7,1"), instead of the units' setting (lms.remind)
    reminder_days: Mapped[str | None] = mapped_column(sa.String(40))

    module: Mapped[Module] = relationship()


class LessonCompletion(db.Model):
    __tablename__ = "lesson_completions"
    __table_args__ = (sa.UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizAttempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "module_id", "number"),
        sa.Index("ix_quiz_attempts_module_submitted", "module_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"))
    number: Mapped[int]
    module_version: Mapped[int]
    pass_mark: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    score: Mapped[float | None]  # percent, 0-100
    passed: Mapped[bool | None]
    # taken offline (lms.learn.offline): the id of the quiz the device was given, and when it arrived
    offline_id: Mapped[str | None] = mapped_column(sa.String(36), unique=True)
    synced_at: Mapped[datetime | None]

    module: Mapped[Module] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(order_by="AttemptItem.position", back_populates="attempt")

    @property
    def is_open(self) -> bool:
        """True until the attempt is submitted."""
        return self.submitted_at is None


class AttemptItem(db.Model):
    """One question as served in an attempt: its version, the order shown, the answer and credit."""

    __tablename__ = "attempt_items"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    position: Mapped[int]
    question_version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id"), index=True)
    layout: Mapped[list[str]] = mapped_column(JSONType)  # option / step / field ids in the order shown
    answer: Mapped[Any | None] = mapped_column(JSONType)
    credit: Mapped[float | None]  # 0..1 once graded

    attempt: Mapped[QuizAttempt] = relationship(back_populates="items")
    version: Mapped[QuestionVersion] = relationship()


class AttemptGrant(db.Model):
    """One more quiz attempt than the module allows, given by a trainer to a learner who has used
    them all. Like the attempts themselves, a grant counts only within the current training cycle."""

    __tablename__ = "attempt_grants"
    __table_args__ = (sa.Index("ix_attempt_grants_user_module", "user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"))
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModuleCompletion(db.Model):
    __tablename__ = "module_completions"
    __table_args__ = (sa.UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    best_score: Mapped[float]


class LearnerProgress(db.Model):
    """One learner's standing in one assigned module, kept up to date on every write.

    Derived from assignments, lessons read, attempts, attendance and completions by
    lms.learn.status.refresh(); the trainer's matrix, the overdue list and the reports read
    it instead of recomputing from the raw records. A row exists while the module is assigned.
    """

    __tablename__ = "learner_progress"
    __table_args__ = (
        sa.Index("ix_learner_progress_module_status", "module_id", "status"),
        sa.Index("ix_learner_progress_unit", "unit_id", "module_id"),
    )

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    due_date: Mapped[date | None]
    since: Mapped[date | None]
    lessons_read: Mapped[int] = mapped_column(default=0)
    lessons_total: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    best_score: Mapped[float | None]
    first_score: Mapped[float | None]
    passed: Mapped[bool] = mapped_column(default=False)
    first_passed: Mapped[bool | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # not_started | in_progress | failed (no attempts left) | completed; "overdue" is derived from due_date
    status: Mapped[str] = mapped_column(sa.String(16), default="not_started")
    extra_attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # granted by a trainer
    # the first lesson (by position) not yet read, where the dashboard's "Continue" leads; None when all are read
    next_lesson_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lessons.id", ondelete="SET NULL"))


class TrainingSession(db.Model):
    """A face-to-face session held for a unit's officials on one module."""

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    held_on: Mapped[date]
    place: Mapped[str] = mapped_column(sa.String(200))
    trainer_name: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    module: Mapped[Module] = relationship()
    unit: Mapped[Unit] = relationship()


class Attendance(db.Model):
    __tablename__ = "attendance"
    __table_args__ = (sa.UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("training_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)


class Certificate(db.Model):
    """A certificate of completion, issued once per completion and kept as it was issued.

    Its code is random (lms.learn.certificate_records), so it does not depend on SECRET_KEY; the
    learner's name, the module's title in the learner's language and the unit are copies taken at
    issue, so that a later rename or a new training cycle does not change a certificate on paper.
    `legacy_code` is the signed code an older version printed for the same completion, when known.
    """

    __tablename__ = "certificates"
    __table_args__ = (sa.UniqueConstraint("user_id", "module_id", "completed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    legacy_code: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    module_id: Mapped[int | None] = mapped_column(sa.ForeignKey("modules.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime]
    score: Mapped[float]
    full_name: Mapped[str] = mapped_column(sa.String(200))
    module_title: Mapped[str] = mapped_column(sa.String(300))
    language: Mapped[str] = mapped_column(sa.String(5))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    unit_code: Mapped[str | None] = mapped_column(sa.String(40))
    unit_name: Mapped[str | None] = mapped_column(sa.String(300))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # the holder's data was erased: the name is gone, the check page says "issued, holder erased"
    holder_erased_at: Mapped[datetime | None]

    @property
    def revoked(self) -> bool:
        """True once a trainer or an admin has revoked it."""
        return self.revoked_at is not None
