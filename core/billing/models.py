"""Platform billing's tables: global, one account per center (`tenant_id`), read and
written only through core.billing's services (the center's own pages pass the current
tenant's id; the Stripe webhook jobs find the account by its Stripe customer)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, IdMixin, utcnow


class SubscriptionStatus(enum.StrEnum):
    """Stripe's subscription statuses, plus `none` before the first subscription."""

    NONE = "none"
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    UNPAID = "unpaid"
    CANCELED = "canceled"
    PAUSED = "paused"


class DunningStage(enum.StrEnum):
    """The last dunning email sent for the current past-due episode."""

    PAYMENT_FAILED = "payment_failed"
    THREE_DAYS_LEFT = "three_days_left"
    READ_ONLY = "read_only"


class BillingAccount(IdMixin, Base):
    __tablename__ = "billing_accounts"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), unique=True
    )
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    plan_code: Mapped[str | None] = mapped_column(String(40))
    interval: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(30), default=SubscriptionStatus.NONE.value)
    seats_billed: Mapped[int] = mapped_column(default=0)
    current_period_start: Mapped[datetime | None]
    current_period_end: Mapped[datetime | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    # When the current past-due episode began (the grace period runs from here).
    past_due_since: Mapped[datetime | None]
    dunning_stage: Mapped[str | None] = mapped_column(String(30))
    # The most the center accepts to pay for referrals past its allowance in one period
    # (cents, excl. VAT); None: no cap.
    overage_cap_cents: Mapped[int | None]
    card_brand: Mapped[str | None] = mapped_column(String(30))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<BillingAccount tenant={self.tenant_id} {self.plan_code} {self.status}>"


class StripeEvent(Base):
    """A Stripe event already processed: written in the transaction of its effect, so
    an event delivered twice has one effect."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubscriptionInvoice(IdMixin, Base):
    """A local mirror of one of Stripe's subscription invoices (Stripe's is the legal
    document; the links go to its hosted page and PDF)."""

    __tablename__ = "billing_invoices"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    stripe_invoice_id: Mapped[str] = mapped_column(String(255), unique=True)
    number: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_cents: Mapped[int] = mapped_column(default=0)
    tax_cents: Mapped[int] = mapped_column(default=0)
    total_cents: Mapped[int] = mapped_column(default=0)
    amount_paid_cents: Mapped[int] = mapped_column(default=0)
    hosted_invoice_url: Mapped[str | None] = mapped_column(String(2000))
    invoice_pdf: Mapped[str | None] = mapped_column(String(2000))
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    issued_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OverageCharge(IdMixin, Base):
    """Referrals past the allowance of one period, billed once as an invoice item."""

    __tablename__ = "billing_overage_charges"
    __table_args__ = (UniqueConstraint("tenant_id", "period_start"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    referrals_received: Mapped[int]
    referrals_included: Mapped[int]
    billed_quantity: Mapped[int]
    unit_amount_cents: Mapped[int]
    amount_cents: Mapped[int]
    # False when the cap cut the bill short.
    capped: Mapped[bool] = mapped_column(default=False)
    stripe_invoice_item_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
