"""Stripe's webhook: the signature and its age are checked by the library, the work
is done by a job that re-reads the object from Stripe, once per event, whatever the
order. The events posted here are real: recorded by localstripe, or built around the
objects read back from it, and signed with the endpoint's secret."""

from __future__ import annotations

import random
import time

from sqlalchemy import delete, select

from core.billing.models import BillingAccount, StripeEvent, SubscriptionInvoice
from core.db import db
from tests.core.billing.conftest import event_for, post_event
from tests.core.billing.helpers import (
    account_of,
    count,
    deliver_recorded_events,
    status_changes,
    subscribe,
    subscription_updated,
)
from tests.tenants.helpers import make_center

HANDLED_RECORDED = {
    "customer.subscription.created",
    "customer.subscription.deleted",
    "invoice.created",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
}


def _recorded(billing, event_type):
    return [e for e in billing.events() if e["type"] == event_type]


def test_a_bad_signature_is_refused(app, billing, client):
    center = make_center()
    subscribe(client, billing, center)
    event = _recorded(billing, "invoice.payment_succeeded")[0]

    forged = post_event(client, event, secret="whsec_not_the_right_one")
    assert forged.status_code == 400
    assert forged.mimetype == "application/problem+json"
    unsigned = client.post("/billing/stripe/webhook", json=event)
    assert unsigned.status_code == 400
    assert count(StripeEvent) == 0
    assert count(SubscriptionInvoice) == 0
    assert account_of(center).status == "none"


def test_a_stale_event_is_refused(app, billing, client):
    center = make_center()
    subscribe(client, billing, center)
    event = _recorded(billing, "invoice.payment_succeeded")[0]

    stale = post_event(client, event, timestamp=int(time.time()) - 301)
    assert stale.status_code == 400
    assert count(StripeEvent) == 0
    assert account_of(center).status == "none"
    # Within the tolerance, the same event is taken.
    assert post_event(client, event, timestamp=int(time.time()) - 200).status_code == 200
    assert account_of(center).status == "active"


def test_an_event_delivered_twice_has_one_effect(app, billing, client):
    center = make_center()
    subscribe(client, billing, center)
    event = _recorded(billing, "invoice.payment_succeeded")[0]

    for _ in range(2):
        assert post_event(client, event).status_code == 200

    assert count(StripeEvent) == 1
    assert count(SubscriptionInvoice) == 1
    assert account_of(center).status == "active"
    assert status_changes(center) == [{"from": "none", "to": "active"}]


def test_an_unknown_event_type_is_acknowledged_and_ignored(app, billing, client):
    center = make_center()
    subscribe(client, billing, center)
    customer = billing.get(f"customers/{account_of(center).stripe_customer_id}")

    response = post_event(client, event_for("customer.discount.created", customer))
    assert response.status_code == 200
    assert count(StripeEvent) == 0
    assert account_of(center).status == "none"


def test_a_failed_payment_then_a_paid_one(app, billing, client, clock, mailbox):
    center = make_center()
    subscribe(client, billing, center)
    deliver_recorded_events(client, billing, HANDLED_RECORDED)
    account = account_of(center)
    assert account.status == "active"

    _fail_then_pay(billing, account, client=client, deliver=True, center=center)
    # The "payment failed" email left with the event (not at the next sweep), once.
    failed_mails = [m for m in mailbox.to(center.owner.email) if "payment" in m["Subject"].lower()]
    assert len(failed_mails) == 1


