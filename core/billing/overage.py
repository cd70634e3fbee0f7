"""Overage: referrals past the plan's allowance, billed once at each period's end.

A periodic task (`sweep`) finds the accounts whose stored billing period has ended by
the clock, counts the referrals received in it (the usage provider), and bills
max(0, received - included) x the plan's price per referral, stopped at the center's
cap, as one invoice item on the Stripe customer: Stripe adds it to the next invoice.

Each period is billed once: the OverageCharge row (unique per tenant and period
start) is written in the transaction that records the invoice item, and the Stripe
call carries an idempotency key made of the same two values, so a run that dies
between the two is retried without a second charge.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.billing.client import billing_enabled, platform_client
from core.billing.models import BillingAccount, OverageCharge, SubscriptionStatus
from core.billing.plans import CURRENCY, plan_for
from core.billing.usage import as_utc, bill, referrals_received
from core.clock import now
from core.db import db
from core.jobs import job

# A period is billed whatever the subscription became since, as long as it existed.
BILLED_STATUSES = (
    SubscriptionStatus.TRIALING.value,
    SubscriptionStatus.ACTIVE.value,
    SubscriptionStatus.PAST_DUE.value,
    SubscriptionStatus.UNPAID.value,
    SubscriptionStatus.CANCELED.value,
)


def _already_billed(account: BillingAccount) -> bool:
    found = select(OverageCharge.id).where(
        OverageCharge.tenant_id == account.tenant_id,
        OverageCharge.period_start == account.current_period_start,
    )
    return db.session.scalar(found) is not None


def bill_period(account_id: uuid.UUID) -> OverageCharge | None:
    """Bill the ended period of one account, once; None when nothing was due (not
    ended, billed already, or no plan)."""
    account = db.session.get(BillingAccount, account_id)
    if account is None or account.current_period_start is None:
        return None
    if account.current_period_end is None or account.stripe_customer_id is None:
        return None
    start, end = as_utc(account.current_period_start), as_utc(account.current_period_end)
    plan = plan_for(account.plan_code)
    if plan is None or now() < end or _already_billed(account):
        return None
    interval = account.interval or "month"
    received = referrals_received(account.tenant_id, start, end)
    included, _over, billed, amount, capped = bill(
        plan, interval, received, account.overage_cap_cents
    )
    charge = OverageCharge(
        tenant_id=account.tenant_id,
        period_start=start,
        period_end=end,
        referrals_received=received,
        referrals_included=included or 0,
        billed_quantity=billed,
        unit_amount_cents=plan.overage_cents_per_referral,
        amount_cents=amount,
        capped=capped,
    )
    db.session.add(charge)
    db.session.flush()  # a concurrent run's row makes this fail before Stripe is called
    if amount > 0:
        item = platform_client().v1.invoice_items.create(
            params={
                "customer": account.stripe_customer_id,
                "amount": amount,
                "currency": CURRENCY,
                "description": (
                    f"{billed} referral(s) past the allowance x "
                    f"{plan.overage_cents_per_referral / 100:.2f} EUR "
                    f"({start:%Y-%m-%d} - {end:%Y-%m-%d})"
                ),
                "metadata": {
                    "kind": "referral_overage",
                    "tenant_id": str(account.tenant_id),
                    "quantity": str(billed),
                    "unit_amount": str(plan.overage_cents_per_referral),
                    "period_start": str(int(start.timestamp())),
                    "period_end": str(int(end.timestamp())),
                },
            },
            options={"idempotency_key": f"overage-{account.tenant_id}-{int(start.timestamp())}"},
        )
        charge.stripe_invoice_item_id = item.id
    return charge


@job("default")
def sweep() -> None:
    """Bill every account whose stored period has ended (each period once)."""
    if not billing_enabled():
        return
    ids = db.session.scalars(
        select(BillingAccount.id).where(
            BillingAccount.current_period_end.is_not(None),
            BillingAccount.current_period_end <= now(),
            BillingAccount.status.in_(BILLED_STATUSES),
        )
    ).all()
    for account_id in ids:
        try:
            bill_period(account_id)
            db.session.commit()
        except Exception:
            db.session.rollback()  # retried at the next sweep; the others still run
            raise
