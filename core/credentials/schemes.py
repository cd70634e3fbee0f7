"""The certification-scheme catalogue in the database: seeded from
`core.credentials.catalogue`, then the platform staff's to edit.

Seeding adds the schemes the database does not have yet (by code) and never touches
one that exists: a rule corrected by staff is not overwritten by the next release.
It runs after every `flask migrate`, so a new release's schemes appear on their own.
"""

from __future__ import annotations

from sqlalchemy import select

from core.credentials.catalogue import CATALOGUE
from core.credentials.models import CertificationScheme
from core.credentials.rules import SchemeRules
from core.db import db


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
