"""Web forms of the referral pages (the center's inbox, the partner's portal) and the
labels they show. The forms check the input's shape; referrals.cases holds the rules
and answers with per-field errors that the views attach here.

A referral's parties are MAX_FORM_PARTIES rows of plain fields (`party_name_0`,
`party_role_0`, ... `party_lawyer_4`) rather than a FieldList, so that every posted
name is a declared field (StrictForm refuses any other).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from core.credentials.forms import MODE_LABELS, SPECIALTY_LABELS
from core.credentials.regions import language_names
from core.forms import StrictForm, strip, strip_lower
from referrals import cases
from referrals.lifecycle import STATUS_LABELS
from referrals.models import Outcome, PartyRole, ReferralStatus, Urgency

MAX_FORM_PARTIES = 5
MAX_REASON = 1000
MAX_AMOUNT = Decimal(10**12)

STATUS_COLOURS: dict[str, str] = {
    ReferralStatus.SUBMITTED: "primary",
    ReferralStatus.ACKNOWLEDGED: "info",
    ReferralStatus.ACCEPTED: "info",
    ReferralStatus.DECLINED: "danger",
    ReferralStatus.CANCELLED: "secondary",
    ReferralStatus.ASSIGNED: "warning",
    ReferralStatus.SCHEDULED: "warning",
    ReferralStatus.CONCLUDED: "success",
    ReferralStatus.CLOSED: "secondary",
}
OUTCOME_LABELS: dict[str, Any] = {
    Outcome.AGREEMENT: _l("Agreement"),
    Outcome.PARTIAL_AGREEMENT: _l("Partial agreement"),
    Outcome.NO_AGREEMENT: _l("No agreement"),
    Outcome.WITHDRAWN: _l("Withdrawn"),
}
URGENCY_LABELS: dict[str, Any] = {
    Urgency.STANDARD: _l("Standard"),
    Urgency.URGENT: _l("Urgent"),
}
PARTY_ROLE_LABELS: dict[str, Any] = {
    PartyRole.CLAIMANT: _l("Claimant"),
    PartyRole.RESPONDENT: _l("Respondent"),
    PartyRole.OTHER: _l("Other"),
}
# A timeline's steps, by the event's kind (referrals.cases._event).
EVENT_LABELS: dict[str, Any] = {
    "created": _l("Referral sent"),
    "cancel": _l("Cancelled by the partner"),
    "acknowledge": _l("Receipt acknowledged"),
    "accept": _l("Accepted by the center"),
    "decline": _l("Declined by the center"),
    "assign": _l("Mediator assigned"),
    "schedule": _l("First session scheduled"),
    "record_outcome": _l("Outcome recorded"),
    "close": _l("Case closed"),
}
ACTOR_LABELS: dict[str, Any] = {
    "partner": _l("The partner"),
    "center": _l("The center"),
    "system": _l("Mediation Hub"),
}


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


def status_label(status: Any) -> str:
    return str(STATUS_LABELS[ReferralStatus(str(status))])


# --- the lists' filter (a GET form: no CSRF, it changes nothing) --------------------------


class ReferralFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Any status")), *_choices(STATUS_LABELS)],
        validators=[Optional()],
    )
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100_000)])


# --- the center's steps ------------------------------------------------------------------


class DeclineForm(StrictForm):
    reason = TextAreaField(
        _l("Reason given to the partner"),
        filters=[strip],
        validators=[DataRequired(), Length(max=MAX_REASON)],
    )


class AssignForm(StrictForm):
    mediator_id = SelectField(_l("Mediator"), validators=[InputRequired()])
    # Shown once the conflict-of-interest check has found something (or when filled).
    override_reason = TextAreaField(
        _l("Reason for assigning this mediator anyway"),
        filters=[strip],
        validators=[Optional(), Length(max=MAX_REASON)],
        description=_l(
            "At least %(min)d characters. It is kept in the center's audit log; "
            "the partner never sees it.",
            min=cases.MIN_OVERRIDE_REASON,
        ),
    )

    def __init__(self, *args: Any, mediators: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        people = [SelectChoice(value, label) for value, label in mediators or []]
        self.mediator_id.choices = [SelectChoice("", _l("Choose a mediator")), *people]


class ScheduleForm(StrictForm):
    scheduled_at = DateTimeLocalField(
        _l("Date and time of the first session"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        validators=[InputRequired()],
    )

    def __init__(self, *args: Any, zone: str = "Europe/Paris", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(zone)

    def validate_scheduled_at(self, field: DateTimeLocalField) -> None:
        # A time the clocks skip when they go forward does not exist in the zone.
        if field.data is not None and self.scheduled_at_in_zone() is None:
            raise ValidationError(
                str(_l("This time does not exist in the center's time zone (clocks change)."))
            )

    def scheduled_at_in_zone(self) -> datetime | None:
        """The date and time typed, in the center's time zone (None if it is skipped)."""
        typed = self.scheduled_at.data
        if typed is None:
            return None
        at = typed.replace(tzinfo=self.zone)
        if at.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) != typed:
            return None
        return at


