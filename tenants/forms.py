"""Web forms of the center pages: they parse and check input shape; the services hold
the rules (uniqueness, roles) and answer with field errors the views attach here."""

from __future__ import annotations

from typing import Any

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    UUID,
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from core.accounts.forms import LANGUAGE_CHOICES, new_password_fields
from core.forms import StrictForm, strip, strip_lower
from core.oauth.clients import MAX_REDIRECT_URI_LENGTH, MAX_REDIRECT_URIS, ClientSpec
from core.oauth.forms import GRANT_TYPE_LABELS
from core.oauth.scopes import SCOPES, scopes_for
from tenants.models import Role
from tenants.services import registration_problem, slug_problem, time_zones

# Codes Babel knows that are not ISO 3166-1 alpha-2 countries (regions, reserved codes).
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)


def country_choices() -> list[SelectChoice]:
    """ISO 3166 alpha-2 countries, named and sorted in the page's language."""
    territories = Locale.parse(str(get_locale() or "fr")).territories
    countries = [
        SelectChoice(code, name)
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    ]
    return sorted(countries, key=lambda c: c.label.casefold())


def role_choices(include_owner: bool = True) -> list[SelectChoice]:
    from core.views import ROLE_LABELS

    return [
        SelectChoice(r.value, ROLE_LABELS[r.value])
        for r in Role
        if include_owner or r != Role.OWNER
    ]


class _CenterIdentity:
    """Shared by sign-up and settings: the registration number depends on the country."""

    def validate_registration_number(self, field: StringField) -> None:
        problem = registration_problem(field.data or "", self.country.data or "")  # type: ignore[attr-defined]
        if problem:
            raise ValidationError(str(problem))


def _setup_identity_choices(form: Any) -> None:
    form.country.choices = country_choices()
    form.timezone.choices = [SelectChoice(tz, tz.replace("_", " ")) for tz in time_zones()]


