"""A center's public face: its page on the marketplace, its priced offers and the
inquiries visitors send it (all tenant-owned).

What the marketplace shows is copied by `marketplace.indexing` into the public listing
tables; the contact details here (`contact_email`, `contact_phone`) are the center's own
and never leave its workspace.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.credentials.models import MediatorProfile
from core.db import Base, IdMixin, str_enum, utcnow
from core.tenancy import TenantScoped


class CenterProfile(IdMixin, TenantScoped, Base):
    """What a center says of itself on the marketplace (one row per center)."""

    __tablename__ = "center_profiles"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    presentation_fr: Mapped[str] = mapped_column(Text, default="")
    presentation_en: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    # Codes of core.credentials.profiles.regions(): "FR-75", or ISO 3166-1 countries.
    service_area: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    website: Mapped[str] = mapped_column(String(200), default="")
    # Private: where inquiries are sent, and a phone for the platform's own use.
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    # Only mediators with a compliant certification are listed for this center.
    require_compliance: Mapped[bool] = mapped_column(default=False)
    # The center page (and the mediators it publishes) appear on the marketplace.
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OfferKind(enum.StrEnum):
    EXPRESS = "express"
    STANDARD = "standard"
    LONG = "long"  # long sessions
    HYBRID = "hybrid"  # online and in-person sessions


class OfferPricing(enum.StrEnum):
    PER_PARTY = "per_party"  # each party pays the price
    SHARED = "shared"  # the price is for the whole mediation, shared between parties


class OfferMode(enum.StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


class Offer(IdMixin, TenantScoped, Base):
    """A named, priced mediation package of a center.

    Prices are in EUR; `price_incl_vat` is derived from `price_excl_vat` and `vat_rate`
    by the service that saves the offer, and stored so lists can sort on it.
    """

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("price_excl_vat >= 0", name="price_not_negative"),
        CheckConstraint("price_incl_vat >= price_excl_vat", name="vat_included"),
        CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="vat_rate_range"),
        CheckConstraint("duration_minutes IS NULL OR duration_minutes > 0", name="duration"),
        CheckConstraint("sessions IS NULL OR sessions > 0", name="sessions"),
    )

    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[OfferKind] = mapped_column(str_enum(OfferKind, "offer_kind"))
    included: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int | None]
    sessions: Mapped[int | None]
    price_excl_vat: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("20.00"))
    price_incl_vat: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    pricing: Mapped[OfferPricing] = mapped_column(str_enum(OfferPricing, "offer_pricing"))
    mode: Mapped[OfferMode] = mapped_column(str_enum(OfferMode, "offer_mode"))
    # The process, step by step: a list of short texts.
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    published: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InquiryStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class Inquiry(IdMixin, TenantScoped, Base):
    """A visitor's message to a center (about one of its mediators, or the center)."""

    __tablename__ = "inquiries"

    profile_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("mediator_profiles.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    # The visitor's consent to be contacted back, dated (GDPR art. 7(1)).
    consented_at: Mapped[datetime]
    status: Mapped[InquiryStatus] = mapped_column(
        str_enum(InquiryStatus, "inquiry_status"), default=InquiryStatus.NEW
    )
    handled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    profile: Mapped[MediatorProfile | None] = relationship()

    def __repr__(self) -> str:  # never the visitor's message or address in logs
        return f"<Inquiry {self.id} {self.status}>"


def public_offer(offer: Offer) -> dict[str, Any]:
    """The fields of an offer the marketplace shows (its price always among them)."""
    return {
        "id": str(offer.id),
        "name": offer.name,
        "kind": offer.kind.value,
        "included": offer.included,
        "duration_minutes": offer.duration_minutes,
        "sessions": offer.sessions,
        "price_excl_vat": str(offer.price_excl_vat),
        "vat_rate": str(offer.vat_rate),
        "price_incl_vat": str(offer.price_incl_vat),
        "pricing": offer.pricing.value,
        "mode": offer.mode.value,
        "steps": list(offer.steps or []),
    }
