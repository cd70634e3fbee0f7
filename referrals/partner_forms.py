"""Web forms of a partner organisation's sign-up, members and API clients. The centers'
generic forms (ConfirmForm, JoinForm, country_choices) are reused as they are; these
are the partner variants of the others (partner roles, partner scopes)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError

from core.accounts.forms import new_password_fields
from core.forms import StrictForm, strip, strip_lower
from core.oauth.clients import ClientSpec
from core.oauth.scopes import SCOPES, organisation_scopes
from referrals.models import PartnerKind, PartnerRole
from referrals.partner_signup import Account, Organisation, partner_registration_problem
from referrals.views import KIND_LABELS
from tenants.forms import ClientForm, country_choices


def partner_role_choices() -> list[SelectChoice]:
    from core.views import ROLE_LABELS

    return [SelectChoice(r.value, ROLE_LABELS[r.value]) for r in PartnerRole]


class PartnerSignupSignedInForm(StrictForm):
    """The organisation, for someone already signed in: they become its administrator."""

    name = StringField(
        _l("Organisation name"), filters=[strip], validators=[DataRequired(), Length(2, 200)]
    )
    kind = SelectField(
        _l("Kind of organisation"),
        choices=[SelectChoice(k.value, KIND_LABELS[k.value]) for k in PartnerKind],
        validators=[InputRequired()],
    )
    registration_number = StringField(
        _l("Registration number (optional)"),
        filters=[strip],
        validators=[Length(max=20)],
        description=_l("In France, the SIREN (9 digits) or SIRET (14 digits)."),
    )
    country = SelectField(_l("Country"), default="FR", validators=[InputRequired()])
    accept_terms = BooleanField(
        _l("I accept the terms of service and the data processing agreement"),
        validators=[DataRequired(message=_l("Please accept the terms to continue."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()

    def validate_registration_number(self, field: StringField) -> None:
        problem = partner_registration_problem(field.data or "", self.country.data or "")
        if problem:
            raise ValidationError(str(problem))

    def organisation(self) -> Organisation:
        return Organisation(
            name=self.name.data,
            kind=self.kind.data,
            registration_number=self.registration_number.data or "",
            country=self.country.data,
        )


class PartnerSignupForm(PartnerSignupSignedInForm):
    """The organisation and its administrator's new account."""

    admin_name = StringField(
        _l("Your full name"), filters=[strip], validators=[DataRequired(), Length(2, 120)]
    )
    email = EmailField(
        _l("Your work email"),
        filters=[strip_lower],
        validators=[DataRequired(), Email(), Length(max=254)],
    )
    password, password_confirm = new_password_fields(_l("Password"), _l("Confirm the password"))

    def account(self, locale: str) -> Account:
        return Account(self.admin_name.data, self.email.data, self.password.data, locale)


class PartnerInviteForm(StrictForm):
    email = EmailField(
        _l("Email"), filters=[strip_lower], validators=[DataRequired(), Email(), Length(max=254)]
    )
    role = SelectField(_l("Role"), default=PartnerRole.REFERRER.value, validators=[InputRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = partner_role_choices()


class PartnerRoleForm(StrictForm):
    role = SelectField(_l("Role"), validators=[InputRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = partner_role_choices()


class PartnerClientForm(ClientForm):
    """An API client of the partner: the organisation's scopes only (no `profile`, which
    acts for a person); a test client sends its referrals to the sandbox center."""

    sandbox = BooleanField(
        _l("Test client (sandbox)"),
        description=_l(
            "Its referrals go to a sandbox center, whatever center they name, and move "
            "through every step on their own: try your integration and its webhooks end "
            "to end without bothering a real center."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scopes.choices = [
            SelectChoice(name, SCOPES[name].description) for name in organisation_scopes("partner")
        ]

    def spec(self) -> ClientSpec:
        return replace(super().spec(), sandbox=bool(self.sandbox.data))
