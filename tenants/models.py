"""A center, its members, the invitations to join it and its mediators' affiliations."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts.models import User
from core.credentials.models import MediatorProfile
from core.db import Base, IdMixin, str_enum, utcnow
from core.tenancy import TenantScoped


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    CASE_MANAGER = "case_manager"
    MEDIATOR = "mediator"
    VIEWER = "viewer"


MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})


class TenantStatus(enum.StrEnum):
    PENDING = "pending"  # owner's email not verified yet
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Tenant(IdMixin, Base):
    """A mediation center. The root of tenancy: its id is every owned row's tenant_id.

    Its row holds the center's identity (slug, names), which the marketplace shows;
    on PostgreSQL, writes to it are limited to the center's own scope by RLS.
    """

    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str] = mapped_column(String(14))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), default="FR")
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    status: Mapped[TenantStatus] = mapped_column(
        str_enum(TenantStatus, "tenant_status"), default=TenantStatus.PENDING
    )
    require_2fa_for_admins: Mapped[bool] = mapped_column(default=False)
    # Whether partners may send the center cases (the referral API and portal).
    accepts_referrals: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]

    @property
    def is_live(self) -> bool:
        return self.status == TenantStatus.ACTIVE


class Membership(IdMixin, TenantScoped, Base):
    """A user's access to a center's workspace, with one role."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)
    # Outside any tenant, a signed-in user may list their own memberships.
    __subject_columns__ = {"user_id": "user_id"}

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "member_role"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    tenant: Mapped[Tenant] = relationship(lazy="joined", innerjoin=True)


class Invitation(IdMixin, TenantScoped, Base):
    """An emailed, single-use invitation to join a center with a role."""

    __tablename__ = "invitations"

    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(str_enum(Role, "member_role"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]

    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class AffiliationStatus(enum.StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


class Affiliation(IdMixin, TenantScoped, Base):
    """A mediator's professional tie to a center (their profile is global, this is not).

    It exists before the mediator has an account. `rate_eur` and `internal_notes` are
    the center's own and never leave it; `published` is the center's choice to show the
    mediator on the marketplace, which also needs the mediator's own consent.
    """

    __tablename__ = "affiliations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "profile_id"),
        CheckConstraint("rate_eur >= 0", name="rate_not_negative"),
    )

    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mediator_profiles.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[AffiliationStatus] = mapped_column(
        str_enum(AffiliationStatus, "affiliation_status"), default=AffiliationStatus.INVITED
    )
    rate_eur: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    internal_notes: Mapped[str | None] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    profile: Mapped[MediatorProfile] = relationship(lazy="joined", innerjoin=True)
