"""Helpers of the entitlement tests: a center subscribed through the billing services
(the billing page's own flow is tested in the subscription tests), and the Stripe side
of a failed and a recovered payment, done in localstripe as Stripe would."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import select

from core.billing import accounts, subscriptions
from core.billing.models import BillingAccount
from core.db import db
from core.tenancy import tenant_scope
from tests.core.billing.conftest import SECRET_KEY, Billing
from tests.tenants.helpers import Center

AUTH = {"Authorization": f"Bearer {SECRET_KEY}"}


def account_of(center: Center) -> BillingAccount:
    db.session.expire_all()
    return db.session.scalar(
        select(BillingAccount).where(BillingAccount.tenant_id == center.tenant.id)
    )


def subscribed(center: Center, plan: str = "solo", seats: int = 1) -> BillingAccount:
    """The center with a card and a paid monthly subscription (read back from Stripe)."""
    with tenant_scope(center.tenant.id):  # its audit rows are the center's
        account = accounts.account_for(center.tenant.id)
        accounts.ensure_customer(account, name=center.tenant.legal_name, email=center.owner.email)
        subscriptions.save_card(account, "pm_card_visa")
        subscriptions.subscribe(account, plan, "month", seats)
        subscriptions.refresh_subscription(account)
        db.session.commit()
    assert account.status == "active", account.status
    return account


def quantity(billing: Billing, account: BillingAccount) -> int:
    """The subscription item's quantity, as Stripe has it."""
    subscription = billing.get(f"subscriptions/{account.stripe_subscription_id}")
    return subscription["items"]["data"][0]["quantity"]


def default_card(billing: Billing, account: BillingAccount, canonical: str) -> str:
    """Attach a test card and make it the customer's default; its id."""
    method = billing.post(
        f"payment_methods/{canonical}/attach", {"customer": account.stripe_customer_id}
    )
    billing.post(
        f"customers/{account.stripe_customer_id}",
        {"invoice_settings[default_payment_method]": method["id"]},
    )
    return method["id"]


def pay(billing: Billing, invoice_id: str) -> dict[str, Any]:
    """Ask Stripe to pay the invoice with the default card (a failure is no error here)."""
    response = requests.post(
        f"{billing.stripe.url}/v1/invoices/{invoice_id}/pay", headers=AUTH, timeout=10
    )
    return billing.get(f"invoices/{invoice_id}") if response.status_code < 500 else {}


def fail_a_payment(billing: Billing, account: BillingAccount) -> str:
    """A charge of the subscription declined: the subscription turns past_due in
    localstripe; the open invoice's id.

    The declining card is made the default, then the subscription moves to yearly
    billing, which makes Stripe invoice and charge at once. (localstripe's
    POST /v1/invoices/{id}/pay leaves a card-paid subscription active when the charge
    fails; only an invoice the subscription makes itself turns it past_due.)"""
    default_card(billing, account, "pm_card_chargeCustomerFail")
    item = billing.get(f"subscriptions/{account.stripe_subscription_id}")["items"]["data"][0]
    billing.post(
        f"subscriptions/{account.stripe_subscription_id}",
        {
            "items[0][id]": item["id"],
            "items[0][plan]": item["plan"]["id"].replace("_month", "_year"),
            "items[0][quantity]": str(item["quantity"]),
        },
    )
    subscription = billing.get(f"subscriptions/{account.stripe_subscription_id}")
    assert subscription["status"] == "past_due", subscription["status"]
    invoices = billing.get(f"invoices?customer={account.stripe_customer_id}")["data"]
    (open_invoice,) = [i for i in invoices if i["status"] == "open"]
    assert open_invoice["charge"]["status"] == "failed"
    return open_invoice["id"]


def recover(billing: Billing, account: BillingAccount, invoice_id: str) -> None:
    """A working card made default and the open invoice paid: active again."""
    default_card(billing, account, "pm_card_visa")
    assert pay(billing, invoice_id)["status"] == "paid"
    subscription = billing.get(f"subscriptions/{account.stripe_subscription_id}")
    assert subscription["status"] == "active", subscription["status"]


def refresh(center: Center) -> BillingAccount:
    """What the webhook job does on Stripe's event: re-read the subscription."""
    account = account_of(center)
    with tenant_scope(center.tenant.id):
        subscriptions.refresh_subscription(account)
        db.session.commit()
    return account_of(center)


def move_clock_into_period(clock: Any, account: BillingAccount) -> None:
    """The frozen clock started before Stripe opened the period: step into it."""
    target = account.current_period_start + timedelta(minutes=1)
    if clock.now() < target:
        clock.advance(target - clock.now())
