"""Plans in Stripe, and a center subscribing: the card through a SetupIntent, the
subscription created by the page, its status set only by the webhook's job (which
re-reads the subscription from Stripe), against localstripe."""

from __future__ import annotations

from sqlalchemy import select

from core.billing.models import SubscriptionInvoice
from core.db import db
from tests.core.billing.conftest import INVOICE_FOOTER, WEBHOOK_PATH, enable_billing, wait_until
from tests.core.billing.helpers import (
    account_of,
    count,
    deliver_recorded_events,
    status_changes,
    subscribe,
)
from tests.tenants.helpers import make_center


def test_sync_plans_creates_the_products_and_plans_once(app, stripe_platform):
    billing = enable_billing(app, stripe_platform, sync=False)
    runner = app.test_cli_runner()

    first = runner.invoke(args=["billing", "sync-plans"])
    assert first.exit_code == 0, first.output
    assert "10 created" in first.output
    products = {p["id"] for p in billing.get("products?limit=100")["data"]}
    plans = {p["id"]: p for p in billing.get("plans?limit=100")["data"]}
    assert products == {"mh_solo", "mh_center", "mh_network"}
    assert set(plans) == {
        f"mh_{c}_{i}" for c in ("solo", "center", "network") for i in ("month", "year")
    }
    assert plans["mh_center_month"]["amount"] == 2500
    assert plans["mh_center_year"]["interval"] == "year"
    assert plans["mh_solo_month"]["product"] == "mh_solo"
    # One VAT tax rate (20 %, on top of the prices), which the subscriptions carry.
    rates = billing.get("tax_rates?limit=100")["data"]
    assert [(r["percentage"], r["inclusive"], r["jurisdiction"]) for r in rates] == [
        (20.0, False, "FR")
    ]

    second = runner.invoke(args=["billing", "sync-plans"])
    assert second.exit_code == 0, second.output
    assert "0 created" in second.output
    assert len(billing.get("products?limit=100")["data"]) == 3
    assert len(billing.get("plans?limit=100")["data"]) == 6
    assert len(billing.get("tax_rates?limit=100")["data"]) == 1


def test_sync_plans_refuses_when_billing_is_off(app):
    result = app.test_cli_runner().invoke(args=["billing", "sync-plans"])
    assert result.exit_code != 0
    assert "billing is off" in result.output


def test_a_center_becomes_active_through_stripes_webhook(app, billing, live_url, client):
    billing.stripe.register_webhook("platform", live_url + WEBHOOK_PATH, billing.webhook_secret)
    center = make_center()

    subscribe(client, billing, center)

    # The page created the subscription in Stripe, but did not set the status itself.
    account = account_of(center)
    assert account.stripe_subscription_id
    assert account.card_brand == "visa" and account.card_last4 == "4242"
    assert account.status == "none"
    assert billing.get(f"subscriptions/{account.stripe_subscription_id}")["status"] == "active"

    def active() -> bool:
        """the account is active"""
        return account_of(center).status == "active"

    wait_until(app, active)
    account = account_of(center)
    assert account.plan_code == "center" and account.interval == "month"
    assert account.seats_billed == 1
    assert account.current_period_end > account.current_period_start
    wait_until(app, lambda: count(SubscriptionInvoice) == 1)
    assert status_changes(center) == [{"from": "none", "to": "active"}]
    # VAT on top of the seat price, and the platform's legal mentions on Stripe's invoice.
    invoice = db.session.scalars(select(SubscriptionInvoice)).one()
    assert (invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents) == (2500, 500, 3000)
    # (read from the customer as created: the emulator drops the footer when a later
    # update sets the default card, where Stripe merges the two)
    [created] = [
        e["data"]["object"]
        for e in billing.events()
        if e["type"] == "customer.created"
        and e["data"]["object"]["id"] == account.stripe_customer_id
    ]
    assert created["invoice_settings"]["footer"] == INVOICE_FOOTER


def test_the_subscribe_call_leaves_the_status_to_the_webhook(app, billing, client):
    center = make_center()

    subscribe(client, billing, center)
    assert account_of(center).status == "none"

    # The events Stripe recorded, delivered signed (the emulator's endpoint points nowhere).
    assert deliver_recorded_events(client, billing) > 0
    account = account_of(center)
    assert account.status == "active"
    assert account.plan_code == "center"
    assert count(SubscriptionInvoice) == 1


def test_subscribing_needs_a_card_first(app, billing, client):
    center = make_center()
    from tests.tenants.helpers import sign_in

    sign_in(client, center.owner)
    response = client.post_form(center.url("billing/plan"), {"plan": "center", "interval": "month"})
    assert response.status_code == 422
    assert "Add a card first." in response.get_data(as_text=True)
    account = account_of(center)
    assert account is None or account.stripe_subscription_id is None
    assert billing.get("subscriptions?limit=100")["data"] == []
