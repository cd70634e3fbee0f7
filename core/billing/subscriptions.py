"""A center's subscription to a plan, kept in Stripe and mirrored locally.

Stripe is the source of truth: the services ask Stripe to change something, then
`refresh_subscription` re-reads the subscription and copies what the product needs
(status, plan, period, cancellation). Creating a subscription does not set its status:
the webhook job does, once Stripe says so (`core.billing.stripe_webhooks`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit
from core.billing.client import billing_enabled, platform_client
from core.billing.models import (
    BillingAccount,
    SubscriptionInvoice,
    SubscriptionStatus,
)
from core.billing.plans import INTERVALS, PLANS, Plan, plan_for
from core.billing.tax import vat_rate_id
from core.clock import now
from core.db import db
from core.tenancy import tenant_scope

# Statuses after which a new subscription is needed (the old one is over).
ENDED = frozenset({SubscriptionStatus.CANCELED.value, SubscriptionStatus.INCOMPLETE_EXPIRED.value})
GOOD_STANDING = frozenset({SubscriptionStatus.ACTIVE.value, SubscriptionStatus.TRIALING.value})


class BillingError(Exception):
    """A billing request refused, with the form field it concerns."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


def _plan(plan_code: str, interval: str) -> Plan:
    plan = plan_for(plan_code)
    if plan is None or not plan.public:
        raise BillingError("plan", _l("Choose a plan from the list."))
    if interval not in INTERVALS:
        raise BillingError("interval", _l("Choose monthly or yearly billing."))
    return plan


def _plan_from_stripe_id(stripe_plan_id: str | None) -> tuple[str | None, str | None]:
    for plan in PLANS.values():
        for interval in INTERVALS:
            if plan.stripe_plan_id(interval) == stripe_plan_id:
                return plan.code, interval
    return None, None


def _moment(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), UTC) if timestamp else None


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """A field of a Stripe object, or `default` when this API version has none."""
    try:
        value = obj[key]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def _first_item(subscription: Any) -> Any:
    items = _get(_get(subscription, "items"), "data", [])
    return items[0] if items else None


def _live_subscription(account: BillingAccount) -> Any | None:
    if not billing_enabled() or not account.stripe_subscription_id:
        return None
    subscription = platform_client().v1.subscriptions.retrieve(account.stripe_subscription_id)
    return None if subscription.status in ENDED else subscription


def create_setup_intent(account: BillingAccount) -> Any:
    """A SetupIntent for the account's customer: Stripe.js confirms it with the card
    typed in Stripe's own field (the card never reaches our server)."""
    if not account.stripe_customer_id:
        raise BillingError("card", _l("The center has no billing customer yet."))
    return platform_client().v1.setup_intents.create(
        params={"customer": account.stripe_customer_id, "usage": "off_session"}
    )


def card_from_setup_intent(account: BillingAccount, setup_intent_id: str) -> str:
    """The payment method of a SetupIntent Stripe.js confirmed, checked as ours."""
    try:
        intent = platform_client().v1.setup_intents.retrieve(setup_intent_id)
    except Exception as error:  # stripe.InvalidRequestError and friends
        raise BillingError("setup_intent", _l("This card setup is unknown.")) from error
    if intent.customer != account.stripe_customer_id:
        raise BillingError("setup_intent", _l("This card setup is unknown."))
    if intent.status != "succeeded" or not intent.payment_method:
        raise BillingError("setup_intent", _l("The card was not confirmed. Please try again."))
    payment_method = intent.payment_method
    return payment_method if isinstance(payment_method, str) else payment_method.id


