"""A center's billing account: one row per tenant, and its Stripe customer.

The row is global (keyed by `tenant_id`): the center's own pages pass the current
tenant's id, the Stripe webhook jobs find it by its Stripe customer.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.billing.client import platform_client
from core.billing.models import BillingAccount
from core.db import db


def existing_account(tenant_id: uuid.UUID | str) -> BillingAccount | None:
    """The center's billing account if it has one (pages read without creating)."""
    return db.session.scalar(
        select(BillingAccount).where(BillingAccount.tenant_id == uuid.UUID(str(tenant_id)))
    )


def blank_account(tenant_id: uuid.UUID | str) -> BillingAccount:
    """An account as a center without one has it, not added to the session."""
    return BillingAccount(
        tenant_id=uuid.UUID(str(tenant_id)),
        status="none",
        seats_billed=0,
        cancel_at_period_end=False,
    )


def account_for(tenant_id: uuid.UUID | str) -> BillingAccount:
    """The center's billing account, created on first use."""
    tenant_id = uuid.UUID(str(tenant_id))
    account = db.session.scalar(select(BillingAccount).where(BillingAccount.tenant_id == tenant_id))
    if account is not None:
        return account
    try:
        with db.session.begin_nested():
            account = BillingAccount(tenant_id=tenant_id)
            db.session.add(account)
    except IntegrityError:  # created meanwhile by another request or job
        account = db.session.scalar(
            select(BillingAccount).where(BillingAccount.tenant_id == tenant_id)
        )
    return account


def account_by_customer(customer_id: str | None) -> BillingAccount | None:
    """The account whose Stripe customer this is (webhooks), or None."""
    if not customer_id:
        return None
    return db.session.scalar(
        select(BillingAccount).where(BillingAccount.stripe_customer_id == customer_id)
    )


def ensure_customer(account: BillingAccount, *, name: str, email: str) -> str:
    """The account's Stripe customer id, the customer created the first time."""
    if account.stripe_customer_id:
        return account.stripe_customer_id
    params: dict[str, Any] = {
        "name": name,
        "email": email,
        "preferred_locales": ["fr-FR", "en"],
        "metadata": {"tenant_id": str(account.tenant_id)},
    }
    # The platform's legal mentions (company, SIREN, VAT number, late-payment terms) go
    # on Stripe's invoices through the customer's invoice footer.
    footer = current_app.config.get("BILLING_INVOICE_FOOTER")
    if footer:
        params["invoice_settings"] = {"footer": footer}
    customer = platform_client().v1.customers.create(
        params=params,
        options={"idempotency_key": f"mh-customer-{account.tenant_id}"},
    )
    account.stripe_customer_id = customer.id
    db.session.flush()
    return customer.id
