"""Searching the audit log: the filter form (GET), the query it builds, and the rows of its CSV or Excel export.

Every filter runs on an indexed column of `audit_events`: the person on `actor_id` and on
(`target_type`, `target_id`), the record on `unit_id` and (`target_type`, `target_id`), the dates
on `at`. Only the action, a short code compared by prefix, is not indexed. Nothing here writes:
the audit log is read-only in the app.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, ValidationError
from wtforms.validators import Length

from lms.auth.models import User, name_or_username_contains
from lms.extensions import db
from lms.learn.models import Assignment
from lms.orgs.models import Unit, in_subtree
from lms.train import audit_text
from lms.train.models import AuditEvent

EXPORT_CHUNK = 500  # events described per query while an export streams
FIRST_YEAR, LAST_YEAR = 2000, 2999


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def parse_day(value: str | None) -> date | None:
    """A YYYY-MM-DD date from the form, None when empty; ValueError when it is not a date we can search."""
    if not value:
        return None
    if len(value) != 10:
        raise ValueError(value)
    day = date.fromisoformat(value)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(value)
    return day


def _check_day(form: AuditFilterForm, field) -> None:
    try:
        parse_day(field.data)
    except ValueError:
        raise ValidationError(_("Enter a date as year-month-day, for example 2025-03-31.")) from None


class AuditFilterForm(FlaskForm):
    """The audit log's filters, read from the query string (no CSRF token: a GET form changes nothing)."""

    class Meta:
        csrf = False

    person = StringField(_l("Person"), filters=[_strip],
                         validators=[Length(max=100)])
    action = SelectField(_l("What was done"), validate_choice=False)
    target = StringField(_l("Record"),
                         filters=[_strip], validators=[Length(max=100)])
    date_from = StringField(_l("From"), filters=[_strip], validators=[_check_day],
                            render_kw={"type": "date"})
    date_to = StringField(_l("To"), filters=[_strip], validators=[_check_day],
                          render_kw={"type": "date"})

    def validate_date_to(self, field) -> None:
        """The end of the range is not before its start."""
        try:
            start, end = parse_day(self.date_from.data), parse_day(field.data)
        except ValueError:
            return  # said by the field's own check
        if start and end and end < start:
            raise ValidationError(_("The end date is before the start date."))

    def args(self) -> dict[str, str]:
        """The filters given, for the pager's and the export's links."""
        return {name: str(self[name].data) for name in ("person", "action", "target", "date_from", "date_to")
                if self[name].data}


def filter_form(args) -> AuditFilterForm:
    """The filter form filled from `args` (the request's query string), with the action choices set."""
    form = AuditFilterForm(formdata=args)
    form.action.choices = [("", _("Every action"))] + audit_text.action_choices()
    return form


def _about_users(user_ids: sa.Select) -> sa.ColumnElement[bool]:
    """Events whose record is one of these accounts, or an assignment made to one of them."""
    assignments = sa.select(Assignment.id).where(Assignment.user_id.in_(user_ids))
    return sa.or_(sa.and_(AuditEvent.target_type == "user", AuditEvent.target_id.in_(user_ids)),
                  sa.and_(AuditEvent.target_type == "assignment", AuditEvent.target_id.in_(assignments)))


def _about_record(text: str) -> sa.ColumnElement[bool] | None:
    """Events about the unit with this code (or below it), the account with this username, or record No. `text`;
    None when nothing has this code, username or number."""
    conditions: list[sa.ColumnElement[bool]] = []
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == text.upper()))
    if unit is not None:
        below = sa.select(Unit.id).where(in_subtree(unit))
        conditions += [AuditEvent.unit_id.in_(below),
                       sa.and_(AuditEvent.target_type == "unit", AuditEvent.target_id.in_(below))]
    user_id = db.session.scalar(sa.select(User.id).where(sa.func.lower(User.username) == text.lower()))
    if user_id is not None:
        conditions.append(_about_users(sa.select(sa.literal(user_id))))
    number = text.removeprefix("#").removeprefix("No.").strip()
    if number.isdigit() and 0 < int(number) < 2**31:
        conditions.append(AuditEvent.target_id == int(number))
    return sa.or_(*conditions) if conditions else None


def search(form: AuditFilterForm) -> sa.Select | None:
    """Audit events matching a valid form, newest first, actors loaded; None (and an error on the field)
    when the record names nothing."""
    query = sa.select(AuditEvent)
    if form.person.data:
        people = sa.select(User.id).where(name_or_username_contains(form.person.data))
        query = query.where(sa.or_(AuditEvent.actor_id.in_(people), _about_users(people)))
    action = (form.action.data or "").strip()
    if action:  # a code from the list, or the start of codes ("user.")
        start = action.replace("\\", "").replace("%", "").replace("_", r"\_")
        query = query.where(AuditEvent.action.like(start + "%", escape="\\"))
    if form.target.data:
        about = _about_record(form.target.data)
        if about is None:
            form.target.errors.append(_("No unit code, username or record number matches this."))
            return None
        query = query.where(about)
    start, end = parse_day(form.date_from.data), parse_day(form.date_to.data)
    if start:
        query = query.where(AuditEvent.at >= datetime.combine(start, time.min))
    if end:
        query = query.where(AuditEvent.at < datetime.combine(end + timedelta(days=1), time.min))
    return audit_text.with_actors(query).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def export_header() -> list[str]:
    """The export's column names, in the reader's language."""
    return [_("Event No."), _("When (UTC)"), _("Done by"), _("Username"), _("What was done"), _("What happened"),
            _("Changes")]


def export_rows(query: sa.Select) -> Iterator[list[Any]]:
    """One row per event of `query` (newest first), described in the reader's language, read in chunks."""
    last: tuple[datetime, int] | None = None
    while True:
        chunk = query
        if last is not None:
            chunk = chunk.where(sa.or_(AuditEvent.at < last[0], sa.and_(AuditEvent.at == last[0],
                                                                        AuditEvent.id < last[1])))
        events = list(db.session.scalars(chunk.limit(EXPORT_CHUNK)).unique())
        if not events:
            return
        for d in audit_text.describe(events):
            e = d.event
            yield [e.id, e.at, (e.actor.full_name or e.actor.username) if e.actor else "",
                   e.actor.username if e.actor else "", audit_text.action_label(e.action), d.sentence,
                   "; ".join(d.lines)]
        last = (events[-1].at, events[-1].id)
        for e in events:
            db.session.expunge(e)  # a long export does not keep every event in memory
        if len(events) < EXPORT_CHUNK:
            return
