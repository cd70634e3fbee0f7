"""The center's storefront: its page on the marketplace and its priced offers.

Every function runs in the caller's tenant scope (a request on `/c/<slug>/...`, a job or
the demo), so an offer of another center is NotFound like a missing one. Inputs are
plain dataclasses that a web form or an API schema can fill alike; bad input raises
StorefrontInvalid with one message per field, and nothing is written. Each change is
audited; `marketplace.indexing` refreshes the public listing on commit.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import audit
from core.credentials.profiles import languages, regions
from core.db import db
from core.errors import DomainError
from tenants.services.rules import NotFound
from tenants.storefront_models import CenterProfile, Offer, OfferKind, OfferMode, OfferPricing

MAX_PRESENTATION = 5000
MAX_ADDRESS = 200
MAX_POSTAL_CODE = 10
MAX_WEBSITE = 200
MAX_EMAIL = 254
MAX_PHONE = 30
MAX_LIST = 120  # service area: departments and countries

MAX_OFFER_NAME = 120
MAX_INCLUDED = 2000
MAX_MINUTES = 1440
MAX_SESSIONS = 50
MAX_PRICE = Decimal("100000")
DEFAULT_VAT = Decimal("20")
MAX_STEPS = 12
MAX_STEP = 200
MAX_POSITION = 1000

CENT = Decimal("0.01")
PHONE = re.compile(r"^\+?[0-9 ]+$")
# Digits with an optional decimal part, as people type prices: no sign, exponent or NaN.
AMOUNT = re.compile(r"^[0-9]{1,9}(\.[0-9]+)?$")
POSTAL_CODE = re.compile(r"^[A-Za-z0-9 \-]+$")


class StorefrontInvalid(DomainError):
    status = 422
    code = "invalid-storefront"

    def __init__(self, errors: dict[str, object]) -> None:
        super().__init__("; ".join(str(m) for m in errors.values()))
        self.errors = errors


def _too_long(value: str, limit: int) -> bool:
    return len(value) > limit


def _control_characters(value: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


# --- the center page ---------------------------------------------------------------------


@dataclass(frozen=True)
class CenterPageInput:
    presentation_fr: str = ""
    presentation_en: str = ""
    address: str = ""
    postal_code: str = ""
    service_area: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    website: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    require_compliance: bool = False
    published: bool = False


def center_page() -> CenterProfile | None:
    """The center's page settings, or None before its first save."""
    return db.session.scalar(select(CenterProfile))


def _website_ok(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and "." in (parts.hostname or "")
        and not any(c.isspace() for c in url)
        and not _control_characters(url)
    )


def _checked_page(data: CenterPageInput) -> tuple[dict[str, object], dict[str, Any]]:
    errors: dict[str, object] = {}
    clean: dict[str, Any] = {}
    for name in ("presentation_fr", "presentation_en"):
        text = (getattr(data, name) or "").strip()
        if _too_long(text, MAX_PRESENTATION):
            errors[name] = _l(
                "The presentation takes at most %(max)d characters.", max=MAX_PRESENTATION
            )
        clean[name] = text
    address = (data.address or "").strip()
    if _too_long(address, MAX_ADDRESS) or _control_characters(address):
        errors["address"] = _l("The address takes at most %(max)d characters.", max=MAX_ADDRESS)
    clean["address"] = address
    postal_code = (data.postal_code or "").strip()
    if postal_code and (
        _too_long(postal_code, MAX_POSTAL_CODE) or not POSTAL_CODE.match(postal_code)
    ):
        errors["postal_code"] = _l("Give a postal code of at most 10 letters and digits.")
    clean["postal_code"] = postal_code.upper()
    for name, allowed in (("service_area", regions()), ("languages", languages())):
        values = list(dict.fromkeys(getattr(data, name) or []))
        if len(values) > MAX_LIST or any(v not in allowed for v in values):
            errors[name] = _l("Choose values from the list.")
        clean[name] = values
    website = (data.website or "").strip()
    if website and (_too_long(website, MAX_WEBSITE) or not _website_ok(website)):
        errors["website"] = _l(
            "Give a web address starting with http:// or https://, of at most %(max)d characters.",
            max=MAX_WEBSITE,
        )
    clean["website"] = website
    email = (data.contact_email or "").strip()
    if email:
        try:
            if _too_long(email, MAX_EMAIL) or _control_characters(email):
                raise EmailNotValidError
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["contact_email"] = _l("Give a valid email address.")
    clean["contact_email"] = email
    phone = (data.contact_phone or "").strip()
    if phone and (_too_long(phone, MAX_PHONE) or not PHONE.match(phone)):
        errors["contact_phone"] = _l(
            "Give a phone number of at most %(max)d digits, spaces and a leading +.",
            max=MAX_PHONE,
        )
    clean["contact_phone"] = phone
    clean["require_compliance"] = bool(data.require_compliance)
    clean["published"] = bool(data.published)
    return errors, clean


