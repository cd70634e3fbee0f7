"""VAT on the subscription invoices: one Stripe tax rate (French standard rate, added on
top of the prices, which are excl. VAT), found by its metadata or created once.

Stripe tax rates cannot be given an id, so the rate carries `metadata.mh_vat` and is
looked up by it; `flask billing sync-plans` creates it along with the plans.
"""

from __future__ import annotations

from typing import Any

from core.billing.client import platform_client
from core.billing.plans import VAT_PERCENT

MARKER = "mh_vat"
MARKER_VALUE = f"fr_standard_{VAT_PERCENT}"


def _find(client: Any) -> str | None:
    for rate in client.v1.tax_rates.list(params={"limit": 100}).auto_paging_iter():
        found = rate.to_dict()
        if found.get("active") and (found.get("metadata") or {}).get(MARKER) == MARKER_VALUE:
            return rate.id
    return None


def vat_rate_id(*, create: bool = True) -> tuple[str | None, bool]:
    """The platform's VAT tax rate id, and whether it was created just now."""
    client = platform_client()
    found = _find(client)
    if found or not create:
        return found, False
    rate = client.v1.tax_rates.create(
        params={
            "display_name": "TVA",
            "description": f"TVA {VAT_PERCENT} %",
            "jurisdiction": "FR",
            "percentage": VAT_PERCENT,
            "inclusive": False,
            "metadata": {MARKER: MARKER_VALUE},
        }
    )
    return rate.id, True
