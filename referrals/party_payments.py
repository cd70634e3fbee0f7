"""Card payments of party invoices, on the center's own Stripe account.

The party opens a signed link (no account needed); the page collects the card with
Stripe.js Elements, so card details go to Stripe only. The PaymentIntent is created here,
server-side, on the center's account; whether the invoice is paid is decided by reading
that PaymentIntent back from Stripe, never from what the browser says.
"""

from __future__ import annotations

import uuid
from typing import Any

import stripe
from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from core import audit
from core.clock import now
from core.db import db
from referrals import center_stripe
from referrals.center_stripe import StripeAccountError
from referrals.fee_models import InvoiceStatus, PartyInvoice, PaymentMethod
from referrals.party_fees import billing_profile

SALT = "party-invoice-payment"
SETTLED = frozenset({"succeeded"})


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def payment_token(invoice: PartyInvoice) -> str:
    return _signer().dumps({"t": str(invoice.tenant_id), "i": str(invoice.id)})


def read_token(token: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The (center, invoice) a link names, or None for a forged or damaged link."""
    if len(token) > 500:
        return None
    try:
        data = _signer().loads(token)
        return uuid.UUID(data["t"]), uuid.UUID(data["i"])
    except (BadData, KeyError, TypeError, ValueError):
        return None


def _client() -> stripe.StripeClient:
    profile = billing_profile()
    if profile is None or not profile.accepts_cards:
        raise StripeAccountError("the center takes no card payments")
    return center_stripe.center_client(profile)


def start(invoice: PartyInvoice) -> str:
    """The client secret of the invoice's PaymentIntent (made once, then reused)."""
    client = _client()
    # A canceled intent is replaced by a new one, under a new idempotency key.
    previous = invoice.stripe_payment_intent_id or "first"
    try:
        if invoice.stripe_payment_intent_id:
            intent = client.v1.payment_intents.retrieve(invoice.stripe_payment_intent_id)
            if intent.status != "canceled":
                return str(intent.client_secret)
        intent = client.v1.payment_intents.create(
            params={
                "amount": invoice.total_cents,
                "currency": invoice.currency.lower(),
                "payment_method_types": ["card"],
                "metadata": {"invoice_id": str(invoice.id), "invoice": invoice.reference},
            },
            options={"idempotency_key": f"party-invoice-{invoice.id}-{previous}"},
        )
    except stripe.StripeError as exc:
        raise StripeAccountError(exc.__class__.__name__) from exc
    invoice.stripe_payment_intent_id = intent.id
    db.session.commit()
    return str(intent.client_secret)


def settle(invoice: PartyInvoice) -> bool:
    """Mark the invoice paid if its PaymentIntent, read from the center's Stripe, has
    succeeded for its amount. Safe to call any number of times."""
    if invoice.status != InvoiceStatus.ISSUED or not invoice.stripe_payment_intent_id:
        return invoice.status == InvoiceStatus.PAID
    try:
        intent = _client().v1.payment_intents.retrieve(invoice.stripe_payment_intent_id)
    except stripe.StripeError as exc:
        raise StripeAccountError(exc.__class__.__name__) from exc
    metadata: dict[str, Any] = intent.metadata.to_dict() if intent.metadata else {}
    if (
        intent.status not in SETTLED
        or intent.amount != invoice.total_cents
        or metadata.get("invoice_id") != str(invoice.id)
    ):
        return False
    invoice.status, invoice.paid_at = InvoiceStatus.PAID, now()
    invoice.payment_method = PaymentMethod.CARD
    audit.record(
        "fees.invoice_paid",
        object_type="party_invoice",
        object_id=invoice.id,
        details={"by": "card", "payment_intent": intent.id},
    )
    db.session.commit()
    return True


def refund(invoice: PartyInvoice) -> str:
    """Refund a card payment in full on the center's account; the refund's id."""
    try:
        made = _client().v1.refunds.create(
            params={"payment_intent": str(invoice.stripe_payment_intent_id)},
            options={"idempotency_key": f"party-refund-{invoice.id}"},
        )
    except stripe.StripeError as exc:
        raise StripeAccountError(exc.__class__.__name__) from exc
    return str(made.id)
