"""Certifications for the reminder tests: schemes whose rules make the standing depend
only on the dates the test picks (no calendar-year hours that change with today)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from core.credentials.catalogue import by_code
from core.credentials.models import Certification, VerificationStatus
from tests.factories import (
    CertificationFactory,
    CertificationSchemeFactory,
    MediatorProfileFactory,
    UserFactory,
)

_FFCM = by_code("fr-ffcm").row()["rules"]
# No continuing education: only the expiry date matters.
NO_HOURS = {**_FFCM, "continuing": []}
# 10 h of continuing education in every 12 months: with no records, hours are short.
TEN_HOURS_A_YEAR = {
    **_FFCM,
    "continuing": [
        {
            "hours": "10",
            "kinds": ["continuing_education"],
            "period": {"kind": "rolling", "months": 12},
            "credits": [],
            "sources": [],
        }
    ],
}


def certification(
    on: date,
    expires_in: int,
    *,
    rules: dict[str, Any] = NO_HOURS,
    locale: str = "fr",
    **fields: Any,
) -> Certification:
    """A certification (verified unless told) of a claimed profile, valid until `expires_in` days
    after `on` (issued long before)."""
    fields.setdefault("profile", MediatorProfileFactory(user=UserFactory(locale=locale)))
    fields.setdefault("verification_status", VerificationStatus.VERIFIED)
    return CertificationFactory(
        scheme=CertificationSchemeFactory(rules=rules),
        issued_on=on - timedelta(days=800),
        expires_on=on + timedelta(days=expires_in),
        **fields,
    )
