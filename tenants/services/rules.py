"""Center input rules (web address, registration number, time zone) and the errors
the center services raise."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l

from core.errors import DomainError


class NotFound(DomainError):
    """Missing and foreign look the same: both are 404."""

    status = 404
    code = "not-found"


class RuleError(DomainError):
    """A center rule refused the change (last owner, own role...)."""

    status = 422
    code = "rule"


class FieldError(DomainError):
    """Input refused for one form field (taken slug, known email...)."""

    status = 422
    code = "invalid-field"

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(message)
        self.field = field


# --- identity rules -------------------------------------------------------------------

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MIN, SLUG_MAX = 3, 63
# Words that name, or may one day name, a platform page or role: a center using one
# would look official or collide with a future route.
RESERVED_SLUGS = frozenset(
    {
        "about",
        "account",
        "accounts",
        "admin",
        "administrator",
        "api",
        "app",
        "assets",
        "auth",
        "billing",
        "blog",
        "c",
        "center",
        "centers",
        "centre",
        "centres",
        "contact",
        "dashboard",
        "demo",
        "docs",
        "help",
        "home",
        "join",
        "login",
        "logout",
        "mail",
        "marketplace",
        "me",
        "mediation-hub",
        "mediator",
        "mediators",
        "new",
        "null",
        "p",
        "partner",
        "partners",
        "pricing",
        "privacy",
        "register",
        "root",
        "security",
        "settings",
        "signup",
        "staff",
        "static",
        "status",
        "support",
        "system",
        "terms",
        "test",
        "verify-email",
        "www",
    }
)
_NON_FR_REGISTRATION = re.compile(r"^[A-Z0-9]{1,14}$")
# La Poste's establishments share one SIREN and are checked by digit sum instead.
_LA_POSTE_SIREN = "356000000"


def suggest_slug(name: str, filler: str = "centre") -> str:
    """A web address derived from a center's name (or a partner organisation's): accents
    dropped, words hyphenated; `filler` lengthens one too short."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:SLUG_MAX].rstrip("-")
    return slug if len(slug) >= SLUG_MIN else f"{slug}-{filler}".lstrip("-")


def free_slug(base: str, taken: Callable[[str], bool]) -> str:
    """`base`, or `base-2`, `base-3`...: the first variant neither reserved nor `taken`."""
    candidate, n = base, 1
    while candidate in RESERVED_SLUGS or taken(candidate):
        n += 1
        suffix = f"-{n}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
    return candidate


def slug_problem(slug: str) -> Any:
    """Why `slug` cannot name a center (format or reserved), or None."""
    if not SLUG_MIN <= len(slug) <= SLUG_MAX or not SLUG_PATTERN.match(slug):
        return _l(
            "Use 3 to 63 lowercase letters, digits and single hyphens, "
            "starting and ending with a letter or digit."
        )
    if slug in RESERVED_SLUGS:
        return _l("This address is reserved. Please choose another one.")
    return None


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def normalize_registration(number: str) -> str:
    """People type SIRETs with spaces or dots: keep only letters and digits."""
    return re.sub(r"[\s.\-]", "", number or "").upper()


def registration_problem(number: str, country: str) -> Any:
    """Why `number` is not a valid registration number for `country`, or None."""
    number = normalize_registration(number)
    if country == "FR":
        if not (len(number) == 14 and number.isdigit()):
            return _l("A SIRET number has exactly 14 digits.")
        if number.startswith(_LA_POSTE_SIREN):
            valid = sum(int(d) for d in number) % 5 == 0
        else:
            valid = luhn_ok(number)
        return None if valid else _l("This SIRET number is not valid; please check it.")
    if not _NON_FR_REGISTRATION.match(number):
        return _l("Use 1 to 14 letters and digits.")
    return None


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))
