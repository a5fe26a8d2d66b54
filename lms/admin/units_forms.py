"""Forms of the admin's organisation unit pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from lms.admin.units_service import CODE_RE, MAX_NAME
from lms.train.accounts_forms import optional_id
from lms.train.assign_forms import ReminderDaysField

_TOO_LONG = _l("Use at most %(max)d characters.")


def _upper(value: str | None) -> str:
    return (value or "").strip().upper()


def _optional_name(label) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=MAX_NAME, message=_TOO_LONG)])


class UnitForm(FlaskForm):
    code = StringField(
        _l("Code"), filters=[_upper],
        validators=[DataRequired(_l("Enter the code.")),
                    Regexp(CODE_RE.pattern, message=_l("Use 2 to 40 capital Latin letters, digits or hyphens, "
                                                       "for example KZ-ALM-01."))],
        render_kw={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"})
    name_en = StringField(_l("Name in English"), validators=[DataRequired(_l("Enter the name in English.")),
                                                             Length(max=MAX_NAME, message=_TOO_LONG)])
    name_ru = StringField(_l("Name in Russian"), validators=[DataRequired(_l("Enter the name in Russian.")),
                                                             Length(max=MAX_NAME, message=_TOO_LONG)])
    name_kk = _optional_name(_l("Name in Kazakh (optional)"))
    name_ky = _optional_name(_l("Name in Kyrgyz (optional)"))
    name_uz = _optional_name(_l("Name in Uzbek (optional)"))
    name_tg = _optional_name(_l("Name in Tajik (optional)"))
    name_tk = _optional_name(_l("Name in Turkmen (optional)"))

    NAME_FIELDS = ("name_en", "name_ru", "name_kk", "name_ky", "name_uz", "name_tg", "name_tk")

    def names(self) -> dict[str, str]:
        """The entered names by language code."""
        return {name.removeprefix("name_"): self[name].data or "" for name in self.NAME_FIELDS}


class UnitNamesForm(UnitForm):
    """The names, and the reminder days of the unit and those below it: a unit keeps its code and its place
    in the tree."""

    code = None
    reminder_days = ReminderDaysField(_l("Reminders, days before a due date (optional)"))


class MoveUnitForm(FlaskForm):
    """The new parent unit, one of the radio buttons of the picker (any id is checked by the service)."""

    parent = RadioField(_l("New parent unit"), coerce=optional_id, validate_choice=False,
                        validators=[DataRequired(_l("Choose the unit to move it under."))])
