"""Stripe's webhook: POST /billing/stripe/webhook.

The view only checks the signature (the library's, with a 300 s tolerance against
replays) and queues a job; it answers 2xx at once. The job never trusts the payload:
it re-reads the object from Stripe, so events applied in any order, or twice, end in
the same state. The event's id is stored (StripeEvent) in the transaction of its
effect, so a duplicate delivery is a no-op. Types we do not handle are acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import stripe
from flask import Blueprint, Flask, current_app, request
from flask_babel import gettext as _
from sqlalchemy import update

from core import jobs
from core.access import access
from core.billing import dunning, subscriptions
from core.billing.accounts import account_by_customer
from core.billing.client import billing_enabled, platform_client
from core.billing.models import BillingAccount, StripeEvent, SubscriptionStatus
from core.db import db
from core.errors import problem
from core.security import csrf

log = logging.getLogger(__name__)

bp = Blueprint("stripe_webhooks", __name__)
TOLERANCE_SECONDS = 300
MAX_BODY = 512 * 1024

SUBSCRIPTION_EVENTS = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
    }
)
INVOICE_EVENTS = frozenset(
    {
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "invoice.voided",
        "invoice.marked_uncollectible",
    }
)
SETUP_EVENTS = frozenset({"setup_intent.succeeded"})
HANDLED = SUBSCRIPTION_EVENTS | INVOICE_EVENTS | SETUP_EVENTS


@bp.post("/billing/stripe/webhook")
@access("public")
@csrf.exempt
def receive() -> Any:
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not billing_enabled() or not secret:
        return problem(404, _("Not Found"), detail=_("Platform billing is off."))
    if (request.content_length or 0) > MAX_BODY:
        return problem(413, _("Payload Too Large"))
    payload = request.get_data(cache=False)
    try:
        event = stripe.Webhook.construct_event(
            payload,
            request.headers.get("Stripe-Signature"),
            secret,
            tolerance=TOLERANCE_SECONDS,
        )
    except (ValueError, stripe.SignatureVerificationError):
        return problem(400, _("Bad Request"), detail=_("The Stripe signature is not valid."))
    object_id = _object_id(event)
    if event.type in HANDLED and object_id:
        handle_event.delay(event.id, event.type, object_id)
        db.session.commit()  # queues the job (jobs are queued at the commit)
    return {"received": True}, 200


def _object_id(event: Any) -> str | None:
    try:
        found = event["data"]["object"]["id"]
    except (KeyError, TypeError):
        return None
    return found if isinstance(found, str) else None


@jobs.job("default")
def handle_event(event_id: str, event_type: str, object_id: str) -> None:
    """Apply one Stripe event, once: its effect and its StripeEvent row commit together."""
    kind = event_type.split(".", 1)[0] if event_type in HANDLED else None
    if kind is None:
        return
    # Stripe first, before any statement: the lock below must open the transaction.
    obj = _RETRIEVE[kind](object_id)
    _lock_account(_id_of(obj.customer))
    if db.session.get(StripeEvent, event_id) is not None:
        return  # delivered twice: applied already
    _HANDLERS[kind](obj)
    db.session.add(StripeEvent(id=event_id, type=event_type[:100]))


def _lock_account(customer_id: str | None) -> None:
    """Serialize the events of one account (Stripe sends several at once): a no-op
    write takes the row's lock (PostgreSQL) or the database's (SQLite) before anything
    is read, so each event's job sees what the previous one committed."""
    if customer_id:
        db.session.execute(
            update(BillingAccount)
            .where(BillingAccount.stripe_customer_id == customer_id)
            .values(updated_at=BillingAccount.updated_at)
            .execution_options(synchronize_session=False)
        )


def _on_subscription(subscription: Any) -> None:
    account = account_by_customer(_id_of(subscription.customer))
    if account is None or not _follows(account, subscription):
        return
    subscriptions.refresh_subscription(account, subscription)
    if account.status == SubscriptionStatus.PAST_DUE.value:
        # The "payment failed" email leaves with the event, not at the next sweep.
        dunning.remind(account.id)


def _follows(account: BillingAccount, subscription: Any) -> bool:
    """Whether this subscription is the account's (the current one, or a new one that
    replaces an ended one)."""
    if account.stripe_subscription_id in (None, subscription.id):
        return True
    if subscription.status in subscriptions.ENDED:
        return False
    current = platform_client().v1.subscriptions.retrieve(account.stripe_subscription_id)
    return current.status in subscriptions.ENDED


def _on_invoice(invoice: Any) -> None:
    if subscriptions.mirror_invoice(invoice) is None:
        return
    subscription_id = subscriptions.invoice_subscription_id(invoice)
    if subscription_id:
        _on_subscription(platform_client().v1.subscriptions.retrieve(subscription_id))


def _on_setup_intent(intent: Any) -> None:
    account = account_by_customer(_id_of(intent.customer))
    if account is None or intent.status != "succeeded" or not intent.payment_method:
        return
    subscriptions.save_card(account, _id_of(intent.payment_method))


def _id_of(value: Any) -> str | None:
    return value if isinstance(value, str) or value is None else value.id


_RETRIEVE: dict[str, Callable[[str], Any]] = {
    "customer": lambda object_id: platform_client().v1.subscriptions.retrieve(object_id),
    "invoice": lambda object_id: platform_client().v1.invoices.retrieve(object_id),
    "setup_intent": lambda object_id: platform_client().v1.setup_intents.retrieve(object_id),
}
_HANDLERS: dict[str, Callable[[Any], None]] = {
    "customer": _on_subscription,
    "invoice": _on_invoice,
    "setup_intent": _on_setup_intent,
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
