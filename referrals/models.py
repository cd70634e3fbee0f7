"""Partner organisations, their members, and the cases they refer to centers."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from core.accounts.models import User
from core.db import Base, IdMixin, str_enum, utcnow
from core.tenancy import TenantScoped
from tenants.models import Tenant


class PartnerKind(enum.StrEnum):
    LAW_FIRM = "law_firm"
    ASSOCIATION = "association"
    LEGAL_PLATFORM = "legal_platform"
    COURT = "court"
    COMPANY = "company"


class PartnerRole(enum.StrEnum):
    ADMIN = "admin"
    REFERRER = "referrer"


class PartnerStatus(enum.StrEnum):
    PENDING = "pending"  # signed up; its administrator's email not verified yet
    ACTIVE = "active"


class Partner(IdMixin, Base):
    __tablename__ = "partners"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PartnerKind] = mapped_column(str_enum(PartnerKind, "partner_kind"))
    registration_number: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="FR")
    # Active unless made by the public sign-up, which waits for the email verification
    # (referrals.partner_signup); demo and staff-made partners are live at once.
    status: Mapped[PartnerStatus] = mapped_column(
        str_enum(PartnerStatus, "partner_status"), default=PartnerStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_live(self) -> bool:
        return self.status == PartnerStatus.ACTIVE


class PartnerMembership(IdMixin, Base):
    __tablename__ = "partner_memberships"
    __table_args__ = (UniqueConstraint("partner_id", "user_id"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[PartnerRole] = mapped_column(str_enum(PartnerRole, "partner_role"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


# --- referred cases -----------------------------------------------------------------------


class ReferralStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ASSIGNED = "assigned"
    SCHEDULED = "scheduled"
    CONCLUDED = "concluded"
    CLOSED = "closed"


class Urgency(enum.StrEnum):
    STANDARD = "standard"
    URGENT = "urgent"


class Outcome(enum.StrEnum):
    AGREEMENT = "agreement"
    PARTIAL_AGREEMENT = "partial_agreement"
    NO_AGREEMENT = "no_agreement"
    WITHDRAWN = "withdrawn"


class PartyRole(enum.StrEnum):
    CLAIMANT = "claimant"
    RESPONDENT = "respondent"
    OTHER = "other"


class PartnerOwned(TenantScoped):
    """A row of a case: owned by the center it was sent to, readable by the partner that
    sent it when no center is in scope (row-level security mirrors it, migration 0008)."""

    __subject_columns__ = {"partner_id": "partner_id"}

    @declared_attr
    def partner_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)


class Referral(IdMixin, PartnerOwned, Base):
    """A case a partner sent to a center. The center sees all of it; the partner what it
    sent, the status and the timeline (referrals.views_of decides the fields)."""

    __tablename__ = "referrals"

    # The OAuth client that sent it (None from the portal) and the person who did.
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reference: Mapped[str | None] = mapped_column(String(100))  # the partner's own
    dispute_type: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    amount_eur: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency, "referral_urgency"))
    language: Mapped[str] = mapped_column(String(5))
    preferred_mode: Mapped[str | None] = mapped_column(String(20))
    preferred_profile_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("mediator_profiles.id", ondelete="SET NULL")
    )
    # The partner's statements, dated: the parties were told of the referral and agreed
    # to be contacted by the center (GDPR art. 6(1)(a), 7(1)).
    parties_informed_at: Mapped[datetime]
    contact_consented_at: Mapped[datetime]
    status: Mapped[ReferralStatus] = mapped_column(
        str_enum(ReferralStatus, "referral_status"), default=ReferralStatus.SUBMITTED, index=True
    )
    decline_reason: Mapped[str | None] = mapped_column(String(1000))
    mediator_profile_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("mediator_profiles.id", ondelete="SET NULL"), index=True
    )
    scheduled_at: Mapped[datetime | None]
    outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome, "referral_outcome"))
    # The number of its timeline's steps: each event takes the next (a stable order
    # when two steps share a timestamp).
    steps: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    parties: Mapped[list[ReferralParty]] = relationship(
        order_by="ReferralParty.position", cascade="all, delete-orphan"
    )
    # The center it is sent to, for its public names (tenant_id is what is written).
    center: Mapped[Tenant] = relationship(foreign_keys="Referral.tenant_id", viewonly=True)

    def __repr__(self) -> str:  # never the summary or the parties in logs
        return f"<Referral {self.id} {self.status}>"


class ReferralParty(IdMixin, PartnerOwned, Base):
    __tablename__ = "referral_parties"

    referral_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    # Folded (lower case, no accents, single spaces) for the conflict-of-interest check.
    name_folded: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[PartyRole] = mapped_column(str_enum(PartyRole, "party_role"))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    lawyer: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"<ReferralParty {self.id}>"


class ReferralEvent(IdMixin, PartnerOwned, Base):
    """One step of a case's timeline. `details` holds what the partner may read too
    (a decline's reason, the mediator's public name); the center's private reasons
    (a conflict override) go to its audit log instead."""

    __tablename__ = "referral_events"

    referral_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus, "referral_status"))
    actor: Mapped[str] = mapped_column(String(10))  # partner, center, system
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class IdempotencyRecord(IdMixin, Base):
    """The first answer to a write sent with an `Idempotency-Key`, kept 24 hours per
    client: the same key and body get it again; another body, 422; while the first is
    still running, 409. Global: a client's key is its own (the client id is in the key)."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("client_id", "key"),)

    client_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
