"""The shape of a seeded scheme, and shorthands for writing the seed data."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.credentials.models import TrainingKind as K
from core.credentials.rules import Condition, SchemeRules, Text

# Hours that a source calls continuing education without naming what counts.
CPD = (K.CONTINUING_EDUCATION, K.CONFERENCE)


@dataclass(frozen=True)
class SchemeSeed:
    code: str
    name: str
    issuing_body: str
    country: str  # ISO 3166 ("CA-QC" for Québec); "INT" for international schemes
    rules: SchemeRules
    sources: tuple[str, ...]

    def row(self) -> dict[str, Any]:
        """The columns of a `CertificationScheme`."""
        return {
            "code": self.code,
            "name": self.name,
            "issuing_body": self.issuing_body,
            "country": self.country,
            "rules": self.rules.to_dict(),
            "sources": [{"url": source} for source in self.sources],
        }


def h(hours: str) -> Decimal:
    return Decimal(hours)


def check(fr: str, en: str, *sources: str) -> Condition:
    """A condition checked by hand, with its wording in both languages."""
    return Condition(Text(fr, en), sources)
