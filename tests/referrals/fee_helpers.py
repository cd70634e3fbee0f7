"""Helpers of the party-fee tests: a center with its invoicing details, an accepted case
with three parties, and the valid forms of the fee pages."""

from __future__ import annotations

from typing import Any

from referrals.models import ReferralStatus
from tests.factories import ReferralFactory
from tests.tenants.helpers import Center, make_center

SIRET = "53298471300018"
PROFILE = {
    "legal_name": "Centre de médiation de Paris SAS",
    "address": "12 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "country": "FR",
    "siret": SIRET,
    "vat_number": "FR40303265045",
    "iban": "FR1420041010050500013M02606",
    "bic": "PSSTFRPPPAR",
    "payment_terms_days": "30",
    "legal_mentions": "SAS au capital de 10 000 EUR, RCS Paris.",
    "stripe_secret_key": "",
    "stripe_publishable_key": "",
}
PARTIES = [
    ("Société Alpha", "claimant", "contact@alpha.example"),
    ("Hélène Garnier", "respondent", "h.garnier@example.org"),
    ("Jean Dupont", "other", "j.dupont@example.org"),
]
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


def accepted_case(center: Center, parties: list[tuple[str, str, str]] = PARTIES) -> Any:
    return ReferralFactory(tenant=center.tenant, status=ReferralStatus.ACCEPTED, parties=parties)


def party_rows(count: int, **overrides: str) -> dict[str, str]:
    """Every party row of the fees form (5), the first `count` filled in."""
    rows: dict[str, str] = {}
    for i in range(5):
        filled = i < count
        values = {
            "name": f"Partie {i + 1}" if filled else "",
            "address": f"{i + 1} place du Marché" if filled else "",
            "postal_code": "69001" if filled else "",
            "city": "Lyon" if filled else "",
            "country": "FR" if filled else "",
            "email": f"partie{i + 1}@example.org" if filled else "",
            "business": "",
            "siret": "",
            "vat_number": "",
            "share": "",
        }
        rows |= {f"party_{part}_{i}": values[part] for part in PARTY_PARTS}
    rows |= overrides
    return rows


def fees_form(count: int = 3, action: str = "invoice", **overrides: str) -> dict[str, str]:
    """1,000.00 EUR (10 h at 100 EUR), 20% VAT, equal shares."""
    return {
        "offer_id": "",
        "hours": "10",
        "hourly_rate": "100",
        "vat_rate": "20",
        "split_mode": "equal",
        "action": action,
        **party_rows(count),
        **overrides,
    }


def center_with_profile(client: Any, **profile: str) -> Center:
    """A new center whose owner (signed in on `client`) saved its invoicing details."""
    from tests.tenants.helpers import sign_in

    center = make_center()
    sign_in(client, center.owner)
    response = client.post_form(center.url("fees/settings"), {**PROFILE, **profile})
    assert response.status_code == 303, response.get_data(as_text=True)
    return center
