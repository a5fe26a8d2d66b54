"""Forms of the admin's staff account pages (trainers, monitors, admins)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from lms.auth.contact import email_field_check, phone_field_check
from lms.orgs.models import Unit
from lms.train.accounts_forms import LANGUAGE_CHOICES


def staff_unit_choices(units: list[Unit], lang: str, empty_label: str) -> list[SelectChoice]:
    """Units labelled "code — name", after an empty first choice (no unit)."""
    return [SelectChoice(0, empty_label)] + [SelectChoice(u.id, f"{u.code} — {u.name(lang)}") for u in units]


class _StaffFields(FlaskForm):
    # the length of the name and the form of the username are checked by the service, with its messages
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the full name."))])
    # Any unit id is checked by the service (a precinct kept by an older account is allowed too).
    unit = SelectField(_l("Unit"), coerce=int, validate_choice=False)
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, validate_choice=False)
    email = EmailField(_l("E-mail address (optional)"), validators=[Length(max=254), email_field_check])
    phone = TelField(_l("Mobile number (optional)"), validators=[Length(max=40), phone_field_check])


class NewStaffForm(_StaffFields):
    username = StringField(
        _l("Username (optional)"), validators=[Optional()],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"})
    role = SelectField(_l("Role"), validate_choice=False)


class EditStaffForm(_StaffFields):
    role = SelectField(_l("Role"), validate_choice=False)  # checked by the service, with its message
    active = BooleanField(_l("The account is active (the person can sign in)"))
