"""Seats: how many mediators a center has, as the plans count them.

core imports no domain, so `tenants` registers the counting function at start-up
(`register_seats_provider`). After an affiliation is added or ended, the domain calls
`seats_changed(tenant_id)`: a job then sets the Stripe subscription's quantity to the
count (`core.billing.subscriptions.set_seat_quantity`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from core.jobs import job

SeatsProvider = Callable[[uuid.UUID], int]

_providers: dict[str, SeatsProvider] = {}


def register_seats_provider(fn: SeatsProvider) -> None:
    """`fn(tenant_id)` returns the seats the center uses (process-wide, set once)."""
    _providers["seats"] = fn


def seats_in_use(tenant_id: uuid.UUID | str) -> int:
    provider = _providers.get("seats")
    if provider is None:
        return 0
    return int(provider(uuid.UUID(str(tenant_id))))


def seats_changed(tenant_id: uuid.UUID | str) -> None:
    """Queue the seat quantity's sync; queued at the commit (dropped on a rollback)."""
    from core.billing.client import billing_enabled

    if billing_enabled():
        sync_seat_quantity.delay(tenant_id=str(tenant_id))


@job("default")
def sync_seat_quantity() -> None:
    """Bill the seats the current tenant uses (idempotent: sets, never adds)."""
    from core.billing import accounts, subscriptions
    from core.billing.client import billing_enabled
    from core.tenancy import current_tenant_id

    if not billing_enabled():
        return
    tenant_id = current_tenant_id()
    if tenant_id is None:
        return
    account = accounts.account_for(tenant_id)
    subscriptions.set_seat_quantity(account, max(seats_in_use(tenant_id), 1))
