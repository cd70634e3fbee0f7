"""The certification-scheme catalogue in the database: seeded from
`core.credentials.catalogue`, then the platform staff's to edit.

Seeding adds the schemes the database does not have yet (by code) and never touches
one that exists: a rule corrected by staff is not overwritten by the next release.
It runs after every `flask migrate`, so a new release's schemes appear on their own.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import audit
from core.credentials.catalogue import CATALOGUE
from core.credentials.models import Certification, CertificationScheme
from core.credentials.rules import SchemeRules
from core.db import db
from core.errors import DomainError


def seed_catalogue() -> list[str]:
    """Add the catalogue's schemes missing from the database; returns their codes."""
    known = set(db.session.scalars(select(CertificationScheme.code)))
    added = []
    for seed in CATALOGUE:
        if seed.code in known:
            continue
        db.session.add(CertificationScheme(**seed.row()))
        added.append(seed.code)
    return added


def rules_of(scheme: CertificationScheme) -> SchemeRules:
    """A stored scheme's rules, read (and validated) through the rules codec."""
    return SchemeRules.from_dict(scheme.rules)


# --- staff editing ---------------------------------------------------------------------

CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # "fr-ffcm": the catalogue's key
# ISO 3166-1 alpha-2, a subdivision ("CA-QC"), or "INT" for international schemes.
COUNTRY = re.compile(r"(?:[A-Z]{2}(?:-[A-Z0-9]{1,3})?|INT)")
MAX_SOURCES = 50
MAX_URL = 500
MAX_SOURCE_TITLE = 200


class SchemeInvalid(DomainError):
    """The scheme cannot be saved; `errors` maps each field to its message."""

    status = 422
    code = "invalid-scheme"

    def __init__(self, errors: dict[str, object]) -> None:
        super().__init__("; ".join(str(m) for m in errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class SchemeInput:
    """A scheme as staff edit it; `rules` and `sources` are parsed JSON, unchecked."""

    name: str
    issuing_body: str
    country: str
    active: bool
    rules: Any
    sources: Any


def _checked_sources(sources: Any) -> list[dict[str, str]]:
    if not isinstance(sources, list) or len(sources) > MAX_SOURCES:
        raise ValueError(f"expected a list of at most {MAX_SOURCES} sources")
    found = []
    for index, source in enumerate(sources):
        where = f"sources[{index}]"
        if not isinstance(source, dict) or not set(source) <= {"url", "title"}:
            raise ValueError(f'{where}: expected {{"url": ..., "title": ... (optional)}}')
        url, title = source.get("url"), source.get("title")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ValueError(f"{where}.url: expected an http(s) address")
        if len(url) > MAX_URL or any(c.isspace() for c in url):
            raise ValueError(f"{where}.url: at most {MAX_URL} characters, no spaces")
        if title is not None and not (isinstance(title, str) and len(title) <= MAX_SOURCE_TITLE):
            raise ValueError(
                f"{where}.title: expected text of at most {MAX_SOURCE_TITLE} characters"
            )
        found.append({"url": url, **({"title": title} if title else {})})
    return found


def _checked_scheme(data: SchemeInput) -> dict[str, Any]:
    """The columns to store, or SchemeInvalid naming each field's problem."""
    errors: dict[str, object] = {}
    if not data.name.strip():
        errors["name"] = _l("Give the certification's name.")
    if not data.issuing_body.strip():
        errors["issuing_body"] = _l("Give the body that issues it.")
    if not COUNTRY.fullmatch(data.country):
        errors["country"] = _l(
            'A country code such as FR or BE, a region such as CA-QC, or INT for "international".'
        )
    try:
        # Stored as the codec writes it: one spelling of each rule, read back alike.
        rules = SchemeRules.from_dict(data.rules).to_dict()
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        errors["rules"] = _l("These rules are not valid: %(problem)s", problem=str(exc))
    try:
        sources = _checked_sources(data.sources)
    except ValueError as exc:
        errors["sources"] = _l("These sources are not valid: %(problem)s", problem=str(exc))
    if errors:
        raise SchemeInvalid(errors)
    return {
        "name": data.name.strip(),
        "issuing_body": data.issuing_body.strip(),
        "country": data.country,
        "active": data.active,
        "rules": rules,
        "sources": sources,
    }


def create_scheme(code: str, data: SchemeInput, by: uuid.UUID) -> CertificationScheme:
    """A new scheme of the catalogue, added by staff member `by` (the caller commits)."""
    columns = _checked_scheme(data)
    if not CODE.fullmatch(code):
        raise SchemeInvalid({"code": _l("Lower-case letters, digits and dashes, such as fr-cnm.")})
    if db.session.scalar(select(CertificationScheme.id).where(CertificationScheme.code == code)):
        raise SchemeInvalid({"code": _l("A scheme already has this code.")})
    scheme = CertificationScheme(code=code, updated_by_id=by, **columns)
    db.session.add(scheme)
    audit.record_security("scheme.created", details={"code": code})
    return scheme


def update_scheme(scheme: CertificationScheme, data: SchemeInput, by: uuid.UUID) -> list[str]:
    """Change a scheme of the catalogue (its code stays: seeding knows schemes by code);
    returns the names of the changed fields (the caller commits)."""
    changed = []
    for name, value in _checked_scheme(data).items():
        if getattr(scheme, name) != value:
            setattr(scheme, name, value)
            changed.append(name)
    if changed:
        scheme.updated_by_id = by
        audit.record_security("scheme.updated", details={"code": scheme.code, "fields": changed})
    return changed


def schemes_with_counts() -> list[tuple[CertificationScheme, int]]:
    """Every scheme, by code, with how many certifications it has."""
    counts = (
        select(Certification.scheme_id, func.count().label("held"))
        .group_by(Certification.scheme_id)
        .subquery()
    )
    rows = db.session.execute(
        select(CertificationScheme, func.coalesce(counts.c.held, 0))
        .outerjoin(counts, counts.c.scheme_id == CertificationScheme.id)
        .order_by(CertificationScheme.code)
    ).all()
    return [(scheme, held) for scheme, held in rows]
