"""Sign-in and password forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from lms.auth.contact import email_field_check, phone_field_check
from lms.auth.passwords import MIN_LENGTH, too_easy


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=200)],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})

    related: tuple[str, ...] = ()  # the account's username and name, which a password must not lean on

    def validate_new(self, field: PasswordField) -> None:
        """Refuse the current password again, and a common or easily guessed one."""
        if field.data == self.current.data:
            raise ValidationError(_l("Choose a password different from the current one."))
        if len(field.data) >= MIN_LENGTH and too_easy(field.data, *self.related):
            raise ValidationError(_l("This password is too easy to guess: it is a common password or close to "
                                     "your name. A few unrelated words make a good one."))


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), validators=[DataRequired(), Length(max=100)])


class ContactForm(FlaskForm):
    """One's own contact details for reminders, and the opt-out."""

    email = EmailField(_l("E-mail address"), validators=[Length(max=254), email_field_check],
                       render_kw={"autocomplete": "email"})
    phone = TelField(_l("Mobile number"), validators=[Length(max=40), phone_field_check],
                     render_kw={"autocomplete": "tel"})
    opt_out = BooleanField(_l("Send me no reminders"))
