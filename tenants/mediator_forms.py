"""Web forms of the center's mediator pages: they check the input's shape; the services
(tenants.services.affiliations, mediator_claims, compliance_board) hold the rules."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from core.credentials.compliance import Status
from core.credentials.profiles import ProfileInput
from core.forms import StrictForm, strip, strip_lower
from tenants.models import AffiliationStatus
from tenants.services.affiliations import MAX_NOTES, AffiliationChange
from tenants.services.compliance_board import MAX_SEARCH, NO_CERTIFICATION

MAX_REASON = 500

AFFILIATION_LABELS: dict[str, Any] = {
    "invited": _l("Invited"),
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "ended": _l("Ended"),
}
STATUS_LABELS: dict[str, Any] = {
    Status.COMPLIANT: _l("Compliant"),
    Status.EXPIRING: _l("Expiring soon"),
    Status.UNVERIFIED: _l("Awaiting verification"),
    Status.UNKNOWN_RULE: _l("Rule not known"),
    Status.HOURS_SHORT: _l("Hours short"),
    Status.EXPIRED: _l("Expired"),
    Status.REVOKED: _l("Revoked"),
    NO_CERTIFICATION: _l("No certification"),
}
STATUS_COLOURS: dict[str, str] = {
    Status.COMPLIANT: "success",
    Status.EXPIRING: "warning",
    Status.UNVERIFIED: "info",
    Status.UNKNOWN_RULE: "secondary",
    Status.HOURS_SHORT: "danger",
    Status.EXPIRED: "danger",
    Status.REVOKED: "dark",
    NO_CERTIFICATION: "light",
}
VERIFICATION_LABELS: dict[str, Any] = {
    "pending": _l("Awaiting verification"),
    "verified": _l("Verified"),
    "rejected": _l("Rejected"),
}


def _email_field(label: Any) -> EmailField:
    return EmailField(
        label, filters=[strip_lower], validators=[DataRequired(), Email(), Length(max=254)]
    )


class AddMediatorForm(StrictForm):
    """A mediator added by email: linked to their own profile if they have one, else
    a new profile made from the name and title, for them to claim."""

    email = _email_field(_l("Email"))
    display_name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[DataRequired(), Length(max=120)],
        description=_l("If they already have a profile on Mediation Hub, theirs is used."),
    )
    title = StringField(
        _l("Professional title (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=120)],
    )

    def profile_input(self) -> ProfileInput:
        return ProfileInput(display_name=self.display_name.data or "", title=self.title.data or "")


class ClaimLinkForm(StrictForm):
    """A new claim link for a profile the center created, to the same or another address."""

    email = _email_field(_l("Email"))


class AffiliationForm(StrictForm):
    status = SelectField(_l("Status"), validators=[InputRequired()])
    rate_eur = StringField(
        _l("Center rate (EUR per hour)"),
        filters=[strip],
        validators=[Optional(), Length(max=12)],
        description=_l("Seen only by your center."),
    )
    internal_notes = TextAreaField(
        _l("Internal notes"),
        filters=[strip],
        validators=[Optional(), Length(max=MAX_NOTES)],
        description=_l("Seen only by your center: never by the mediator or another center."),
    )
    published = BooleanField(_l("Published on the marketplace"))

    def __init__(
        self, *args: Any, statuses: list[AffiliationStatus] | None = None, **kwargs: Any
    ) -> None:
        """`statuses`: the current status and those it may move to (default: all)."""
        super().__init__(*args, **kwargs)
        choices = list(AffiliationStatus) if statuses is None else statuses
        self.status.choices = [SelectChoice(s.value, AFFILIATION_LABELS[s.value]) for s in choices]

    @staticmethod
    def data_of(affiliation: Any) -> dict[str, Any]:
        rate = affiliation.rate_eur
        return {
            "status": affiliation.status.value,
            "rate_eur": "" if rate is None else f"{rate:.2f}",
            "internal_notes": affiliation.internal_notes or "",
            "published": affiliation.published,
        }

    def change(self) -> AffiliationChange:
        return AffiliationChange(
            status=self.status.data or "",
            rate_eur=self.rate_eur.data,
            internal_notes=self.internal_notes.data,
            published=bool(self.published.data),
        )


class RejectForm(StrictForm):
    reason = TextAreaField(
        _l("Reason for rejecting"),
        filters=[strip],
        validators=[
            DataRequired(message=_l("Say why it is rejected: the mediator reads the reason.")),
            Length(max=MAX_REASON),
        ],
    )


class ComplianceFilterForm(FlaskForm):
    """The dashboard's filters (a GET form: no CSRF, it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name"), filters=[strip], validators=[Optional(), Length(max=MAX_SEARCH)])
    status = SelectField(_l("Compliance"), validators=[Optional()])
    scheme = SelectField(_l("Certification"), validators=[Optional()])
    affiliation = SelectField(_l("Affiliation"), validators=[Optional()])

    def __init__(self, *args: Any, schemes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [
            SelectChoice("", _l("Any status")),
            *(SelectChoice(str(value), label) for value, label in STATUS_LABELS.items()),
        ]
        self.scheme.choices = [
            SelectChoice("", _l("Any certification")),
            *(SelectChoice(code, name) for code, name in schemes),
        ]
        live = [s for s in AffiliationStatus if s != AffiliationStatus.ENDED]
        self.affiliation.choices = [
            SelectChoice("", _l("Any affiliation")),
            *(SelectChoice(s.value, AFFILIATION_LABELS[s.value]) for s in live),
        ]
