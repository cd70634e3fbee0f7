"""A center, its members and the invitations to join it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts.models import User
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
