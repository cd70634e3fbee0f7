"""Reminder rows (one per email to send) and opt-outs: global tables, per user.

A row's unique key says what the email is about, so recording it twice is impossible:
(kind, certification, occasion, recipient), where the occasion is the expiry date for
the expiry reminders and the month for "hours short". `sent_at` stays empty until the
SMTP server accepted the email.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, IdMixin, str_enum, utcnow


class ReminderKind(enum.StrEnum):
    EXPIRY_90 = "expiry_90"
    EXPIRY_30 = "expiry_30"
    EXPIRY_7 = "expiry_7"
    HOURS_SHORT = "hours_short"
    CENTER_DIGEST = "center_digest"  # sent by tenants.digest; opted out of here too


REMINDER_KINDS: tuple[str, ...] = tuple(k.value for k in ReminderKind)


class Reminder(IdMixin, Base):
    """One reminder email to a mediator about one of their certifications."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("kind", "certification_id", "occasion", "user_id"),)

    kind: Mapped[ReminderKind] = mapped_column(str_enum(ReminderKind, "reminder_kind"))
    certification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("certifications.id", ondelete="CASCADE"), index=True
    )
    # "2025-06-30" (the expiry date) or "2025-06" (the month, for hours short).
    occasion: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class ReminderOptOut(IdMixin, Base):
    """A user's choice to receive no more emails of one kind."""

    __tablename__ = "reminder_opt_outs"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(str_enum(ReminderKind, "reminder_kind"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