def save_card(account: BillingAccount, payment_method_id: str) -> None:
    """Attach the card to the customer, make it the default for invoices, and keep
    its brand and last four digits to show."""
    client = platform_client()
    method = client.v1.payment_methods.retrieve(payment_method_id)
    if _get(method, "customer") not in (None, account.stripe_customer_id):
        raise BillingError("setup_intent", _l("This card setup is unknown."))
    if _get(method, "customer") is None:
        method = client.v1.payment_methods.attach(
            payment_method_id, params={"customer": account.stripe_customer_id}
        )
    client.v1.customers.update(
        account.stripe_customer_id,
        params={"invoice_settings": {"default_payment_method": method.id}},
    )
    card = _get(method, "card", {})
    account.card_brand = (_get(card, "brand") or "")[:30] or None
    account.card_last4 = (_get(card, "last4") or "")[:4] or None
    db.session.flush()


def subscribe(account: BillingAccount, plan_code: str, interval: str, seats: int) -> None:
    """Start a subscription (or change the running one). Its status comes later, from
    the webhook: Stripe says when the first invoice is paid."""
    plan = _plan(plan_code, interval)
    if _live_subscription(account) is not None:
        change_plan(account, plan_code, interval)
        return
    seats = max(1, seats)
    if plan.max_seats is not None and seats > plan.max_seats:
        raise BillingError("plan", _l("This plan holds fewer mediators than the center has."))
    if not account.stripe_customer_id or not account.card_last4:
        raise BillingError("plan", _l("Add a card first."))
    params: dict[str, Any] = {
        "customer": account.stripe_customer_id,
        "items": [{"plan": plan.stripe_plan_id(interval), "quantity": seats}],
        "metadata": {"tenant_id": str(account.tenant_id)},
    }
    # VAT on top of the prices (excl. VAT), shown per line on Stripe's invoices.
    rate_id, _created = vat_rate_id()
    if rate_id:
        params["default_tax_rates"] = [rate_id]
    subscription = platform_client().v1.subscriptions.create(params=params)
    account.stripe_subscription_id = subscription.id
    account.seats_billed = seats
    db.session.flush()


def change_plan(account: BillingAccount, plan_code: str, interval: str) -> None:
    """Move the running subscription to another plan or interval."""
    plan = _plan(plan_code, interval)
    subscription = _live_subscription(account)
    if subscription is None:
        raise BillingError("plan", _l("The center has no subscription to change."))
    item = _first_item(subscription)
    quantity = int(_get(item, "quantity", account.seats_billed or 1))
    if plan.max_seats is not None and quantity > plan.max_seats:
        raise BillingError("plan", _l("This plan holds fewer mediators than the center has."))
    platform_client().v1.subscriptions.update(
        subscription.id,
        params={
            "items": [{"id": item.id, "plan": plan.stripe_plan_id(interval), "quantity": quantity}]
        },
    )
    refresh_subscription(account)


def set_seat_quantity(account: BillingAccount, quantity: int) -> None:
    """Bill `quantity` seats (no-op when billing is off or there is no subscription)."""
    subscription = _live_subscription(account)
    if subscription is None:
        return
    quantity = max(1, int(quantity))
    item = _first_item(subscription)
    if int(_get(item, "quantity", 0)) != quantity:
        platform_client().v1.subscriptions.update(
            subscription.id, params={"items": [{"id": item.id, "quantity": quantity}]}
        )
    account.seats_billed = quantity
    db.session.flush()


def _set_cancel(account: BillingAccount, cancel: bool) -> None:
    subscription = _live_subscription(account)
    if subscription is None:
        raise BillingError("plan", _l("The center has no running subscription."))
    platform_client().v1.subscriptions.update(
        subscription.id, params={"cancel_at_period_end": cancel}
    )
    refresh_subscription(account)


def cancel_at_period_end(account: BillingAccount) -> None:
    """Stop at the end of the paid period (access stays full until then)."""
    _set_cancel(account, True)


def resume(account: BillingAccount) -> None:
    """Undo a cancellation that has not taken effect yet."""
    _set_cancel(account, False)


