"""The center's billing page (/c/<slug>/billing): off without Stripe keys; on, it
shows the plan, seats, usage and invoices, changes the plan, cancels at the period's
end, refuses bad input with a field message and writes nothing; owners and
administrators only; the Stripe secret key is neither stored nor logged."""

from __future__ import annotations

import logging

import pytest
import stripe
from sqlalchemy import select, text

from core.billing import subscriptions
from core.billing.models import BillingAccount
from core.db import Base, db
from tenants.models import Role
from tests.core.billing.conftest import SECRET_KEY
from tests.core.billing.helpers import (
    account_of,
    count,
    deliver_recorded_events,
    subscribe,
)
from tests.factories import MembershipFactory, UserFactory
from tests.tenants.helpers import make_center, sign_in


def _active_center(client, billing):
    center = make_center()
    subscribe(client, billing, center)
    deliver_recorded_events(client, billing)
    assert account_of(center).status == "active"
    return center


def _stripe_subscription(billing, center):
    return billing.get(f"subscriptions/{account_of(center).stripe_subscription_id}")


def test_billing_off_says_so_and_changes_nothing(app, client):
    center = make_center()
    sign_in(client, center.owner)

    page = client.get(center.url("billing"))
    assert page.status_code == 200
    assert "Billing is off" in page.get_data(as_text=True)
    assert "Unlimited" in page.get_data(as_text=True)
    for path, data in (
        ("billing/plan", {"plan": "center", "interval": "month"}),
        ("billing/overage-cap", {"overage_cap": "50"}),
        ("billing/cancel", {}),
    ):
        response = client.post_form(center.url(path), data)
        assert response.status_code == 303
        assert response.headers["Location"].endswith(center.url("billing").rstrip("/"))
    assert count(BillingAccount) == 0


def test_the_page_shows_plan_seats_usage_and_invoices(app, billing, client):
    center = _active_center(client, billing)
    account = account_of(center)
    # localstripe's invoices have no hosted page nor PDF; Stripe's do: mirror one as
    # Stripe would send it, the real invoice read back with its two links.
    real = billing.get(f"invoices?customer={account.stripe_customer_id}")["data"][0]
    real.update(
        number="MH-0001",
        hosted_invoice_url="https://invoice.stripe.com/i/test_hosted",
        invoice_pdf="https://pay.stripe.com/invoice/test/pdf",
    )
    subscriptions.mirror_invoice(stripe.StripeObject.construct_from(real, "sk_test"))
    db.session.commit()

    page = client.get(center.url("billing")).get_data(as_text=True)
    assert 'id="plan-name">Center<' in page
    assert 'data-status="active"' in page
    assert "1 of 25 mediator seats used." in page or "0 of 25 mediator seats used." in page
    assert "referrals received this period, 100 included" in page
    assert "Visa •••• 4242" in page
    assert "MH-0001" in page
    assert 'href="https://invoice.stripe.com/i/test_hosted"' in page
    assert 'href="https://pay.stripe.com/invoice/test/pdf"' in page
    assert "Current period ends on" in page


def test_changing_the_plan_changes_the_stripe_subscription(app, billing, client):
    center = _active_center(client, billing)

    response = client.post_form(
        center.url("billing/plan"), {"plan": "network", "interval": "month"}
    )
    assert response.status_code == 303
    live = _stripe_subscription(billing, center)
    assert live["items"]["data"][0]["plan"]["id"] == "mh_network_month"
    assert account_of(center).plan_code == "network"
    assert 'id="plan-name">Network<' in client.get(center.url("billing")).get_data(as_text=True)


def test_cancelling_ends_at_the_period_end_and_can_be_undone(app, billing, client):
    center = _active_center(client, billing)

    assert client.post_form(center.url("billing/cancel")).status_code == 303
    assert _stripe_subscription(billing, center)["cancel_at_period_end"] is True
    account = account_of(center)
    assert account.cancel_at_period_end and account.status == "active"
    page = client.get(center.url("billing")).get_data(as_text=True)
    assert "keeps full access until" in page
    assert 'id="cancel-notice"' in page

    assert client.post_form(center.url("billing/resume")).status_code == 303
    assert _stripe_subscription(billing, center)["cancel_at_period_end"] is False
    assert not account_of(center).cancel_at_period_end