class OutcomeForm(StrictForm):
    outcome = SelectField(
        _l("Outcome"),
        choices=[SelectChoice("", _l("Choose an outcome")), *_choices(OUTCOME_LABELS)],
        validators=[InputRequired()],
    )


# --- the partner's new referral -----------------------------------------------------------

_AMOUNT = re.compile(r"^\d+(?:[.,]\d{1,2})?$")


def parse_amount(text: str | None) -> Decimal | None:
    """An amount in euros as people type it ("18500", "18 500,50", "18500.50"), or None
    when empty; ValueError when it is not one."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text or "").removesuffix("€")
    if not cleaned:
        return None
    if not _AMOUNT.match(cleaned):
        raise ValueError(cleaned)
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        raise ValueError(cleaned) from None


def party_fields(row: int) -> tuple[str, str, str, str, str]:
    """The names of row `row`'s fields: name, role, email, phone, lawyer."""
    return tuple(  # type: ignore[return-value]
        f"party_{part}_{row}" for part in ("name", "role", "email", "phone", "lawyer")
    )


class ReferralForm(StrictForm):
    center = SelectField(_l("Mediation center"), validators=[InputRequired()])
    preferred_mediator_id = SelectField(_l("Preferred mediator"), validators=[Optional()])
    reference = StringField(
        _l("Your reference"),
        filters=[strip],
        validators=[Optional(), Length(max=100)],
        description=_l("Your own case number, to find the case again."),
    )
    dispute_type = SelectField(
        _l("Kind of dispute"),
        choices=[SelectChoice("", _l("Choose a kind of dispute")), *_choices(SPECIALTY_LABELS)],
        validators=[InputRequired()],
    )
    summary = TextAreaField(
        _l("Summary of the dispute"),
        filters=[strip],
        validators=[DataRequired(), Length(max=cases.MAX_SUMMARY)],
        description=_l("What the dispute is about, for the center only. It stays confidential."),
    )
    amount_eur = StringField(
        _l("Amount at stake (EUR)"),
        filters=[strip],
        validators=[Optional(), Length(max=24)],
        description=_l("Optional. For example 18500 or 18 500,50."),
    )
    urgency = SelectField(
        _l("Urgency"),
        choices=_choices(URGENCY_LABELS),
        default=Urgency.STANDARD.value,
        validators=[InputRequired()],
    )
    language = SelectField(_l("Language of the mediation"), validators=[InputRequired()])
    preferred_mode = SelectField(
        _l("Preferred way of meeting"),
        choices=[SelectChoice("", _l("No preference")), *_choices(MODE_LABELS)],
        validators=[Optional()],
    )
    parties_informed = BooleanField(
        _l("The parties have been told of this referral"),
        validators=[DataRequired(message=_l("The parties must have been told of the referral."))],
    )
    contact_consent = BooleanField(
        _l("The parties agree to be contacted by the center"),
        validators=[
            DataRequired(message=_l("The parties must agree to be contacted by the center."))
        ],
    )

    def __init__(
        self,
        *args: Any,
        centers: list[tuple[str, str]] | None = None,
        mediators: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.center.choices = [
            SelectChoice("", _l("Choose a center")),
            *(SelectChoice(value, label) for value, label in centers or []),
        ]
        self.preferred_mediator_id.choices = [
            SelectChoice("", _l("No preference")),
            *(SelectChoice(value, label) for value, label in mediators or []),
        ]
        locale = str(get_locale() or "fr")
        self.language.choices = [SelectChoice(c, n) for c, n in language_names(locale)]
        if not self.is_submitted():
            self.language.data = self.language.data or locale
        roles = _choices(PARTY_ROLE_LABELS)
        for row in range(MAX_FORM_PARTIES):
            role = self[party_fields(row)[1]]
            role.choices = roles if row == 0 else [SelectChoice("", "—"), *roles]
            if row == 1 and not self.is_submitted():
                role.data = role.data or PartyRole.RESPONDENT.value

    def validate_amount_eur(self, field: StringField) -> None:
        try:
            amount = parse_amount(field.data)
        except ValueError:
            raise ValidationError(
                str(_l("Give an amount in euros, for example 18500 or 18 500,50."))
            ) from None
        if amount is not None and amount > MAX_AMOUNT:
            raise ValidationError(str(_l("This amount is too large.")))

    def party_rows(self) -> list[tuple[Any, ...]]:
        """The (name, role, email, phone, lawyer) fields of each row."""
        return [tuple(self[name] for name in party_fields(row)) for row in range(MAX_FORM_PARTIES)]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        for name, role, email, phone, lawyer in self.party_rows():
            used = name.data or email.data or phone.data or lawyer.data
            if used and not name.data and not name.errors:
                name.errors.append(_l("Give this party's name."))
                valid = False
            if name.data and not role.data and not role.errors:
                role.errors.append(_l("Choose this party's role."))
                valid = False
        return valid

    def referral_input(self) -> cases.ReferralInput:
        parties = [
            cases.PartyInput(
                name=name.data,
                role=role.data,
                email=email.data or None,
                phone=phone.data or None,
                lawyer=lawyer.data or None,
            )
            for name, role, email, phone, lawyer in self.party_rows()
            if name.data
        ]
        mediator = self.preferred_mediator_id.data
        return cases.ReferralInput(
            center=self.center.data or "",
            dispute_type=self.dispute_type.data or "",
            summary=self.summary.data or "",
            language=self.language.data or "",
            parties=parties,
            parties_informed=bool(self.parties_informed.data),
            contact_consent=bool(self.contact_consent.data),
            urgency=self.urgency.data or Urgency.STANDARD.value,
            reference=self.reference.data or None,
            amount_eur=parse_amount(self.amount_eur.data),
            preferred_mode=self.preferred_mode.data or None,
            preferred_mediator_id=uuid_or_none(mediator),
        )


def uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


for _row in range(MAX_FORM_PARTIES):
    _name, _role, _email, _phone, _lawyer = party_fields(_row)
    _first = _row == 0
    setattr(
        ReferralForm,
        _name,
        StringField(
            _l("Name"),
            filters=[strip],
            validators=[DataRequired() if _first else Optional(), Length(max=200)],
        ),
    )
    setattr(
        ReferralForm,
        _role,
        SelectField(
            _l("Role"),
            default=PartyRole.CLAIMANT.value if _first else "",
            validators=[InputRequired() if _first else Optional()],
        ),
    )
    setattr(
        ReferralForm,
        _email,
        EmailField(
            _l("Email"),
            filters=[strip_lower],
            validators=[Optional(), Email(), Length(max=254)],
        ),
    )
    setattr(
        ReferralForm,
        _phone,
        StringField(_l("Phone"), filters=[strip], validators=[Optional(), Length(max=40)]),
    )
    setattr(
        ReferralForm,
        _lawyer,
        StringField(
            _l("Lawyer"),
            filters=[strip],
            validators=[Optional(), Length(max=200)],
            description=_l("Name and firm, if the party has one."),
        ),
    )


# --- what the pages show ------------------------------------------------------------------


def page_helpers(zone: str) -> dict[str, Any]:
    """The templates' helpers: dates in `zone` (the center's time zone), amounts, labels."""
    locale = str(get_locale() or "fr")
    names = dict(language_names(locale))

    def when(value: datetime | str | None) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return format_datetime(value, "medium", tzinfo=ZoneInfo(zone), locale=locale)

    def money(value: Decimal | str | None) -> str:
        if value is None or value == "":
            return "—"
        return format_currency(Decimal(str(value)), "EUR", locale=locale)

    def label(labels: dict[str, Any]) -> Any:
        return lambda value: labels.get(str(value), value) if value else "—"

    return {
        "when": when,
        "money": money,
        "zone": zone,
        "status_label": status_label,
        "status_colour": lambda s: STATUS_COLOURS[ReferralStatus(str(s))],
        "outcome_label": label(OUTCOME_LABELS),
        "urgency_label": label(URGENCY_LABELS),
        "party_role_label": label(PARTY_ROLE_LABELS),
        "event_label": label(EVENT_LABELS),
        "actor_label": label(ACTOR_LABELS),
        "dispute_label": label(SPECIALTY_LABELS),
        "mode_label": label(MODE_LABELS),
        "language_label": label(names),
        "statuses": [s.value for s in ReferralStatus],
    }
