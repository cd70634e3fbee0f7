"""Usage: referrals a center received in a billing period, against its plan's allowance.

`referrals` registers the counting function at start-up (`register_usage_provider`):
core imports no domain. Referrals past the allowance are never refused; they are
billed at the period's end (core.billing.overage), at most the center's cap.
"""

from __future__ import annotations

import uuid
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.billing.models import BillingAccount
from core.billing.plans import UNLIMITED, Plan, plan_for
from core.clock import now

UsageProvider = Callable[[uuid.UUID, datetime, datetime], int]

_providers: dict[str, UsageProvider] = {}


def register_usage_provider(fn: UsageProvider) -> None:
    """`fn(tenant_id, start, end)`: referrals received by that center in [start, end)."""
    _providers["referrals"] = fn


def referrals_received(tenant_id: uuid.UUID, start: datetime, end: datetime) -> int:
    provider = _providers.get("referrals")
    return 0 if provider is None else int(provider(tenant_id, start, end))


@dataclass(frozen=True)
class Usage:
    start: datetime
    end: datetime
    received: int
    included: int | None  # None: unlimited
    over: int  # referrals past the allowance
    billed: int  # of those, the ones billed (the cap may stop the count)
    unit_cents: int
    estimated_cents: int  # billed x unit price
    cap_cents: int | None
    capped: bool  # the cap cut the bill short


def bill(
    plan: Plan, interval: str, received: int, cap_cents: int | None
) -> tuple[int | None, int, int, int, bool]:
    """(included, over, billed quantity, amount in cents, capped) for one period. The
    cap counts whole referrals, so the invoice line stays quantity x unit price."""
    included = plan.referrals_included(interval)
    unit = plan.overage_cents_per_referral
    if included is None or unit <= 0:
        return included, 0, 0, 0, False
    over = max(0, received - included)
    billed = over
    if cap_cents is not None:
        billed = min(over, max(0, cap_cents) // unit)
    return included, over, billed, billed * unit, billed < over


def _this_month() -> tuple[datetime, datetime]:
    today = now().astimezone(UTC)
    start = today.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=monthrange(start.year, start.month)[1])
    return start, end


def as_utc(moment: datetime) -> datetime:
    """Stored datetimes come back naive from SQLite: they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def period_of(account: BillingAccount) -> tuple[datetime, datetime]:
    """The account's stored billing period; the calendar month without a subscription."""
    if account.current_period_start and account.current_period_end:
        return as_utc(account.current_period_start), as_utc(account.current_period_end)
    return _this_month()


def period_usage(account: BillingAccount) -> Usage:
    """Referrals received in the account's current period, the allowance, and the
    overage it would bill now (respecting the cap)."""
    from core.billing.client import billing_enabled

    plan = plan_for(account.plan_code) if billing_enabled() else UNLIMITED
    plan = plan or UNLIMITED
    interval = account.interval or "month"
    start, end = period_of(account)
    received = referrals_received(account.tenant_id, start, end)
    included, over, billed, amount, capped = bill(
        plan, interval, received, account.overage_cap_cents
    )
    return Usage(
        start=start,
        end=end,
        received=received,
        included=included,
        over=over,
        billed=billed,
        unit_cents=plan.overage_cents_per_referral,
        estimated_cents=amount,
        cap_cents=account.overage_cap_cents,
        capped=capped,
    )
