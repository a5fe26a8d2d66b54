"""Summary tables for the reports, derived from the records (see lms.progress).

Every figure is kept per unit at every level of the tree (precinct, district, oblast and
country), so a report on a unit reads only the rows of its children, however many learners
they hold. The rows are changed by deltas in the same transaction as the write they
summarise (lms.progress.summary), never recomputed on read.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db

_UNIT = lambda: mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)  # noqa: E731
_MODULE = lambda: mapped_column(sa.ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True)  # noqa: E731
# Whose figures: "learner" (precinct officials) or "trainer" (trainers taking modules themselves).
_ROLE = lambda: mapped_column(sa.String(16), primary_key=True, default="learner")  # noqa: E731


class ReportMember(db.Model):
    """Where each active learner is counted (so a move or deactivation can be subtracted)."""

    __tablename__ = "report_members"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(16), default="learner")


class ReportUnit(db.Model):
    """Active learners at or below a unit."""

    __tablename__ = "report_units"
    unit_id: Mapped[int] = _UNIT()
    role: Mapped[str] = _ROLE()
    learners: Mapped[int] = mapped_column(default=0)


class ReportCell(db.Model):
    """Assigned (learner, module) pairs at or below a unit, and their outcomes."""

    __tablename__ = "report_cells"
    unit_id: Mapped[int] = _UNIT()
    role: Mapped[str] = _ROLE()
    module_id: Mapped[int] = _MODULE()
    assigned: Mapped[int] = mapped_column(default=0)
    started: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    scored: Mapped[int] = mapped_column(default=0)  # pairs with at least one attempt
    best_sum: Mapped[float] = mapped_column(default=0.0)
    first_passed: Mapped[int] = mapped_column(default=0)
    first_sum: Mapped[float] = mapped_column(default=0.0)


class ReportDue(db.Model):
    """Pairs not completed, by due date: overdue = those with a due date before today."""

    __tablename__ = "report_due"
    unit_id: Mapped[int] = _UNIT()
    role: Mapped[str] = _ROLE()
    module_id: Mapped[int] = _MODULE()
    due_date: Mapped[date] = mapped_column(primary_key=True)
    pending: Mapped[int] = mapped_column(default=0)


class ReportWeek(db.Model):
    """Completions by week (the Monday it starts)."""

    __tablename__ = "report_weeks"
    unit_id: Mapped[int] = _UNIT()
    role: Mapped[str] = _ROLE()
    module_id: Mapped[int] = _MODULE()
    week: Mapped[date] = mapped_column(primary_key=True)
    completions: Mapped[int] = mapped_column(default=0)


class ReportDays(db.Model):
    """Completions by whole days from first activity to completion (for the median)."""

    __tablename__ = "report_days"
    unit_id: Mapped[int] = _UNIT()
    role: Mapped[str] = _ROLE()
    module_id: Mapped[int] = _MODULE()
    days: Mapped[int] = mapped_column(primary_key=True)
    completions: Mapped[int] = mapped_column(default=0)


class ReportItem(db.Model):
    """First-attempt answers to one question version, for item analysis."""

    __tablename__ = "report_items"
    unit_id: Mapped[int] = _UNIT()
    question_version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id", ondelete="CASCADE"),
                                                     primary_key=True)
    answered: Mapped[int] = mapped_column(default=0)
    right: Mapped[int] = mapped_column(default=0)  # full credit
    credit_sum: Mapped[float] = mapped_column(default=0.0)
    upper_n: Mapped[int] = mapped_column(default=0)  # attempts scoring 80% or more
    upper_right: Mapped[int] = mapped_column(default=0)
    lower_n: Mapped[int] = mapped_column(default=0)  # attempts scoring under 50%
    lower_right: Mapped[int] = mapped_column(default=0)


class ReportOption(db.Model):
    """How often a wrong option was chosen at a first attempt."""

    __tablename__ = "report_options"
    unit_id: Mapped[int] = _UNIT()
    question_version_id: Mapped[int] = mapped_column(sa.ForeignKey("question_versions.id", ondelete="CASCADE"),
                                                     primary_key=True)
    option: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    chosen: Mapped[int] = mapped_column(default=0)