class SignupForm(_CenterIdentity, StrictForm):
    legal_name = StringField(
        _l("Center legal name"), filters=[strip], validators=[DataRequired(), Length(2, 200)]
    )
    slug = StringField(
        _l("Web address"),
        filters=[strip_lower],
        validators=[Optional(), Length(max=63)],
        description=_l("Leave empty to derive it from the name."),
    )
    registration_number = StringField(
        _l("Registration number (SIRET)"),
        filters=[strip],
        validators=[DataRequired(), Length(max=20)],
        description=_l("14 digits for a French center; up to 14 letters and digits elsewhere."),
    )
    city = StringField(_l("City"), filters=[strip], validators=[DataRequired(), Length(max=100)])
    # InputRequired, not DataRequired: a default or the center's current value would
    # otherwise stand in for a field missing from the post.
    country = SelectField(_l("Country"), default="FR", validators=[InputRequired()])
    # No fixed default: __init__ offers the visitor's own language.
    locale = SelectField(_l("Language of the center"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Time zone"), default="Europe/Paris", validators=[InputRequired()])
    owner_name = StringField(
        _l("Your full name"), filters=[strip], validators=[DataRequired(), Length(2, 120)]
    )
    email = EmailField(
        _l("Your work email"),
        filters=[strip_lower],
        validators=[DataRequired(), Email(), Length(max=254)],
    )
    password, password_confirm = new_password_fields(_l("Password"), _l("Confirm the password"))
    accept_terms = BooleanField(
        _l("I accept the terms of service and the data processing agreement"),
        validators=[DataRequired(message=_l("Please accept the terms to continue."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _setup_identity_choices(self)
        if not self.is_submitted():
            self.locale.data = self.locale.data or str(get_locale() or "fr")

    def validate_slug(self, field: StringField) -> None:
        if field.data and not field.errors:
            problem = slug_problem(field.data)
            if problem:
                raise ValidationError(str(problem))


class SettingsForm(_CenterIdentity, StrictForm):
    # Filled from the center: InputRequired so that a field missing from the post is an
    # error rather than the current value.
    legal_name = StringField(
        _l("Center legal name"),
        filters=[strip],
        validators=[InputRequired(), DataRequired(), Length(2, 200)],
    )
    registration_number = StringField(
        _l("Registration number (SIRET)"),
        filters=[strip],
        validators=[InputRequired(), DataRequired(), Length(max=20)],
    )
    city = StringField(
        _l("City"), filters=[strip], validators=[InputRequired(), DataRequired(), Length(max=100)]
    )
    country = SelectField(_l("Country"), validators=[InputRequired()])
    locale = SelectField(
        _l("Language of the center"), choices=LANGUAGE_CHOICES, validators=[InputRequired()]
    )
    timezone = SelectField(_l("Time zone"), validators=[InputRequired()])
    require_2fa_for_admins = BooleanField(
        _l("Require two-factor authentication for owners and administrators")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _setup_identity_choices(self)


class InviteForm(StrictForm):
    email = EmailField(
        _l("Email"), filters=[strip_lower], validators=[DataRequired(), Email(), Length(max=254)]
    )
    role = SelectField(_l("Role"), default=Role.MEDIATOR.value, validators=[InputRequired()])

    def __init__(self, *args: Any, include_owner: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices(include_owner)


class RoleForm(StrictForm):
    role = SelectField(_l("Role"), validators=[InputRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class ConfirmForm(StrictForm):
    """A button-only form (remove, revoke, resend): CSRF and nothing else."""


class ClientForm(StrictForm):
    """An API client of the center; core.oauth.clients.check_spec holds the rules."""

    name = StringField(
        _l("Application name"), filters=[strip], validators=[DataRequired(), Length(max=100)]
    )
    client_type = RadioField(
        _l("Type"),
        choices=[
            SelectChoice("confidential", _l("Confidential: runs on a server that keeps a secret")),
            SelectChoice("public", _l("Public: a mobile or browser app, with no secret")),
        ],
        default="confidential",
        validators=[InputRequired()],
    )
    grant_types = SelectMultipleField(
        _l("Grant types"),
        choices=[SelectChoice(value, label) for value, label in GRANT_TYPE_LABELS.items()],
        validators=[InputRequired(message=_l("Choose at least one grant type."))],
    )
    scopes = SelectMultipleField(
        _l("Scopes"), validators=[InputRequired(message=_l("Choose at least one scope."))]
    )
    # One URI per line; each is checked by the service (https, exact match).
    redirect_uris = TextAreaField(
        _l("Redirect URIs"),
        filters=[strip],
        validators=[Optional(), Length(max=MAX_REDIRECT_URIS * (MAX_REDIRECT_URI_LENGTH + 2))],
        description=_l("One per line, needed for the authorization code grant."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scopes.choices = [
            SelectChoice(name, SCOPES[name].description) for name in scopes_for("tenant")
        ]

    def spec(self) -> ClientSpec:
        return ClientSpec(
            name=self.name.data or "",
            confidential=self.client_type.data == "confidential",
            grant_types=list(self.grant_types.data or []),
            scopes=list(self.scopes.data or []),
            redirect_uris=[
                line.strip()
                for line in (self.redirect_uris.data or "").splitlines()
                if line.strip()
            ],
        )


class JoinForm(StrictForm):
    name = StringField(
        _l("Your full name"), filters=[strip], validators=[DataRequired(), Length(2, 120)]
    )
    password, password_confirm = new_password_fields(
        _l("Choose a password"), _l("Confirm the password")
    )
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


# --- audit log filters (a GET form: no CSRF, it changes nothing) -----------------------

ACTION_LABELS: dict[str, Any] = {
    "center.created": _l("Center created"),
    "center.activated": _l("Center activated"),
    "center.updated": _l("Settings changed"),
    "member.role_changed": _l("Role changed"),
    "member.removed": _l("Member removed"),
    "invitation.created": _l("Invitation sent"),
    "invitation.resent": _l("Invitation sent again"),
    "invitation.revoked": _l("Invitation revoked"),
    "invitation.accepted": _l("Invitation accepted"),
    "mediator.created": _l("Mediator profile created"),
    "mediator.invited": _l("Mediator invited"),
    "mediator.claim_link_sent": _l("Claim link sent again"),
    "mediator.claimed": _l("Mediator profile claimed"),
    "mediator.accepted": _l("Mediator accepted the invitation"),
    "affiliation.updated": _l("Affiliation changed"),
    "affiliation.ended": _l("Affiliation ended"),
    "record.verified": _l("Training record verified"),
    "record.rejected": _l("Training record rejected"),
    "certification.verified": _l("Certification verified"),
    "certification.rejected": _l("Certification rejected"),
    "referral.read": _l("Referred case opened"),
    "referral.conflict_overridden": _l("Mediator assigned despite a possible conflict of interest"),
}


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    member = SelectField(_l("Member"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
    # The id of the last event of the previous page (see services.audit_page).
    before = StringField(validators=[Optional(), Length(max=36), UUID()])

    def __init__(self, *args: Any, members: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actions = [SelectChoice(value, label) for value, label in ACTION_LABELS.items()]
        self.action.choices = [SelectChoice("", _l("All actions")), *actions]
        people = [SelectChoice(value, label) for value, label in members]
        self.member.choices = [SelectChoice("", _l("All members")), *people]

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(str(_l("The end date is before the start date.")))
