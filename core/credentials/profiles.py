"""The mediator's profile: one per person, edited by them, shown wherever they work.

Every list takes values from a controlled vocabulary (ISO 639-1 languages, the
product's specialties and modes, French departments as "FR-<code>" or ISO 3166-1
countries), so that the marketplace can filter on them; a value outside it is refused
rather than dropped. Consent to be listed publicly is dated when given. Professional
registrations (a court of appeal's list of mediators, a bar) are kind + name + an
optional number, at most MAX_REGISTRATIONS.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from babel import Locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.clock import now
from core.credentials.models import (
    FRENCH_DEPARTMENTS,
    MODES,
    REGISTRATION_KINDS,
    SPECIALTIES,
    MediatorProfile,
)
from core.db import db
from core.errors import DomainError
from core.files.checks import CheckedFile
from core.files.storage import storage

MAX_BIO = 5000
MAX_RATE = Decimal("10000")
MAX_LIST = 30
MAX_REGISTRATIONS = 10
MAX_REGISTRATION_NAME = 120
MAX_REGISTRATION_NUMBER = 64


class ProfileInvalid(DomainError):
    status = 422
    code = "invalid-profile"

    def __init__(self, errors: dict[str, object]) -> None:
        super().__init__("; ".join(str(m) for m in errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class ProfileInput:
    display_name: str
    title: str = ""
    bio_fr: str = ""
    bio_en: str = ""
    languages: list[str] = field(default_factory=list)
    specialties: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    rate_min_eur: str | None = None
    rate_max_eur: str | None = None
    listed_publicly: bool = False
    # Each {"kind": "court_of_appeal" | "bar", "name": ..., "number": ... (optional)};
    # None leaves the profile's registrations as they are.
    registrations: list[dict[str, str | None]] | None = None


@functools.cache
def languages() -> frozenset[str]:
    """ISO 639-1 codes (two letters), as CLDR knows them."""
    return frozenset(code for code in Locale("en").languages if len(code) == 2)


@functools.cache
def regions() -> frozenset[str]:
    """French departments ("FR-75", "FR-2A", "FR-971") and ISO 3166-1 countries."""
    # CLDR also names groupings and placeholders that are no country (ZZ unknown, EU...).
    not_countries = {"ZZ", "QO", "EU", "EZ", "UN", "XA", "XB"}
    countries = {
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in not_countries
    }
    return frozenset({f"FR-{d}" for d in FRENCH_DEPARTMENTS} | countries)


def _rate(value: str | None) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError from None
    if not rate.is_finite() or not 0 <= rate <= MAX_RATE or rate != rate.quantize(Decimal("0.01")):
        raise ValueError
    return rate


def _checked(data: ProfileInput) -> dict[str, object]:
    errors: dict[str, object] = {}
    name = data.display_name.strip()
    if not 1 <= len(name) <= 120:
        errors["display_name"] = _l("Give a name of 1 to 120 characters.")
    if len(data.title.strip()) > 120:
        errors["title"] = _l("The professional title takes at most 120 characters.")
    for bio in ("bio_fr", "bio_en"):
        if len(getattr(data, bio)) > MAX_BIO:
            errors[bio] = _l("The presentation takes at most %(max)d characters.", max=MAX_BIO)
    vocabularies = {
        "languages": languages(),
        "specialties": frozenset(SPECIALTIES),
        "regions": regions(),
        "modes": frozenset(MODES),
    }
    for name_, allowed in vocabularies.items():
        values = getattr(data, name_)
        if len(values) > MAX_LIST or any(v not in allowed for v in values):
            errors[name_] = _l("Choose values from the list.")
    rates: list[Decimal | None] = []
    for name_ in ("rate_min_eur", "rate_max_eur"):
        try:
            rates.append(_rate(getattr(data, name_)))
        except ValueError:
            errors[name_] = _l("Give an amount in euros from 0 to 10,000, two decimals at most.")
            rates.append(None)
    low, high = rates
    if low is not None and high is not None and low > high and "rate_max_eur" not in errors:
        errors["rate_max_eur"] = _l("The highest rate cannot be below the lowest.")
    registrations = None
    if data.registrations is not None:
        try:
            registrations = _registrations(data.registrations)
        except ValueError as problem:
            errors["registrations"] = problem.args[0]
    if errors:
        raise ProfileInvalid(errors)
    checked: dict[str, object] = {} if registrations is None else {"registrations": registrations}
    return checked | {
        "display_name": name,
        "title": data.title.strip(),
        "bio_fr": data.bio_fr.strip(),
        "bio_en": data.bio_en.strip(),
        # Each value once, in the order given.
        "languages": list(dict.fromkeys(data.languages)),
        "specialties": list(dict.fromkeys(data.specialties)),
        "regions": list(dict.fromkeys(data.regions)),
        "modes": list(dict.fromkeys(data.modes)),
        "rate_min_eur": low,
        "rate_max_eur": high,
    }


def _registrations(given: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
    """The registrations as stored, each once; ValueError(message) when one is wrong."""
    if len(given) > MAX_REGISTRATIONS:
        raise ValueError(
            _l("Give at most %(max)d professional registrations.", max=MAX_REGISTRATIONS)
        )
    found: list[dict[str, str | None]] = []
    for item in given:
        kind = item.get("kind")
        name = str(item.get("name") or "").strip()
        number = str(item.get("number") or "").strip() or None
        if kind not in REGISTRATION_KINDS:
            raise ValueError(_l("Choose the kind of each registration from the list."))
        if not 1 <= len(name) <= MAX_REGISTRATION_NAME:
            raise ValueError(
                _l(
                    "Name each registration's court of appeal or bar in 1 to %(max)d characters.",
                    max=MAX_REGISTRATION_NAME,
                )
            )
        if number is not None and len(number) > MAX_REGISTRATION_NUMBER:
            raise ValueError(
                _l(
                    "A registration number takes at most %(max)d characters.",
                    max=MAX_REGISTRATION_NUMBER,
                )
            )
        registration = {"kind": kind, "name": name, "number": number}
        if registration not in found:
            found.append(registration)
    return found


def update_profile(profile: MediatorProfile, data: ProfileInput) -> None:
    """Apply the mediator's changes (the caller commits); consent is dated when given
    and the date cleared when withdrawn."""
    for name, value in _checked(data).items():
        setattr(profile, name, value)
    if data.listed_publicly and not profile.listed_publicly:
        profile.listed_publicly_at = now()
    elif not data.listed_publicly:
        profile.listed_publicly_at = None
    profile.listed_publicly = data.listed_publicly


def create_profile(
    data: ProfileInput,
    *,
    user_id: uuid.UUID | None = None,
    created_by_tenant_id: uuid.UUID | None = None,
) -> MediatorProfile:
    """A new profile: the mediator's own (`user_id`), or one a center creates for a
    mediator without an account yet (`created_by_tenant_id`), to be claimed later."""
    profile = MediatorProfile(user_id=user_id, created_by_tenant_id=created_by_tenant_id)
    profile.listed_publicly = False
    update_profile(profile, data)
    db.session.add(profile)
    return profile


def set_photo(profile: MediatorProfile, photo: CheckedFile) -> str | None:
    """Store a checked photo under a new key and point the profile at it; returns the
    key it replaces, to delete once the change is committed."""
    key = photo.new_key()
    storage().put(key, photo.data, photo.content_type)
    previous, profile.photo_key = profile.photo_key, key
    return previous


def remove_photo(profile: MediatorProfile) -> str | None:
    """Take the photo off the profile; returns its key, to delete once committed."""
    previous, profile.photo_key = profile.photo_key, None
    return previous


def photo_content_type(key: str) -> str:
    """The photo's type, from its server-generated key ("<hex>.png" or "<hex>.jpg")."""
    return "image/png" if key.endswith(".png") else "image/jpeg"


def profile_of_user(user_id: uuid.UUID) -> MediatorProfile | None:
    """The person's own profile, if they have one (created or claimed)."""
    return db.session.scalar(select(MediatorProfile).where(MediatorProfile.user_id == user_id))
