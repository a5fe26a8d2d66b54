"""Forms of the trainer's account pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from lms.auth.contact import email_field_check, phone_field_check
from lms.config import LANGUAGES
from lms.i18n import LANGUAGE_NAMES
from lms.orgs.models import Unit

LANGUAGE_CHOICES = [SelectChoice(code, LANGUAGE_NAMES[code], render_kw={"lang": code}) for code in LANGUAGES]


def unit_choices(units: list[Unit], lang: str, empty_label: str) -> list[SelectChoice]:
    """Precincts labelled with name and code, after an empty first choice (value "", as HTML wants in a
    required select)."""
    return [SelectChoice("", empty_label)] + [SelectChoice(u.id, f"{u.name(lang)} ({u.code})") for u in units]


def optional_id(value: object) -> int | None:
    """A posted id as an int; the empty placeholder, or anything that is not a whole number, as None
    (then DataRequired asks for a choice with its own message)."""
    if isinstance(value, int) or value is None:
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


class _LearnerFields(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the full name.")), Length(max=200)])
    unit = SelectField(_l("Precinct commission"), coerce=optional_id,
                       validators=[DataRequired(_l("Choose the precinct commission."))])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    email = EmailField(_l("E-mail address (optional)"), validators=[Length(max=254), email_field_check])
    phone = TelField(_l("Mobile number (optional)"), validators=[Length(max=40), phone_field_check])


class NewLearnerForm(_LearnerFields):
    username = StringField(
        _l("Username (optional)"),
        validators=[Optional(), Length(min=3, max=64),
                    Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                           message=_l("Use Latin letters, digits, dots, hyphens or underscores."))],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "off"})


class EditLearnerForm(_LearnerFields):
    active = BooleanField(_l("The account is active (the official can sign in)"))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class RevokeCertificateForm(FlaskForm):
    reason = TextAreaField(_l("Reason for revoking"),
                           validators=[DataRequired(_l("Give the reason for revoking the certificate.")),
                                       Length(max=500, message=_l("Keep the reason under 500 characters."))])


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or Excel file"), validators=[FileRequired(_l("Choose a file to upload."))])


class ConfirmImportForm(FlaskForm):
    # The rows themselves come in several `data` fields (each under the form-field size limit).
    batch = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{16}$")])
