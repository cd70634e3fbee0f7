"""Forms of the party-fee pages: the center's invoicing details, a case's fees."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from stdnum import iban as iban_number
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    IntegerField,
    PasswordField,
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
    Regexp,
    ValidationError,
)

from core.forms import StrictForm, strip
from referrals.fee_models import SplitMode
from referrals.invoice_rules import Buyer
from referrals.party_fees import DEFAULT_HOURLY_RATE, SELLER_FIELDS, ProfileInput, QuoteInput

MAX_PARTIES = 5  # the portal's rows
COUNTRY = Regexp(r"^[A-Z]{2}$", message=_l("A two-letter country code, e.g. FR."))
SPLIT_LABELS = {"equal": _l("Equal shares"), "custom": _l("Custom percentages")}


def _iban(_form: Any, field: Any) -> None:
    if field.data and not iban_number.is_valid(field.data):
        raise ValidationError(_l("This is not a valid IBAN."))


class BillingProfileForm(StrictForm):
    legal_name = StringField(
        _l("Legal name"), filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    address = StringField(
        _l("Address"), filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    postal_code = StringField(
        _l("Postal code"), filters=[strip], validators=[DataRequired(), Length(max=10)]
    )
    city = StringField(_l("City"), filters=[strip], validators=[DataRequired(), Length(max=100)])
    country = StringField(
        _l("Country"), filters=[strip], validators=[DataRequired(), Length(max=2), COUNTRY]
    )
    siret = StringField(_l("SIRET number"), filters=[strip], validators=[Length(max=20)])
    vat_number = StringField(
        _l("EU VAT number"), filters=[strip], validators=[Optional(), Length(max=20)]
    )
    iban = StringField(_l("IBAN"), filters=[strip], validators=[Optional(), Length(max=42), _iban])
    bic = StringField(
        _l("BIC"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=11),
            Regexp(r"^[A-Z0-9]{8}([A-Z0-9]{3})?$", message=_l("A BIC has 8 or 11 letters.")),
        ],
    )
    payment_terms_days = IntegerField(
        _l("Payment terms (days)"),
        default=30,
        # French law caps the terms between businesses at 60 days (Code de commerce L441-10).
        validators=[InputRequired(), NumberRange(min=0, max=60)],
    )
    legal_mentions = TextAreaField(
        _l("Other legal mentions"), filters=[strip], validators=[Length(max=1000)]
    )
    stripe_secret_key = PasswordField(
        _l("Stripe restricted key"),
        description=_l("Leave blank to keep the stored key. Stored encrypted."),
        filters=[strip],
        validators=[Optional(), Length(max=255)],
    )
    stripe_publishable_key = StringField(
        _l("Stripe publishable key"), filters=[strip], validators=[Optional(), Length(max=255)]
    )

    def profile_input(self) -> ProfileInput:
        return ProfileInput(
            legal_name=self.legal_name.data,
            address=self.address.data,
            postal_code=self.postal_code.data,
            city=self.city.data,
            country=self.country.data,
            siret=self.siret.data or "",
            vat_number=self.vat_number.data or "",
            iban=self.iban.data or "",
            bic=self.bic.data or "",
            legal_mentions=self.legal_mentions.data or "",
            payment_terms_days=self.payment_terms_days.data,
            stripe_secret_key=self.stripe_secret_key.data or "",
            stripe_publishable_key=self.stripe_publishable_key.data or "",
        )

    @staticmethod
    def data_of(profile: Any) -> dict[str, Any]:
        if profile is None:
            return {"country": "FR", "payment_terms_days": 30}
        # Never the secret key: the page says one is stored, and nothing more.
        return {name: getattr(profile, name) for name in SELLER_FIELDS} | {
            "stripe_publishable_key": profile.stripe_publishable_key
        }


class FeesForm(StrictForm):
    """A case's quote and, with the second button, its invoices to the parties."""

    offer_id = SelectField(_l("Offer"), validators=[Optional()], validate_choice=True)
    hours = DecimalField(
        _l("Hours"), places=2, validators=[Optional(), NumberRange(min=Decimal("0.25"), max=1000)]
    )
    hourly_rate = DecimalField(
        _l("Hourly rate (EUR, excl. VAT)"),
        places=2,
        default=DEFAULT_HOURLY_RATE,
        validators=[InputRequired(), NumberRange(min=0, max=10000)],
    )
    vat_rate = DecimalField(
        _l("VAT rate (%)"),
        places=2,
        default=Decimal("20.00"),
        validators=[InputRequired(), NumberRange(min=0, max=100)],
    )
    split_mode = SelectField(
        _l("Split"),
        choices=[SelectChoice(k, v) for k, v in SPLIT_LABELS.items()],
        default="equal",
        validators=[InputRequired()],
    )
    action = SelectField(
        _l("Action"),
        choices=[
            SelectChoice("quote", _l("Save the quote")),
            SelectChoice("invoice", _l("Issue the invoices")),
        ],
        default="quote",
        validators=[InputRequired()],
    )

    def __init__(self, *args: Any, offers: list[Any] = (), parties: int = 0, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.offer_id.choices = [
            SelectChoice("", _l("No offer: hours at a rate")),
            *(SelectChoice(str(o.id), o.name) for o in offers),
        ]
        self.parties = min(parties, MAX_PARTIES)

    def _posted(self, i: int) -> bool:
        """Row `i` holds something the browser sent (or an error about it)."""
        fields = [self[f"party_{part}_{i}"] for part in PARTY_PARTS]
        return any(f.errors or any(v for v in (f.raw_data or []) if v) for f in fields)

    def rows(self) -> list[dict[str, Any]]:
        """The party rows shown: one per party of the case, and any other row that was
        posted anyway (so that its error shows where it belongs)."""
        shown = [i for i in range(MAX_PARTIES) if i < self.parties or self._posted(i)]
        return [{part: self[f"party_{part}_{i}"] for part in PARTY_PARTS} for i in shown]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        for i in range(self.parties, MAX_PARTIES):
            name = self[f"party_name_{i}"]
            if self._posted(i) and not name.errors:
                message = _l("This case has %(count)s parties.", count=self.parties)
                name.errors = [*name.errors, message]
                valid = False
        return valid

    def quote_input(self) -> QuoteInput:
        return QuoteInput(
            offer_id=uuid.UUID(self.offer_id.data) if self.offer_id.data else None,
            hours=self.hours.data,
            hourly_rate=self.hourly_rate.data,
            vat_rate=self.vat_rate.data,
            split_mode=SplitMode(self.split_mode.data),
            shares=[self[f"party_share_{i}"].data or "" for i in range(self.parties)],
        )

    def buyers(self) -> list[Buyer]:
        def value(part: str, i: int) -> Any:
            return self[f"party_{part}_{i}"].data

        return [
            Buyer(
                name=value("name", i) or "",
                address=value("address", i) or "",
                postal_code=value("postal_code", i) or "",
                city=value("city", i) or "",
                country=value("country", i) or "FR",
                email=value("email", i) or "",
                is_business=bool(value("business", i)),
                siret=value("siret", i) or "",
                vat_number=value("vat_number", i) or "",
            )
            for i in range(self.parties)
        ]

    def missing_buyer_fields(self) -> dict[str, Any]:
        """Invoices need each party's name and address (the quote does not)."""
        errors: dict[str, Any] = {}
        for i in range(self.parties):
            for part in ("name", "address", "postal_code", "city", "country"):
                if not self[f"party_{part}_{i}"].data:
                    errors[f"party_{part}_{i}"] = _l("Needed on an invoice.")
        return errors


PARTY_PARTS = (
    "name",
    "address",
    "postal_code",
    "city",
    "country",
    "email",
    "business",
    "siret",
    "vat_number",
    "share",
)


def _party_fields(i: int) -> dict[str, Any]:
    optional = [Optional()]
    return {
        f"party_name_{i}": StringField(
            _l("Name"), filters=[strip], validators=[*optional, Length(max=200)]
        ),
        f"party_address_{i}": StringField(
            _l("Address"), filters=[strip], validators=[*optional, Length(max=200)]
        ),
        f"party_postal_code_{i}": StringField(
            _l("Postal code"), filters=[strip], validators=[*optional, Length(max=10)]
        ),
        f"party_city_{i}": StringField(
            _l("City"), filters=[strip], validators=[*optional, Length(max=100)]
        ),
        f"party_country_{i}": StringField(
            _l("Country"), filters=[strip], validators=[*optional, Length(max=2), COUNTRY]
        ),
        f"party_email_{i}": EmailField(
            _l("Email"), filters=[strip], validators=[*optional, Email(), Length(max=254)]
        ),
        f"party_business_{i}": BooleanField(_l("A business")),
        f"party_siret_{i}": StringField(
            _l("SIRET number"), filters=[strip], validators=[*optional, Length(max=20)]
        ),
        f"party_vat_number_{i}": StringField(
            _l("EU VAT number"), filters=[strip], validators=[*optional, Length(max=20)]
        ),
        f"party_share_{i}": StringField(
            _l("Share (%)"),
            filters=[strip],
            validators=[
                *optional,
                Length(max=6),
                Regexp(r"^\d{1,3}([.,]\d{1,2})?$", message=_l("A percentage, e.g. 33.34.")),
            ],
        ),
    }


for _i in range(MAX_PARTIES):
    for _name, _field in _party_fields(_i).items():
        setattr(FeesForm, _name, _field)