def refresh_subscription(account: BillingAccount, subscription: Any = None) -> None:
    """Re-read the subscription from Stripe and copy status, plan, seats, period and the
    cancel flag; start or end a past-due episode."""
    if subscription is None:
        if not account.stripe_subscription_id:
            return
        subscription = platform_client().v1.subscriptions.retrieve(account.stripe_subscription_id)
    item = _first_item(subscription)
    plan_code, interval = _plan_from_stripe_id(_get(_get(item, "plan"), "id"))
    if plan_code:
        account.plan_code, account.interval = plan_code, interval
    account.stripe_subscription_id = subscription.id
    account.seats_billed = int(_get(item, "quantity", account.seats_billed))
    # Newer API versions keep the period on the item; older ones on the subscription.
    start = _get(subscription, "current_period_start") or _get(item, "current_period_start")
    end = _get(subscription, "current_period_end") or _get(item, "current_period_end")
    account.current_period_start = _moment(start)
    account.current_period_end = _moment(end)
    account.cancel_at_period_end = bool(_get(subscription, "cancel_at_period_end", False))
    _set_status(account, str(subscription.status))
    db.session.flush()


def _set_status(account: BillingAccount, status: str) -> None:
    previous = account.status
    account.status = status
    if status == SubscriptionStatus.PAST_DUE.value and account.past_due_since is None:
        account.past_due_since = now()
    elif status in GOOD_STANDING:
        account.past_due_since = None
        account.dunning_stage = None
    if previous != status:
        with tenant_scope(account.tenant_id):
            audit.record(
                "billing.status_changed",
                object_type="billing_account",
                object_id=account.id,
                details={"from": previous, "to": status},
            )
            db.session.flush()  # the guard checks the row against the scope at the flush


def mirror_invoice(stripe_invoice: Any) -> SubscriptionInvoice | None:
    """Copy one of Stripe's invoices into the local mirror (None: not a center's)."""
    from core.billing.accounts import account_by_customer

    account = account_by_customer(_get(stripe_invoice, "customer"))
    if account is None or not stripe_invoice.id:
        return None
    row = db.session.scalar(
        select(SubscriptionInvoice).where(
            SubscriptionInvoice.stripe_invoice_id == stripe_invoice.id
        )
    )
    if row is None:
        row = SubscriptionInvoice(tenant_id=account.tenant_id, stripe_invoice_id=stripe_invoice.id)
        db.session.add(row)
    created = _get(stripe_invoice, "created") or _get(stripe_invoice, "date")
    row.number = _get(stripe_invoice, "number")
    row.status = str(_get(stripe_invoice, "status", "draft"))
    row.currency = str(_get(stripe_invoice, "currency", "eur"))[:3]
    row.subtotal_cents = int(_get(stripe_invoice, "subtotal", 0))
    row.tax_cents = int(_get(stripe_invoice, "tax", 0))
    row.total_cents = int(_get(stripe_invoice, "total", 0))
    row.amount_paid_cents = int(_get(stripe_invoice, "amount_paid", 0))
    row.hosted_invoice_url = _get(stripe_invoice, "hosted_invoice_url")
    row.invoice_pdf = _get(stripe_invoice, "invoice_pdf")
    row.period_start = _moment(_get(stripe_invoice, "period_start"))
    row.period_end = _moment(_get(stripe_invoice, "period_end"))
    row.issued_at = _moment(created) or now()
    db.session.flush()
    return row


def invoice_subscription_id(stripe_invoice: Any) -> str | None:
    """The subscription an invoice bills (its place differs between API versions)."""
    direct = _get(stripe_invoice, "subscription")
    if direct:
        return direct if isinstance(direct, str) else direct.id
    details = _get(_get(stripe_invoice, "parent"), "subscription_details")
    found = _get(details, "subscription")
    return found if isinstance(found, str) or found is None else found.id


def invoices(tenant_id: Any) -> list[SubscriptionInvoice]:
    """The center's mirrored invoices, newest first."""
    return list(
        db.session.scalars(
            select(SubscriptionInvoice)
            .where(SubscriptionInvoice.tenant_id == tenant_id)
            .order_by(SubscriptionInvoice.issued_at.desc())
        )
    )
