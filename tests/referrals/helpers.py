"""Helpers for the referral tests: partner and center client tokens from the real token
endpoint, and a valid referral body."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.factories import AffiliationFactory, MediatorProfileFactory
from tests.oauth import bearer, client_credentials_token, register

PARTNER_SCOPES = "referrals:read referrals:write"
CENTER_SCOPES = "referrals:read referrals:write"


def partner_token(app: Any, partner_id: Any, scopes: str = PARTNER_SCOPES) -> dict[str, str]:
    registered = register("partner", partner_id, scopes=scopes.split(), name="Case software")
    return bearer(client_credentials_token(app.test_client(), registered, scopes))


def center_token(app: Any, tenant_id: Any, scopes: str = CENTER_SCOPES) -> dict[str, str]:
    registered = register("tenant", tenant_id, scopes=scopes.split(), name="Center back office")
    return bearer(client_credentials_token(app.test_client(), registered, scopes))


def referral_body(to: Any, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "center": to.slug,
        "reference": "CAB-2026-0042",
        "dispute_type": "commercial",
        "summary": "Désaccord sur la livraison et le paiement de trois commandes.",
        "amount_eur": "18500.00",
        "urgency": "standard",
        "language": "fr",
        "preferred_mode": "hybrid",
        "parties": [
            {
                "name": "Société Delta",
                "role": "claimant",
                "email": "juridique@delta.example",
                "lawyer": "Me Anne Roux",
            },
            {"name": "Hélène Garnier", "role": "respondent", "email": "h.garnier@example.org"},
        ],
        "parties_informed": True,
        "contact_consent": True,
    }
    body.update(changes)
    return body


def active_mediator(tenant: Any, name: str = "Marc Lefèvre") -> Any:
    profile = MediatorProfileFactory(display_name=name)
    AffiliationFactory(tenant=tenant, profile=profile)
    return profile


def seed_demo(app, instance: Path) -> list[dict]:
    """`flask seed-demo`: seeds, writes instance/demo.json, prints the logins."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    written = json.loads((instance / "demo.json").read_text())["oauth_clients"]
    for entry in written:
        assert entry["client_id"] in result.output and entry["client_secret"] in result.output
    return written
