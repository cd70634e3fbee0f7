"""Partner organisations and their members (the referral lifecycle comes later)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts.models import User
from core.db import Base, IdMixin, str_enum, utcnow


class PartnerKind(enum.StrEnum):
    LAW_FIRM = "law_firm"
    ASSOCIATION = "association"
    LEGAL_PLATFORM = "legal_platform"
    COURT = "court"
    COMPANY = "company"


class PartnerRole(enum.StrEnum):
    ADMIN = "admin"
    REFERRER = "referrer"


class Partner(IdMixin, Base):
    __tablename__ = "partners"

    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PartnerKind] = mapped_column(str_enum(PartnerKind, "partner_kind"))
    registration_number: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="FR")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
