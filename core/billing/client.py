"""The one way the product talks to Stripe: the official library's `StripeClient`.

The platform's own account is configured from the environment (`STRIPE_SECRET_KEY`,
`STRIPE_API_BASE`); a center's own account (party fees) passes its own key. The API base
is configurable so that tests and development can point at an emulator on loopback.
"""

from __future__ import annotations

import stripe
from flask import current_app

# Stripe's requests are short; a hung connection must not hold a worker for long.
TIMEOUT_SECONDS = 20
RETRIES = 2


def stripe_client(api_key: str, api_base: str | None = None) -> stripe.StripeClient:
    """A client for one Stripe account (`api_base` None: Stripe itself)."""
    addresses = {"api": api_base.rstrip("/")} if api_base else None
    return stripe.StripeClient(
        api_key,
        base_addresses=addresses or {},
        max_network_retries=RETRIES,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


def billing_enabled() -> bool:
    """Platform billing is on only when the platform's Stripe key is configured."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def platform_client() -> stripe.StripeClient:
    """The platform's own Stripe account (billing must be enabled)."""
    config = current_app.config
    if not config.get("STRIPE_SECRET_KEY"):
        raise RuntimeError("platform billing is off: STRIPE_SECRET_KEY is not set")
    return stripe_client(config["STRIPE_SECRET_KEY"], config.get("STRIPE_API_BASE"))
