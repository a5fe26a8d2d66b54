"""Forms of the trainer workspace: assignments, elections, in-person sessions and attendance.

Choices (modules, units, elections, learners) are filled in by the view from scoped queries, so a
submitted id outside the trainer's scope fails validation as "not a valid choice".
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.auth.models import User
from lms.content.models import Module
from lms.extensions import db
from lms.i18n import pick
from lms.learn import rules
from lms.orgs.models import Unit
from lms.timeutil import today
from lms.train.models import Election
from lms.train.scope import units_in_scope

MAX_USERNAMES = 500



class ReminderDaysField(StringField):
    """Days before a due date on which to remind (optional): whole days 0-365, at most five, separated by
    commas; its data is stored as "7,1". Used by the assignment form and the admin's unit form."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, validators=[Optional(), Length(max=40)], **kwargs)

    def post_validate(self, form, validation_stopped: bool) -> None:
        """Parse and normalise the days once the field's own checks have passed."""
        if validation_stopped or self.errors or not self.data:
            return
        try:
            self.data = rules.format_reminder_days(rules.parse_reminder_days(self.data))
        except rules.ReminderDaysError:
            self.errors.append(_l("Write up to five whole numbers of days, separated by commas: 7, 1."))

class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DueForm(FlaskForm):
    """The due rule: none, a fixed date, or N days before an election's polling day."""

    due = RadioField(_l("Due date"), default="none", choices=[
        SelectChoice("none", _l("No due date")), SelectChoice("date", _l("A fixed date")),
        SelectChoice("election", _l("A number of days before an election's polling day"))])
    due_date = DateField(_l("Date"), validators=[Optional()])
    election = SelectField(_l("Election"), coerce=int, default=0)
    days_before = IntegerField(_l("Days before polling day"), validators=[Optional(), NumberRange(0, 365)],
                               default=14)
    earlier_counts = BooleanField(_l("Training completed earlier counts"))
    reminder_days = ReminderDaysField(_l("Reminders, days before the due date (optional)"))

    def validate(self, extra_validators=None) -> bool:
        """Validate, and require the date or the election and days that the chosen kind of due date needs."""
        ok = super().validate(extra_validators)
        if self.due.data == "date" and self.due_date.data is None and not self.due_date.errors:
            self.due_date.errors.append(_l("Enter the due date."))
            ok = False
        if self.due.data == "election":
            if not self.election.data and not self.election.errors:
                self.election.errors.append(_l("Choose the election."))
                ok = False
            if self.days_before.data is None and not self.days_before.errors:
                self.days_before.errors.append(_l("Enter the number of days before polling day."))
                ok = False
        return ok


class AssignmentForm(DueForm):
    modules = CheckboxesField(_l("Modules"), coerce=int)
    units = CheckboxesField(_l("Units"), coerce=int)  # rendered as a tree (train/assignments/_macros.html)
    usernames = TextAreaField(_l("Learners, by username"), validators=[Length(max=20000)], render_kw={"rows": 5})

    def validate_modules(self, field: CheckboxesField) -> None:
        """Require at least one module."""
        if not field.data:
            raise ValidationError(_l("Choose at least one module."))

    def username_lines(self) -> list[tuple[int, str]]:
        """(line number, username) for every non-empty line."""
        lines = (self.usernames.data or "").splitlines()
        return [(n, line.strip().lower()) for n, line in enumerate(lines, start=1) if line.strip()]

    def validate_usernames(self, field: TextAreaField) -> None:
        """Refuse more than MAX_USERNAMES usernames at a time."""
        if len(self.username_lines()) > MAX_USERNAMES:
            raise ValidationError(_l("Enter at most %(n)s usernames at a time.", n=MAX_USERNAMES))


class ElectionForm(FlaskForm):
    country = SelectField(_l("Country"), coerce=int)
    name = StringField(_l("Name of the election"), validators=[DataRequired(), Length(max=200)])
    polling_date = DateField(_l("Polling day"), validators=[DataRequired(message=_l("Enter the polling day."))])
    training_opens = DateField(_l("Training opens"), default=today,
                               validators=[DataRequired(message=_l("Enter the day training opens."))])

    def validate_training_opens(self, field: DateField) -> None:
        """Refuse a training opening day after polling day."""
        if field.data and self.polling_date.data and field.data > self.polling_date.data:
            raise ValidationError(_l("Training must open on or before polling day."))


class SessionForm(FlaskForm):
    module = SelectField(_l("Module"), coerce=int)
    unit = SelectField(_l("Held for"), coerce=int)
    held_on = DateField(_l("Held on"), default=today, validators=[DataRequired(message=_l("Enter the date."))])
    place = StringField(_l("Place"), validators=[DataRequired(), Length(max=200)])
    trainer_name = StringField(_l("Trainer"), validators=[DataRequired(), Length(max=200)])


class AttendanceForm(FlaskForm):
    attended = CheckboxesField(_l("Attended"), coerce=int)


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (withdraw)."""


# --- choices from scoped queries ------------------------------------------------------------------

def as_choices(pairs: list[tuple[int, str]]) -> list[SelectChoice]:
    """The (value, label) pairs as select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def module_choices(lang: str, published_only: bool = False) -> list[tuple[int, str]]:
    """(id, title in `lang`) of the active modules, in course order; with `published_only`, only those
    an administrator offers for new assignments (filters and sessions keep the unpublished ones)."""
    query = sa.select(Module).where(Module.active).order_by(Module.position, Module.id)
    if published_only:
        query = query.where(Module.published)
    return [(m.id, pick(m.title, lang)) for m in db.session.scalars(query)]


def units_in_tree_order(user: User, max_level: int = 3, open_only: bool = False) -> list[Unit]:
    """Units in `user`'s scope (down to `max_level`; with `open_only`, not the closed ones), each followed
    by the units below it."""
    query = units_in_scope(user).where(Unit.level <= max_level)
    if open_only:
        query = query.where(Unit.closed_at.is_(None))
    units = list(db.session.scalars(query))
    by_id = {u.id: u for u in units}

    def key(unit: Unit) -> tuple[str, ...]:
        """Sort key: the codes of the unit's ancestors in scope, then its own."""
        chain = [by_id[i].code for i in reversed(unit.ancestor_ids()[1:]) if i in by_id]
        return (*chain, unit.code)

    return sorted(units, key=key)


def unit_choices(user: User, lang: str, max_level: int = 3) -> list[tuple[int, str]]:
    """(id, indented "name (code)") of the units in `user`'s scope, in tree order."""
    units = units_in_tree_order(user, max_level)
    top = min((u.level for u in units), default=0)
    return [(u.id, "— " * (u.level - top) + f"{u.name(lang)} ({u.code})") for u in units]


def unit_tree(user: User, max_level: int = 3) -> list[tuple[Unit, int, Unit | None]]:
    """(unit, depth below the top of `user`'s scope, parent or None) in tree order, for the tree of checkboxes
    of a new assignment: open units only (a closed unit takes no new assignments)."""
    units = units_in_tree_order(user, max_level, open_only=True)
    by_id = {u.id: u for u in units}
    top = min((u.level for u in units), default=0)
    return [(u, u.level - top, by_id.get(u.parent_id)) for u in units]


def election_label(election: Election) -> str:
    """The election's name with its polling date."""
    return f"{election.name} ({format_date(election.polling_date, 'medium')})"
