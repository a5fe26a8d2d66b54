"""Who may read which reports. The summary tables themselves are derived state (lms.progress.models)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db


class ReportScope(db.Model):
    """The units (countries) whose reports a monitor may read; none means every unit."""

    __tablename__ = "report_scopes"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
