"""The platform staff's view of billing: monthly recurring revenue, centers past due,
and how many centers are on each plan. Reads the global billing tables only."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.billing.entitlements import grace_end
from core.billing.models import BillingAccount, SubscriptionStatus
from core.billing.plans import PLANS, plan_for
from core.clock import now
from core.db import db

# Accounts whose seats count as recurring revenue (past due: still owed, still billed).
REVENUE_STATUSES = (SubscriptionStatus.ACTIVE.value, SubscriptionStatus.PAST_DUE.value)


@dataclass(frozen=True)
class PastDue:
    tenant_id: uuid.UUID
    plan: str
    since: datetime | None
    grace_ends_at: datetime
    days_left: int  # 0: read-only already
    dunning_stage: str | None


@dataclass(frozen=True)
class Overview:
    mrr_cents: int
    paying: int
    per_plan: dict[str, int]
    per_status: dict[str, int]
    past_due: list[PastDue]


def monthly_cents(account: BillingAccount) -> int:
    """What the account brings each month: seats x seat price (a year's price / 12)."""
    plan = plan_for(account.plan_code)
    if plan is None:
        return 0
    interval = account.interval or "month"
    price = plan.seat_price_cents.get(interval, 0)
    seats = max(account.seats_billed or 0, 0)
    return round(seats * price / 12) if interval == "year" else seats * price


def overview() -> Overview:
    accounts = db.session.scalars(select(BillingAccount)).all()
    moment = now()
    per_plan = {code: 0 for code in PLANS}
    per_status: dict[str, int] = {}
    mrr = paying = 0
    past_due: list[PastDue] = []
    for account in accounts:
        per_status[account.status] = per_status.get(account.status, 0) + 1
        if account.status in REVENUE_STATUSES:
            mrr += monthly_cents(account)
            paying += 1
            if account.plan_code in per_plan:
                per_plan[account.plan_code] += 1
        if account.status == SubscriptionStatus.PAST_DUE.value:
            ends = grace_end(account)
            left = max(0, math.ceil((ends - moment).total_seconds() / 86400))
            past_due.append(
                PastDue(
                    account.tenant_id,
                    account.plan_code or "",
                    account.past_due_since,
                    ends,
                    left,
                    account.dunning_stage,
                )
            )
    past_due.sort(key=lambda row: row.grace_ends_at)
    return Overview(mrr, paying, per_plan, per_status, past_due)
