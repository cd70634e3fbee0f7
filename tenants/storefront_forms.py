"""Web forms of the center's marketplace pages (page settings, offers) and of its
inquiries: they check the input's shape; tenants.services.storefront and
tenants.services.inquiries hold the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
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
    Regexp,
)

from core.credentials.regions import countries, departments, language_names
from core.forms import StrictForm, strip, strip_lower
from tenants.services.storefront import (
    MAX_ADDRESS,
    MAX_EMAIL,
    MAX_INCLUDED,
    MAX_MINUTES,
    MAX_OFFER_NAME,
    MAX_PHONE,
    MAX_POSITION,
    MAX_POSTAL_CODE,
    MAX_PRESENTATION,
    MAX_SESSIONS,
    MAX_STEP,
    MAX_STEPS,
    MAX_WEBSITE,
    CenterPageInput,
    OfferInput,
)
from tenants.storefront_models import InquiryStatus, OfferKind, OfferMode, OfferPricing

OFFER_KIND_LABELS: dict[str, Any] = {
    OfferKind.EXPRESS: _l("Express mediation"),
    OfferKind.STANDARD: _l("Standard mediation"),
    OfferKind.LONG: _l("Long sessions"),
    OfferKind.HYBRID: _l("Hybrid (online and in person)"),
}
OFFER_PRICING_LABELS: dict[str, Any] = {
    OfferPricing.PER_PARTY: _l("Per party"),
    OfferPricing.SHARED: _l("Shared between the parties"),
}
OFFER_MODE_LABELS: dict[str, Any] = {
    OfferMode.ONLINE: _l("Online"),
    OfferMode.IN_PERSON: _l("In person"),
    OfferMode.HYBRID: _l("Online and in person"),
}
INQUIRY_STATUS_LABELS: dict[str, Any] = {
    InquiryStatus.NEW: _l("New"),
    InquiryStatus.IN_PROGRESS: _l("In progress"),
    InquiryStatus.CLOSED: _l("Closed"),
}
INQUIRY_STATUS_COLOURS: dict[str, str] = {
    InquiryStatus.NEW: "primary",
    InquiryStatus.IN_PROGRESS: "warning",
    InquiryStatus.CLOSED: "secondary",
}
# Steps are typed one per line: the textarea holds them all, line breaks included.
MAX_STEPS_TEXT = MAX_STEPS * (MAX_STEP + 2)


def _choices(labels: dict[str, Any]) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


def _locale() -> str:
    return str(get_locale() or "fr")


class CenterPageForm(StrictForm):
    presentation_fr = TextAreaField(
        _l("Presentation in French"),
        validators=[Optional(), Length(max=MAX_PRESENTATION)],
    )
    presentation_en = TextAreaField(
        _l("Presentation in English"),
        validators=[Optional(), Length(max=MAX_PRESENTATION)],
    )
    address = StringField(
        _l("Address"), filters=[strip], validators=[Optional(), Length(max=MAX_ADDRESS)]
    )
    postal_code = StringField(
        _l("Postal code"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=MAX_POSTAL_CODE),
            Regexp(r"^[A-Za-z0-9 \-]+$", message=_l("Use letters, digits and spaces only.")),
        ],
    )
    service_area = SelectMultipleField(
        _l("Service area"),
        validators=[Optional()],
        description=_l("French departments and countries. Hold Ctrl (or ⌘) to choose several."),
    )
    languages = SelectMultipleField(_l("Languages"), validators=[Optional()])
    website = StringField(
        _l("Website"),
        filters=[strip],
        validators=[Optional(), Length(max=MAX_WEBSITE)],
        description=_l("Starting with https:// or http://."),
    )
    contact_email = EmailField(
        _l("Contact email"),
        filters=[strip_lower],
        validators=[Optional(), Email(), Length(max=MAX_EMAIL)],
        description=_l(
            "Private: visitors' messages are sent here (to the owners and administrators "
            "if empty). It is never shown on the marketplace."
        ),
    )
    contact_phone = StringField(
        _l("Contact phone"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=MAX_PHONE),
            Regexp(r"^\+?[0-9 ]+$", message=_l("Use digits, spaces and a leading + only.")),
        ],
        description=_l("Private: never shown on the marketplace."),
    )
    require_compliance = BooleanField(
        _l("List a mediator only with a verified, compliant certification")
    )
    published = BooleanField(_l("Publish the center page on the marketplace"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = _locale()
        self.languages.choices = [SelectChoice(c, n) for c, n in language_names(locale)]
        self.service_area.choices = {
            str(_l("French departments")): [SelectChoice(v, n) for v, n in departments()],
            str(_l("Countries")): [SelectChoice(c, n) for c, n in countries(locale)],
        }

    @staticmethod
    def data_of(page: Any) -> dict[str, Any]:
        """The form's values for the saved page (to show it, not to post)."""
        if page is None:
            return {}
        return {name: getattr(page, name) for name in CenterPageInput.__dataclass_fields__}

    def page_input(self) -> CenterPageInput:
        return CenterPageInput(
            presentation_fr=self.presentation_fr.data or "",
            presentation_en=self.presentation_en.data or "",
            address=self.address.data or "",
            postal_code=self.postal_code.data or "",
            service_area=list(self.service_area.data or []),
            languages=list(self.languages.data or []),
            website=self.website.data or "",
            contact_email=self.contact_email.data or "",
            contact_phone=self.contact_phone.data or "",
            require_compliance=bool(self.require_compliance.data),
            published=bool(self.published.data),
        )


