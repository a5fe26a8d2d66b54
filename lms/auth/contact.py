"""Contact details for reminders: an e-mail address and a mobile number, both optional, checked and
normalised in one place for the forms, the account import and the learner's own account page."""
from __future__ import annotations

import email_validator
import phonenumbers
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

#: the region assumed for a number written without its country code (+7 ...)
DEFAULT_REGION = "KZ"


class ContactError(ValueError):
    """An e-mail address or a phone number that is not valid; the message says why."""


def normal_email(value: str | None) -> str | None:
    """The address as stored (domain in lower case), None when empty; ContactError when not valid."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        checked = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        raise ContactError(str(_l("Not a valid e-mail address."))) from error
    return checked.normalized


def normal_phone(value: str | None) -> str | None:
    """The mobile number in E.164 (+77011234567), None when empty; ContactError when not valid."""
    value = (value or "").strip()
    if not value:
        return None
    region = current_app.config.get("LMS_PHONE_REGION", DEFAULT_REGION) if has_app_context() else DEFAULT_REGION
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as error:
        raise ContactError(str(_l("Not a valid phone number."))) from error
    if not phonenumbers.is_valid_number(number):
        raise ContactError(str(_l("Not a valid phone number.")))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_field_check(form, field) -> None:
    """WTForms validator: an optional e-mail address, normalised in place."""
    try:
        field.data = normal_email(field.data)
    except ContactError as error:
        raise ValidationError(str(error)) from error


def phone_field_check(form, field) -> None:
    """WTForms validator: an optional mobile number, normalised to E.164 in place."""
    try:
        field.data = normal_phone(field.data)
    except ContactError as error:
        raise ValidationError(str(error)) from error
