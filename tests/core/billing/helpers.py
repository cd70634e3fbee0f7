"""Helpers of the billing tests: a center subscribing through its billing page."""

from __future__ import annotations

import atexit
import functools
import os
import re
from typing import Any

from sqlalchemy import func, select

from core.audit import AuditEvent
from core.billing.models import BillingAccount, StripeEvent, SubscriptionInvoice
from core.db import db
from core.tenancy import tenant_scope
from tests.core.billing.conftest import Billing, enable_billing, event_for, post_event
from tests.stripe_emulator import PLATFORM_ENV, StripeEmulator, _wait_until_up, start
from tests.tenants.helpers import Center, sign_in

SETUP_INTENT = re.compile(r'data-setup-intent="(seti_[A-Za-z0-9_]+)"')


def account_of(center: Center) -> BillingAccount | None:
    db.session.expire_all()
    return db.session.scalar(
        select(BillingAccount).where(BillingAccount.tenant_id == center.tenant.id)
    )


def add_card(client: Any, billing: Billing, center: Center) -> None:
    """The card page creates a SetupIntent; the test confirms it with pm_card_visa as
    Stripe.js would, then the page's form posts the SetupIntent's id."""
    page = client.get(center.url("billing/card"))
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    setup_intent = SETUP_INTENT.search(page.get_data(as_text=True)).group(1)
    confirmed = billing.post(
        f"setup_intents/{setup_intent}/confirm", {"payment_method": "pm_card_visa"}
    )
    assert confirmed["status"] == "succeeded"
    saved = client.post_form(center.url("billing/card"), {"setup_intent": setup_intent})
    assert saved.status_code == 303, saved.get_data(as_text=True)[:3000]


def subscribe(client: Any, billing: Billing, center: Center, plan: str = "center") -> None:
    """The owner adds a card and subscribes from the billing page."""
    sign_in(client, center.owner)
    add_card(client, billing, center)
    response = client.post_form(center.url("billing/plan"), {"plan": plan, "interval": "month"})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]


def deliver_recorded_events(client: Any, billing: Billing, types: set[str] | None = None) -> int:
    """Post the events the emulator recorded (real events), signed, as Stripe would."""
    sent = 0
    for event in billing.events():
        if types is None or event["type"] in types:
            assert post_event(client, event).status_code == 200
            sent += 1
    return sent


def subscription_updated(billing: Billing, subscription_id: str) -> dict[str, Any]:
    """customer.subscription.updated, which the emulator never sends, built from the
    subscription read back from it."""
    return event_for(
        "customer.subscription.updated", billing.get(f"subscriptions/{subscription_id}")
    )


def count(model: Any) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def status_changes(center: Center) -> list[dict[str, Any]]:
    db.session.expire_all()
    with tenant_scope(center.tenant.id):
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "billing.status_changed")
            .order_by(AuditEvent.created_at)
        ).all()
    return [row.details for row in rows]


__all__ = ["StripeEvent", "SubscriptionInvoice"]


@functools.cache
def _shared_emulator() -> StripeEmulator:
    """The platform's emulator for tests outside this package (the standing registries
    have no fixture): $LOCALSTRIPE_URL, or one process started for the session."""
    url = os.environ.get(PLATFORM_ENV)
    if not url:
        from tests.conftest import free_port

        process, url = start(free_port())
        atexit.register(process.terminate)
        if not _wait_until_up(url, process):
            raise RuntimeError(f"localstripe did not start on {url}")
    return StripeEmulator(url)


def billing_on(app: Any) -> Billing:
    """Billing switched on for `app` against an emptied platform emulator."""
    emulator = _shared_emulator()
    emulator.flush()
    emulator.unregister_webhook("platform")
    return enable_billing(app, emulator)


def subscribed_center(client: Any, app: Any, *, cancelled: bool = False) -> Center:
    """A center whose owner (signed in) added a card and subscribed; the subscription
    is copied from Stripe as its webhook would."""
    from core.billing import subscriptions
    from tests.tenants.helpers import make_center

    billing = billing_on(app)
    center = make_center()
    subscribe(client, billing, center)
    account = account_of(center)
    subscriptions.refresh_subscription(account)
    if cancelled:
        subscriptions.cancel_at_period_end(account)
    db.session.commit()
    return center