class OfferForm(StrictForm):
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[DataRequired(), Length(max=MAX_OFFER_NAME)],
        description=_l("For example: Family mediation, express."),
    )
    kind = SelectField(
        _l("Kind"), choices=_choices(OFFER_KIND_LABELS), validators=[InputRequired()]
    )
    included = TextAreaField(
        _l("What is included"),
        filters=[strip],
        validators=[Optional(), Length(max=MAX_INCLUDED)],
    )
    duration_minutes = IntegerField(
        _l("Duration of a session (minutes)"),
        validators=[Optional(), NumberRange(min=1, max=MAX_MINUTES)],
    )
    sessions = IntegerField(
        _l("Number of sessions"),
        validators=[Optional(), NumberRange(min=1, max=MAX_SESSIONS)],
        description=_l("Give a duration, a number of sessions, or both."),
    )
    price_excl_vat = StringField(
        _l("Price excluding VAT (EUR)"),
        filters=[strip],
        validators=[DataRequired(), Length(max=12)],
    )
    vat_rate = StringField(
        _l("VAT rate (%)"),
        filters=[strip],
        default="20",
        validators=[Optional(), Length(max=6)],
    )
    pricing = SelectField(
        _l("Price"), choices=_choices(OFFER_PRICING_LABELS), validators=[InputRequired()]
    )
    mode = SelectField(
        _l("Mode"), choices=_choices(OFFER_MODE_LABELS), validators=[InputRequired()]
    )
    steps = TextAreaField(
        _l("Steps of the process"),
        validators=[Optional(), Length(max=MAX_STEPS_TEXT)],
        description=_l("One step per line, at most 12."),
    )
    position = IntegerField(
        _l("Position"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=MAX_POSITION)],
        description=_l("Offers are shown by increasing position."),
    )
    published = BooleanField(_l("Published on the marketplace"))

    @staticmethod
    def data_of(offer: Any) -> dict[str, Any]:
        return {
            "name": offer.name,
            "kind": offer.kind.value,
            "included": offer.included,
            "duration_minutes": offer.duration_minutes,
            "sessions": offer.sessions,
            "price_excl_vat": _amount(offer.price_excl_vat),
            "vat_rate": _amount(offer.vat_rate),
            "pricing": offer.pricing.value,
            "mode": offer.mode.value,
            "steps": "\n".join(offer.steps or []),
            "position": offer.position,
            "published": offer.published,
        }

    def offer_input(self) -> OfferInput:
        return OfferInput(
            name=self.name.data or "",
            kind=self.kind.data or "",
            included=self.included.data or "",
            duration_minutes=self.duration_minutes.data,
            sessions=self.sessions.data,
            price_excl_vat=self.price_excl_vat.data,
            vat_rate=self.vat_rate.data,
            pricing=self.pricing.data or "",
            mode=self.mode.data or "",
            steps=self.steps.data or "",
            position=self.position.data or 0,
            published=bool(self.published.data),
        )


def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}"
    return text[:-3] if text.endswith(".00") else text


class InquiryStatusForm(StrictForm):
    status = SelectField(_l("Status"), validators=[InputRequired()])

    def __init__(self, *args: Any, statuses: list[InquiryStatus] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = list(InquiryStatus) if statuses is None else statuses
        self.status.choices = [
            SelectChoice(s.value, INQUIRY_STATUS_LABELS[s.value]) for s in choices
        ]


class InquiryFilterForm(FlaskForm):
    """The list's filter (a GET form: no CSRF, it changes nothing)."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Any status")), *_choices(INQUIRY_STATUS_LABELS)],
        validators=[Optional()],
    )
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=100_000)])
