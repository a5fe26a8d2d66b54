"""Trainer workspace records: elections and the audit log.

In-person sessions and attendance are learning records (lms.learn.models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.extensions import JSONType, db
from lms.orgs.models import Unit
from lms.timeutil import today, utcnow


class Election(db.Model):
    """An election in one country. Due dates may be counted back from its polling day."""

    __tablename__ = "elections"

    id: Mapped[int] = mapped_column(primary_key=True)
    country_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    polling_date: Mapped[date]
    # Training finished before this day belongs to an earlier election.
    training_opens: Mapped[date] = mapped_column(default=today)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    country: Mapped[Unit] = relationship()


class AuditEvent(db.Model):
    """Who did what to which account or assignment. Written in the same transaction as the change."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(40))
    target_type: Mapped[str] = mapped_column(sa.String(20))
    target_id: Mapped[int | None]
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    __table_args__ = (sa.Index("ix_audit_events_target", "target_type", "target_id"),)
