"""Party fees: what a center bills the parties of a case it accepted (all tenant-owned).

Money is in integer euro cents. An issued invoice is a legal document: the seller's and
the buyer's identities and the lines are frozen on it when it is issued, and it is never
changed or deleted afterwards; a credit note (avoir) corrects it, numbered in the same
gapless sequence (`referrals.invoice_numbering`).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, IdMixin, str_enum, utcnow
from core.tenancy import TenantScoped


class CenterBillingProfile(IdMixin, TenantScoped, Base):
    """The center as a seller on its invoices, and where the parties pay it."""

    __tablename__ = "center_billing_profiles"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    legal_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="FR")
    siret: Mapped[str] = mapped_column(String(14))
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    legal_mentions: Mapped[str] = mapped_column(String(1000), default="")
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    # The center's own Stripe account: its restricted (or secret) key, Fernet-encrypted
    # (core.encryption), never stored in clear; the publishable key is public by design.
    stripe_key_encrypted: Mapped[str | None] = mapped_column(Text)
    stripe_publishable_key: Mapped[str] = mapped_column(String(200), default="")
    # In production a Connect account id may stand for the key (not usable with the
    # test emulator, which has no Connect).
    stripe_account_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def accepts_cards(self) -> bool:
        return bool(self.stripe_key_encrypted and self.stripe_publishable_key)


class SplitMode(enum.StrEnum):
    EQUAL = "equal"
    CUSTOM = "custom"


class FeeQuote(IdMixin, TenantScoped, Base):
    """The price of a case and how it is shared between the parties (one per case)."""

    __tablename__ = "fee_quotes"
    __table_args__ = (
        UniqueConstraint("referral_id"),
        CheckConstraint("amount_excl_vat_cents >= 0", name="amount_not_negative"),
        CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="vat_rate_range"),
    )

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    offer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("offers.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(200))
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    hourly_rate_cents: Mapped[int | None]
    amount_excl_vat_cents: Mapped[int]
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    split_mode: Mapped[SplitMode] = mapped_column(str_enum(SplitMode, "fee_split_mode"))
    # Percentages as strings ("33.34"), one per party in the case's order (custom mode).
    shares: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(enum.StrEnum):
    ISSUED = "issued"
    PAID = "paid"
    CREDITED = "credited"  # corrected by a credit note (refunded, if it had been paid)


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    TRANSFER = "transfer"


class InvoiceSequence(IdMixin, TenantScoped, Base):
    """A center's invoice counter, locked and moved in the invoice's own transaction."""

    __tablename__ = "invoice_sequences"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    last_number: Mapped[int] = mapped_column(default=0)


class PartyInvoice(IdMixin, TenantScoped, Base):
    """An invoice (or credit note) from a center to one party of a case."""

    __tablename__ = "party_invoices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("total_cents = net_cents + vat_cents", name="total_adds_up"),
    )

    number: Mapped[int]
    kind: Mapped[InvoiceKind] = mapped_column(str_enum(InvoiceKind, "party_invoice_kind"))
    referral_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("referrals.id", ondelete="RESTRICT"), index=True
    )
    # A credit note's invoice (the one it corrects).
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("party_invoices.id", ondelete="RESTRICT")
    )
    issued_on: Mapped[date]
    due_on: Mapped[date]
    # The seller as it was on the day (legal name, address, SIRET, VAT number, bank).
    seller: Mapped[dict[str, Any]] = mapped_column(JSON)
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_address: Mapped[str] = mapped_column(String(200))
    buyer_postal_code: Mapped[str] = mapped_column(String(10))
    buyer_city: Mapped[str] = mapped_column(String(100))
    buyer_country: Mapped[str] = mapped_column(String(2))
    buyer_email: Mapped[str] = mapped_column(String(254), default="")
    buyer_is_business: Mapped[bool] = mapped_column(default=False)
    buyer_siret: Mapped[str] = mapped_column(String(14), default="")
    buyer_vat_number: Mapped[str] = mapped_column(String(20), default="")
    reverse_charge: Mapped[bool] = mapped_column(default=False)
    # [{"description", "quantity", "unit_cents", "vat_rate", "net_cents", "vat_cents"}]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    net_cents: Mapped[int]
    vat_cents: Mapped[int]
    total_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus, "party_invoice_status"), default=InvoiceStatus.ISSUED
    )
    paid_at: Mapped[datetime | None]
    payment_method: Mapped[PaymentMethod | None] = mapped_column(
        str_enum(PaymentMethod, "party_payment_method")
    )
    # On the center's own Stripe account, never the platform's.
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(64))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def reference(self) -> str:
        """The number as printed: a credit note's starts with AV (avoir), an invoice's
        with F; both come from the one sequence, so numbers never repeat."""
        prefix = "AV" if self.kind == InvoiceKind.CREDIT_NOTE else "F"
        return f"{prefix}-{self.number:06d}"

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    def __repr__(self) -> str:  # never the buyer's identity in logs
        return f"<PartyInvoice {self.reference} {self.status}>"