def test_the_overage_cap_is_saved(app, billing, client):
    center = _active_center(client, billing)

    assert (
        client.post_form(center.url("billing/overage-cap"), {"overage_cap": "49.90"}).status_code
        == 303
    )
    assert account_of(center).overage_cap_cents == 4990
    assert (
        client.post_form(center.url("billing/overage-cap"), {"overage_cap": ""}).status_code == 303
    )
    assert account_of(center).overage_cap_cents is None


def _state(billing, center):
    account = account_of(center)
    return (
        account.plan_code,
        account.interval,
        account.overage_cap_cents,
        account.cancel_at_period_end,
        account.card_last4,
        _stripe_subscription(billing, center)["items"]["data"][0]["plan"]["id"],
    )


@pytest.mark.parametrize(
    ("path", "data", "field_message"),
    [
        ("billing/plan", {"plan": "gold", "interval": "month"}, "Not a valid choice"),
        ("billing/plan", {"plan": "center", "interval": "weekly"}, "Not a valid choice"),
        ("billing/plan", {"plan": "center" + "x" * 300, "interval": "month"}, "Not a valid choice"),
        ("billing/overage-cap", {"overage_cap": "-5"}, "Enter an amount from 0 to 1,000,000."),
        ("billing/overage-cap", {"overage_cap": "twelve"}, "Not a valid decimal value."),
        ("billing/overage-cap", {"overage_cap": "1" * 300}, "Enter an amount from 0 to 1,000,000."),
        ("billing/card", {"setup_intent": "seti_" + "a" * 300}, "Field cannot be longer than 255"),
        ("billing/card", {"setup_intent": "seti_unknown"}, "This card setup is unknown."),
        ("billing/plan", {"plan": "center", "interval": "month", "extra": "x"}, "Unexpected field"),
    ],
)
def test_bad_input_gets_a_field_message_and_writes_nothing(
    app, billing, client, path, data, field_message
):
    center = _active_center(client, billing)
    client.post_form(center.url("billing/overage-cap"), {"overage_cap": "20"})
    before = _state(billing, center)

    response = client.post_form(center.url(path), data)
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)
    assert _state(billing, center) == before


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEDIATOR, Role.CASE_MANAGER])
def test_other_members_are_refused(app, billing, client, role):
    center = _active_center(client, billing)
    member = UserFactory(locale="en")
    MembershipFactory(tenant=center.tenant, user=member, role=role)
    sign_in(client, member)
    before = _state(billing, center)

    assert client.get(center.url("billing")).status_code == 403
    assert client.get(center.url("billing/card")).status_code == 403
    for path, data in (
        ("billing/plan", {"plan": "network", "interval": "month"}),
        ("billing/cancel", {}),
        ("billing/overage-cap", {"overage_cap": "1"}),
    ):
        assert client.post_form(center.url(path), data).status_code == 403
    assert _state(billing, center) == before


def test_another_centers_admin_sees_nothing(app, billing, client):
    center = _active_center(client, billing)
    other = make_center()
    sign_in(client, other.admin)
    before = _state(billing, center)

    assert client.get(center.url("billing")).status_code == 404
    assert client.get(center.url("billing/card")).status_code == 404
    assert client.post_form(center.url("billing/cancel")).status_code == 404
    assert _state(billing, center) == before
    # Their own page is theirs, with no subscription.
    own = client.get(other.url("billing")).get_data(as_text=True)
    assert "The center has no subscription yet." in own


def test_the_stripe_secret_key_is_never_stored_nor_logged(
    app, billing, client, owner_engine, caplog
):
    caplog.set_level(logging.DEBUG)
    center = _active_center(client, billing)
    client.post_form(center.url("billing/plan"), {"plan": "network", "interval": "month"})
    client.post_form(center.url("billing/cancel"))

    assert SECRET_KEY not in caplog.text
    with owner_engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(text(f"SELECT * FROM {table.name}")):
                assert SECRET_KEY not in repr(tuple(row)), table.name
    assert db.session.scalar(select(BillingAccount.stripe_customer_id)).startswith("cus_")
