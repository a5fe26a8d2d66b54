"""Reminders as written to the outbox: one row per message, with its delivery by e-mail and by SMS."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.timeutil import utcnow

KINDS = ("due_soon", "overdue", "digest")
#: a channel's state: queued (to be sent, or retried), sent, failed (refused for good), cancelled (no
#: longer applies), off (no address or no channel configured: recorded and shown in the app only)
STATES = ("queued", "sent", "failed", "cancelled", "off")


class Reminder(db.Model):
    """One message to one person, written once: the key (user, assignment, kind, day) is unique, and
    every writer inserts with ON CONFLICT DO NOTHING, so two runs at once write it once.

    `ref` is the assignment's id, or 0 for a trainer's weekly digest (a NULL would not be unique).
    `on_date` is the day the message is for: the reminder's day (due date minus `days`), the day after
    the due date for an overdue notice, the Monday of the week for a digest. Delivery follows the
    outbox pattern of lms.xapi.forward: rows are leased (`lease`, `leased_until`) in a short
    transaction, sent outside any transaction, and settled; a failure is retried at `next_try_at`
    with a doubling delay, the reason kept in `last_error`. `next_try_at` is NULL once nothing is
    left to send, so the due rows are found through its index however many messages were sent."""

    __tablename__ = "reminders"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "ref", "kind", "on_date"),
        sa.Index("ix_reminders_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    ref: Mapped[int] = mapped_column(default=0)
    assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"),
                                                      index=True)
    module_id: Mapped[int | None] = mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    on_date: Mapped[date]
    due_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_status: Mapped[str] = mapped_column(sa.String(10), default="off")
    sms_status: Mapped[str] = mapped_column(sa.String(10), default="off")
    tries: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(index=True)
    lease: Mapped[str | None] = mapped_column(sa.String(36))
    leased_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    sent_at: Mapped[datetime | None]
    sms_parts: Mapped[int | None]

    @property
    def status(self) -> str:
        """One word for the message: queued while a channel is still to be sent, else failed, sent,
        cancelled or off (recorded in the app only)."""
        states = {self.email_status, self.sms_status}
        for state in ("queued", "failed", "sent", "cancelled"):
            if state in states:
                return state
        return "off"
