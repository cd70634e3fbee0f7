"""Overage: referrals past the plan's allowance are accepted like any other, and at the
period's end the overage job bills them once as an invoice item (quantity x price) on
the center's Stripe customer, read back from localstripe; a cap stops the amount, and
running the job again bills nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.billing import overage, usage
from core.billing.models import OverageCharge
from core.db import db
from core.tenancy import tenant_scope
from tests.core.billing.conftest import drain
from tests.core.billing.entitlement_helpers import (
    account_of,
    move_clock_into_period,
    subscribed,
)
from tests.factories import PartnerFactory
from tests.referrals.helpers import active_mediator, partner_token, referral_body
from tests.tenants.helpers import make_center

BASE = "/api/v1/referrals"


@pytest.fixture
def center(app):
    found = make_center(legal_name="Centre de Médiation de Lyon", locale="en")
    active_mediator(found.tenant)
    return found


def _send(app, client, center, count: int) -> None:
    headers = partner_token(app, PartnerFactory().id)
    for n in range(count):
        sent = client.post(
            BASE, json=referral_body(center.tenant, reference=f"R{n}"), headers=headers
        )
        assert sent.status_code == 201, sent.json


def _overage_items(billing, account) -> list[dict]:
    items = billing.get(f"invoiceitems?customer={account.stripe_customer_id}&limit=100")["data"]
    return [i for i in items if (i.get("metadata") or {}).get("kind") == "referral_overage"]


def _charges(center) -> list[OverageCharge]:
    db.session.expire_all()
    with tenant_scope(center.tenant.id):
        return list(db.session.scalars(select(OverageCharge)))


def _run(app) -> None:
    overage.sweep()
    drain(app)


def test_referrals_past_the_allowance_are_billed_once_at_the_period_end(
    app, client, billing, center, clock
):
    account = subscribed(center, "solo", seats=1)  # 10 referrals a month, 5 EUR each past
    move_clock_into_period(clock, account)
    _send(app, client, center, 13)  # the 11th to 13th are accepted too

    now_usage = usage.period_usage(account_of(center))
    assert (now_usage.received, now_usage.included, now_usage.over) == (13, 10, 3)
    assert now_usage.estimated_cents == 1500

    _run(app)  # the period has not ended: nothing billed yet
    assert _overage_items(billing, account) == [] and _charges(center) == []

    clock.advance(account.current_period_end - clock.now() + timedelta(minutes=5))
    _send(app, client, center, 1)  # after the period: not part of it
    _run(app)
    (item,) = _overage_items(billing, account)
    assert item["amount"] == 3 * 500 and item["currency"] == "eur"
    assert item["metadata"]["quantity"] == "3" and item["metadata"]["unit_amount"] == "500"
    assert item["invoice"] is None  # pending: Stripe adds it to the next invoice
    (charge,) = _charges(center)
    assert (charge.referrals_received, charge.referrals_included) == (13, 10)
    assert (charge.billed_quantity, charge.amount_cents, charge.capped) == (3, 1500, False)
    assert charge.stripe_invoice_item_id == item["id"]

    _run(app)
    _run(app)
    assert len(_overage_items(billing, account)) == 1 and len(_charges(center)) == 1


def test_the_cap_stops_the_overage(app, client, billing, center, clock):
    account = subscribed(center, "solo", seats=1)
    with tenant_scope(center.tenant.id):
        account.overage_cap_cents = 1200  # two referrals' worth (and a bit)
        db.session.commit()
    move_clock_into_period(clock, account)
    _send(app, client, center, 15)
    estimate = usage.period_usage(account_of(center))
    assert (estimate.over, estimate.billed, estimate.estimated_cents) == (5, 2, 1000)
    assert estimate.capped

    clock.advance(account.current_period_end - clock.now() + timedelta(minutes=5))
    _run(app)
    _run(app)
    (item,) = _overage_items(billing, account)
    assert item["amount"] == 1000 <= 1200
    (charge,) = _charges(center)
    assert (charge.billed_quantity, charge.amount_cents, charge.capped) == (2, 1000, True)


def test_billing_off_bills_nothing(app, client, center):
    from core.billing import accounts

    account = accounts.account_for(center.tenant.id)
    db.session.commit()
    found = usage.period_usage(account)
    assert found.included is None and found.over == 0 and found.estimated_cents == 0
    _run(app)
    assert _charges(center) == []
