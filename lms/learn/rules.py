"""The standing rules of a learner's standing in a module, in one place for Python, SQL and templates.

- Work counts from `since` (the latest `counts_from` of the learner's live assignments of the
  module): a lesson read or an attempt made before that day belongs to an earlier election.
- Several live assignments of one module to one learner: the earliest due date applies.
- A due date tied to an election is its polling day minus `days_before`.
- Stored status (learner_progress.status), in this order: completed; failed (not passed and no
  attempt left: only a trainer can help now); in_progress (a lesson read or an attempt made);
  not_started.
- Overdue: not completed and the due date is before today. It is not stored, since it changes
  with the date; it is shown instead of in_progress and not_started, while failed and completed
  keep their own label (the overdue list and the reports' overdue count include failed ones).
"""
from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from lms.core.templating import current_lang
from lms.timeutil import today

STORED = ("not_started", "in_progress", "failed", "completed")
SHOWN = ("overdue", *STORED)
LABELS = {
    "completed": _l("Completed"),
    "in_progress": _l("In progress"),
    "not_started": _l("Not started"),
    "overdue": _l("Overdue"),
    "failed": _l("Not passed"),
}
#: The trainer's filters: every shown status, and learners who failed twice or more.
FILTER_LABELS = {
    "overdue": _l("Overdue"), "not_started": _l("Not started"), "in_progress": _l("In progress"),
    "failed": _l("Not passed, no attempts left"), "failed_twice": _l("Failed twice or more"),
    "completed": _l("Completed"),
}


def counts(when: datetime | None, since: date | None) -> bool:
    """Does work done at `when` count for an assignment that counts from `since`?"""
    return when is not None and (since is None or when.date() >= since)


def merge_due(current: tuple[date | None, date | None] | None, due: date | None,
              since: date | None) -> tuple[date | None, date | None]:
    """Fold one more live assignment into (earliest due date, latest counts-from day)."""
    if current is None:
        return due, since
    old_due, old_since = current
    return (min((d for d in (old_due, due) if d is not None), default=None),
            max((s for s in (old_since, since) if s is not None), default=None))


def due_from_election(polling_date: date, days_before: int | None) -> date:
    """The due date of an assignment tied to an election."""
    return polling_date - timedelta(days=days_before or 0)


def attempts_left(max_attempts: int, extra: int, used: int) -> int | None:
    """Quiz attempts the learner still has (None: no limit). `extra` were granted by a trainer."""
    if not max_attempts:
        return None
    return max(0, max_attempts + extra - used)


def out_of_attempts(passed: bool, max_attempts: int, extra: int, used: int) -> bool:
    """Not passed, and no attempt left."""
    return not passed and attempts_left(max_attempts, extra, used) == 0


def stored_status(completed: bool, out_of_attempts: bool, active: bool) -> str:
    """The status kept in learner_progress; `active`: a lesson read or an attempt made."""
    if completed:
        return "completed"
    if out_of_attempts:
        return "failed"
    return "in_progress" if active else "not_started"


def is_overdue(status: str, due_date: date | None, on: date | None = None) -> bool:
    """Not completed, and due before today (or `on`)."""
    return status != "completed" and due_date is not None and due_date < (on or today())


def shown_status(status: str, due_date: date | None, on: date | None = None) -> str:
    """The status to show: the stored one, or overdue in place of in_progress and not_started."""
    if status in ("not_started", "in_progress") and is_overdue(status, due_date, on):
        return "overdue"
    return status


def overdue_condition(status: sa.ColumnElement, due_date: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL for is_overdue() over a status and a due-date column."""
    return sa.and_(status != "completed", due_date < today())


MAX_REMINDER_DAYS = 5  # reminder days in one setting


class ReminderDaysError(ValueError):
    """Reminder days that cannot be read."""


def parse_reminder_days(text: str | None) -> tuple[int, ...] | None:
    """The days before a due date when reminders go out (lms.remind): "7, 1" -> (7, 1), distinct whole
    days 0-365, largest first, at most five; None when empty; ReminderDaysError when not readable."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        days = sorted({int(part) for part in text.replace(";", ",").split(",") if part.strip()}, reverse=True)
    except ValueError as error:
        raise ReminderDaysError(text) from error
    if not days or len(days) > MAX_REMINDER_DAYS or not all(0 <= d <= 365 for d in days):
        raise ReminderDaysError(text)
    return tuple(days)


def format_reminder_days(days: tuple[int, ...] | None) -> str | None:
    """(7, 1) -> "7,1" as stored."""
    return ",".join(str(d) for d in days) if days else None


def label(status: str) -> str:
    """The translated label of a shown status, in the page's language (templates show one on every
    card and row: each is translated once per language and kept)."""
    return _label(status, current_lang())


@functools.lru_cache(maxsize=64)
def _label(status: str, lang: str) -> str:
    return str(LABELS[status])  # in `lang`, the page's