def save_center_page(data: CenterPageInput) -> tuple[CenterProfile, list[str]]:
    """Create or update the center's page settings; commits. Returns the page and the
    names of the fields that changed. StorefrontInvalid for bad input."""
    errors, clean = _checked_page(data)
    if errors:
        raise StorefrontInvalid(errors)
    page = center_page()
    created = page is None
    if page is None:
        page = CenterProfile()
        db.session.add(page)
    changed = [name for name, value in clean.items() if created or getattr(page, name) != value]
    for name in changed:
        setattr(page, name, clean[name])
    if changed:
        db.session.flush()
        # Field names only: the private contact details stay out of the audit trail.
        audit.record(
            "center_page.created" if created else "center_page.updated",
            object_type="center_profile",
            object_id=page.id,
            details={"fields": changed, "published": page.published},
        )
    db.session.commit()
    return page, changed


# --- offers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferInput:
    name: str
    kind: str
    price_excl_vat: str | Decimal | None
    pricing: str
    mode: str
    included: str = ""
    duration_minutes: int | None = None
    sessions: int | None = None
    vat_rate: str | Decimal | None = None
    # One step per line (a textarea), or a list of steps.
    steps: str | list[str] = ""
    published: bool = False
    position: int | str | None = 0


def price_incl_vat(excl: Decimal, rate: Decimal) -> Decimal:
    """The price including VAT, to the cent."""
    return (excl * (100 + rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _amount(value: str | Decimal | None, high: Decimal) -> Decimal | None:
    """An amount from 0 to `high` with 2 decimals at most ("150", "150,50"); None if not."""
    text = str(value if value is not None else "").strip()
    text = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not AMOUNT.match(text):
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or not 0 <= amount <= high or amount != amount.quantize(CENT):
        return None
    return amount.quantize(CENT)


def _count(value: Any, high: int) -> tuple[int | None, bool]:
    """(number, valid): None is valid (not given); a whole number from 1 to `high`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, bool):
        return None, False
    try:
        number = int(str(value).strip())
    except ValueError:
        return None, False
    return number, 1 <= number <= high


def _steps(value: str | list[str]) -> list[str]:
    lines = value.splitlines() if isinstance(value, str) else list(value or [])
    return [str(line).strip() for line in lines if str(line).strip()]


def _enum(value: str, enum: type) -> Any:
    try:
        return enum(value)
    except ValueError:
        return None


def _checked_offer(data: OfferInput) -> tuple[dict[str, object], dict[str, Any]]:
    errors: dict[str, object] = {}
    clean: dict[str, Any] = {}
    name = (data.name or "").strip()
    if not 1 <= len(name) <= MAX_OFFER_NAME or _control_characters(name):
        errors["name"] = _l("Give a name of 1 to %(max)d characters.", max=MAX_OFFER_NAME)
    clean["name"] = name
    for attr, enum in (("kind", OfferKind), ("pricing", OfferPricing), ("mode", OfferMode)):
        clean[attr] = _enum(getattr(data, attr) or "", enum)
        if clean[attr] is None:
            errors[attr] = _l("Choose a value from the list.")
    included = (data.included or "").strip()
    if _too_long(included, MAX_INCLUDED):
        errors["included"] = _l(
            "Describe what is included in at most %(max)d characters.", max=MAX_INCLUDED
        )
    clean["included"] = included
    minutes, minutes_ok = _count(data.duration_minutes, MAX_MINUTES)
    if not minutes_ok:
        errors["duration_minutes"] = _l("Give a duration of 1 to %(max)d minutes.", max=MAX_MINUTES)
    sessions, sessions_ok = _count(data.sessions, MAX_SESSIONS)
    if not sessions_ok:
        errors["sessions"] = _l("Give 1 to %(max)d sessions.", max=MAX_SESSIONS)
    if minutes_ok and sessions_ok and minutes is None and sessions is None:
        errors["duration_minutes"] = _l("Give a duration, a number of sessions, or both.")
    clean["duration_minutes"], clean["sessions"] = minutes, sessions
    excl = _amount(data.price_excl_vat, MAX_PRICE)
    if excl is None:
        errors["price_excl_vat"] = _l(
            "Give a price from 0 to 100,000 euros, with 2 decimals at most."
        )
    given_rate = data.vat_rate
    if given_rate is None or str(given_rate).strip() == "":
        rate: Decimal | None = DEFAULT_VAT.quantize(CENT)
    else:
        rate = _amount(given_rate, Decimal(100))
    if rate is None:
        errors["vat_rate"] = _l("Give a VAT rate from 0 to 100 %, with 2 decimals at most.")
    clean["price_excl_vat"], clean["vat_rate"] = excl, rate
    if excl is not None and rate is not None:
        clean["price_incl_vat"] = price_incl_vat(excl, rate)
    steps = _steps(data.steps)
    if len(steps) > MAX_STEPS or any(len(s) > MAX_STEP or _control_characters(s) for s in steps):
        errors["steps"] = _l(
            "Describe at most %(steps)d steps, one per line, of %(max)d characters at most.",
            steps=MAX_STEPS,
            max=MAX_STEP,
        )
    clean["steps"] = steps
    try:
        position = int(str(data.position if data.position is not None else 0).strip() or 0)
    except ValueError:
        position = -1
    if isinstance(data.position, bool) or not 0 <= position <= MAX_POSITION:
        errors["position"] = _l("Give a position from 0 to %(max)d.", max=MAX_POSITION)
    clean["position"] = max(position, 0)
    clean["published"] = bool(data.published)
    return errors, clean


def center_offers() -> list[Offer]:
    """The center's offers, in the order it shows them."""
    return list(
        db.session.scalars(select(Offer).order_by(Offer.position, func.lower(Offer.name), Offer.id))
    )


def offer_of(offer_id: uuid.UUID) -> Offer:
    """One of the center's offers; NotFound for another center's or a missing one."""
    offer = db.session.scalar(select(Offer).where(Offer.id == offer_id))
    if offer is None:
        raise NotFound("unknown offer")
    return offer


def _audited(action: str, offer: Offer, **details: Any) -> None:
    audit.record(
        action, object_type="offer", object_id=offer.id, details={"name": offer.name, **details}
    )


def create_offer(data: OfferInput) -> Offer:
    """Add an offer to the center; commits. StorefrontInvalid for bad input."""
    errors, clean = _checked_offer(data)
    if errors:
        raise StorefrontInvalid(errors)
    offer = Offer(**clean)
    db.session.add(offer)
    db.session.flush()
    _audited("offer.created", offer, published=offer.published)
    db.session.commit()
    return offer


def update_offer(offer_id: uuid.UUID, data: OfferInput) -> tuple[Offer, list[str]]:
    """Change one of the center's offers; commits. Returns the offer and the names of
    the fields that changed. NotFound, or StorefrontInvalid for bad input."""
    offer = offer_of(offer_id)
    errors, clean = _checked_offer(data)
    if errors:
        raise StorefrontInvalid(errors)
    changed = [name for name, value in clean.items() if getattr(offer, name) != value]
    for name in changed:
        setattr(offer, name, clean[name])
    if changed:
        _audited("offer.updated", offer, fields=changed)
    db.session.commit()
    return offer, changed


def publish_offer(offer_id: uuid.UUID, published: bool) -> Offer:
    """Show or hide one of the center's offers on the marketplace; commits."""
    offer = offer_of(offer_id)
    if offer.published != published:
        offer.published = published
        _audited("offer.published" if published else "offer.unpublished", offer)
    db.session.commit()
    return offer


def delete_offer(offer_id: uuid.UUID) -> str:
    """Delete one of the center's offers; commits. Returns its name."""
    offer = offer_of(offer_id)
    name = offer.name
    _audited("offer.deleted", offer)
    db.session.delete(offer)
    db.session.commit()
    return name