def _fail_then_pay(billing, account, *, client=None, deliver=False, center=None):
    """The card starts failing and the center moves to yearly billing: the invoice of
    the change is refused (past due); then a good card pays it (active again). Returns
    the invoice.payment_failed event, which the emulator does not send: it is built
    from the refused invoice read back from it."""
    customer, subscription = account.stripe_customer_id, account.stripe_subscription_id
    failing = billing.post(
        "payment_methods/pm_card_chargeCustomerFail/attach", {"customer": customer}
    )
    billing.post(
        f"customers/{customer}", {"invoice_settings[default_payment_method]": failing["id"]}
    )
    item = billing.get(f"subscriptions/{subscription}")["items"]["data"][0]["id"]
    billing.post(
        f"subscriptions/{subscription}",
        {"items[0][id]": item, "items[0][plan]": "mh_center_year", "items[0][quantity]": "1"},
    )
    refused = billing.get(f"subscriptions/{subscription}")
    assert refused["status"] == "past_due"
    invoice = billing.get(f"invoices/{refused['latest_invoice']}")
    assert invoice["status"] == "open"
    failed = event_for("invoice.payment_failed", invoice)
    if deliver:
        assert post_event(client, failed).status_code == 200
        past_due = account_of(center)
        assert past_due.status == "past_due"
        assert past_due.past_due_since is not None

    good = billing.post("payment_methods/pm_card_visa/attach", {"customer": customer})
    billing.post(f"customers/{customer}", {"invoice_settings[default_payment_method]": good["id"]})
    billing.post(f"invoices/{invoice['id']}/pay", {})
    assert billing.get(f"subscriptions/{subscription}")["status"] == "active"
    if deliver:
        paid = [
            e
            for e in _recorded(billing, "invoice.payment_succeeded")
            if e["data"]["object"]["id"] == invoice["id"]
        ]
        assert len(paid) == 1
        assert post_event(client, paid[0]).status_code == 200
        again = account_of(center)
        assert again.status == "active"
        assert again.interval == "year"
        assert again.past_due_since is None and again.dunning_stage is None
        assert [c["to"] for c in status_changes(center)] == ["active", "past_due", "active"]
    return failed


def _wait_for_stripe(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the emulator did not get there"
        time.sleep(0.1)


def _snapshot(center):
    account = account_of(center)
    invoices = db.session.scalars(
        select(SubscriptionInvoice).order_by(SubscriptionInvoice.stripe_invoice_id)
    ).all()
    return (
        account.status,
        account.plan_code,
        account.interval,
        account.seats_billed,
        account.current_period_start,
        account.current_period_end,
        account.cancel_at_period_end,
        account.past_due_since,
        [(i.stripe_invoice_id, i.status, i.total_cents, i.amount_paid_cents) for i in invoices],
    )


def _forget_what_the_events_did(center):
    db.session.execute(delete(StripeEvent))
    db.session.execute(delete(SubscriptionInvoice))
    account = account_of(center)
    account.status, account.plan_code, account.interval = "none", None, None
    account.current_period_start = account.current_period_end = account.past_due_since = None
    account.seats_billed = 0
    db.session.add(account)
    db.session.commit()


def test_the_same_events_in_any_order_end_in_the_same_state(app, billing, client):
    center = make_center()
    subscribe(client, billing, center)
    account = account_of(center)
    failed = _fail_then_pay(billing, account)
    events = [e for e in billing.events() if e["type"] in HANDLED_RECORDED]
    events.append(failed)
    events.append(subscription_updated(billing, account.stripe_subscription_id))
    assert {"invoice.payment_failed", "invoice.payment_succeeded"} <= {e["type"] for e in events}

    orders = [list(events), list(reversed(events))]
    shuffler = random.Random(7)
    for _ in range(3):
        shuffled = list(events)
        shuffler.shuffle(shuffled)
        orders.append(shuffled)
    states = []
    for order in orders:
        _forget_what_the_events_did(center)
        for event in order:
            assert post_event(client, event).status_code == 200
        states.append(_snapshot(center))
        assert count(StripeEvent) == len(events)

    assert all(state == states[0] for state in states), states
    status, plan_code, _interval, seats, *_rest, past_due_since, invoices = states[0]
    assert (status, plan_code, seats, past_due_since) == ("active", "center", 1, None)
    assert sorted(i[1] for i in invoices) == ["paid", "paid"]


def test_billing_off_has_no_webhook(app, client):
    response = client.post("/billing/stripe/webhook", data=b"{}")
    assert response.status_code == 404
    assert db.session.query(BillingAccount).count() == 0
