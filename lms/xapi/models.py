"""xAPI statements as recorded, and the outbox of those still to be forwarded to a learning record store."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import JSONType, db
from lms.timeutil import utcnow


class XapiStatement(db.Model):
    """One xAPI 1.0.3 statement, written in the same transaction as the record it describes.

    `key` names that record (`attempt:12`, `lesson:3:7:2026-11-30T10:00:00`...): a second write of
    the same event (a back-fill, a retried request) finds the key taken and adds nothing. The
    statement's id is derived from the key and the platform's base URL (a UUID version 5), so the
    event path and the back-fill give the same statement the same id. `data` is the statement as
    served, without `stored` and `authority`, which the API adds."""

    __tablename__ = "xapi_statements"
    __table_args__ = (sa.Index("ix_xapi_statements_unit_stored", "unit_id", "stored"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    key: Mapped[str] = mapped_column(sa.String(160), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # the learner's unit when the statement was made: a trainer's token reads the statements of their oblast
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    verb: Mapped[str] = mapped_column(sa.String(100))
    activity: Mapped[str] = mapped_column(sa.String(300), index=True)
    timestamp: Mapped[datetime]
    stored: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    voided: Mapped[bool] = mapped_column(default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)


class XapiOutbox(db.Model):
    """A statement still to be sent to the learning record store (`LMS_XAPI_ENDPOINT`).

    The row is written with its statement and deleted once the store has acknowledged it. A
    forwarder leases rows (`lease` and `leased_until`) in a short transaction before it sends
    them, so two forwarders never send the same row at once; a failure is retried after a growing
    delay (`next_try_at`), with the store's answer kept in `last_error`."""

    __tablename__ = "xapi_outbox"

    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("xapi_statements.id", ondelete="CASCADE"),
                                              primary_key=True)
    tries: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lease: Mapped[str | None] = mapped_column(sa.String(36))
    leased_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
