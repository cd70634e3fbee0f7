"""The weekly digest emails to a center's owners and admins: tenant-owned rows.

One row per recipient and ISO week ("2025-W07"), recorded before the email is sent
and marked sent after (core.credentials.reminders.delivery), so a week's digest goes
to each recipient once even when the job runs again.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, IdMixin, utcnow
from core.tenancy import TenantScoped


class CenterDigest(IdMixin, TenantScoped, Base):
    __tablename__ = "center_digests"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "week"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
