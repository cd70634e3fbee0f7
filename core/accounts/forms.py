"""Account forms. Every field has a length limit: nothing unbounded reaches a service
(argon2 in particular costs more with longer input); and, like every web form, they
refuse fields they do not declare (core.forms.StrictForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Regexp

from core.accounts.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from core.forms import StrictForm, strip

EMAIL_MAX = 254  # RFC 5321 path limit, and the users.email column
NAME_MAX = 120  # the users.name column

# Language names are written in their own language, so they are not translated.
LANGUAGE_CHOICES = [SelectChoice("fr", "Français"), SelectChoice("en", "English")]


def _digits_only(value: str | None) -> str | None:
    # Authenticator apps show "123 456"; people type it as they see it.
    return "".join(value.split()) if value else value


def new_password_fields(
    label: str = _l("New password"), confirm_label: str = _l("Confirm the new password")
) -> tuple[PasswordField, PasswordField]:
    """A new password and its confirmation (to be named `password` and a confirm field)."""
    password = PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                # Length fills in min and max itself.
                message=_l("Use between %(min)d and %(max)d characters."),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
        description=_l(
            "At least %(min)d characters. A few unrelated words are easy to remember.",
            min=MIN_PASSWORD_LENGTH,
        ),
    )
    confirm = PasswordField(
        confirm_label,
        validators=[
            DataRequired(),
            Length(max=MAX_PASSWORD_LENGTH),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def _code_field() -> StringField:
    return StringField(
        _l("6-digit code"),
        filters=[_digits_only],
        validators=[
            DataRequired(),
            Length(max=6),
            Regexp(r"^\d{6}$", message=_l("Enter the 6 digits shown by your app.")),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "maxlength": 7,
            "size": 8,
        },
    )


class LoginForm(StrictForm):
    email = EmailField(
        _l("Email address"),
        filters=[strip],
        # Checked before any lookup: a malformed address is a typo, not a failed sign-in.
        validators=[DataRequired(), Length(max=EMAIL_MAX), Email()],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class TwoFactorLoginForm(StrictForm):
    code = _code_field()


class EmailForm(StrictForm):
    """Forgotten password and new verification link: only an address."""

    email = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[DataRequired(), Length(max=EMAIL_MAX), Email()],
        render_kw={"autocomplete": "email"},
    )


class ResetPasswordForm(StrictForm):
    password, confirm = new_password_fields()


class ProfileForm(StrictForm):
    # InputRequired: filled from the user, a field missing from the post would otherwise
    # keep its current value silently.
    name = StringField(
        _l("Full name"),
        validators=[InputRequired(), DataRequired(), Length(max=NAME_MAX)],
        filters=[lambda v: v.strip() if v else v],
        render_kw={"autocomplete": "name"},
    )
    locale = SelectField(
        _l("Preferred language"), choices=LANGUAGE_CHOICES, validators=[InputRequired()]
    )


class ChangePasswordForm(StrictForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()


class EnableTwoFactorForm(StrictForm):
    code = _code_field()


class DisableTwoFactorForm(StrictForm):
    password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    code = _code_field()
