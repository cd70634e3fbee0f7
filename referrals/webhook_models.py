"""Outgoing webhooks: a partner's endpoints, the outbox of events, the deliveries.

Global tables owned by a partner (`partner_id`): partners are not tenants, and every
read goes through referrals.webhooks with the acting partner's id. A `WebhookMessage`
is written in the same transaction as the step of the case it reports (the outbox);
the workers relay it to one `WebhookDelivery` per subscribed endpoint, each attempt
logged in `WebhookAttempt`.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, IdMixin, str_enum, utcnow


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every attempt of the schedule failed
    ABANDONED = "abandoned"  # the endpoint was disabled (410) or deleted meanwhile


class WebhookEndpoint(IdMixin, Base):
    __tablename__ = "webhook_endpoints"

    partner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # `whsec_...` secrets: the current one, and the previous one for a while after a
    # rotation (both sign, so a receiver may switch at its pace).
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:  # never the secrets
        return f"<WebhookEndpoint {self.id} enabled={self.enabled}>"


class WebhookMessage(IdMixin, Base):
    """One event for a partner (the outbox row): `relayed_at` is set once its deliveries
    exist. Its id is the `webhook-id` of every attempt of every delivery."""

    __tablename__ = "webhook_messages"
    # The relay takes the oldest waiting messages: only those are indexed, in order (a
    # message leaves the index once relayed, so it stays as small as the backlog).
    __table_args__ = (
        Index(
            "ix_webhook_messages_waiting",
            "created_at",
            postgresql_where=text("relayed_at IS NULL"),
            sqlite_where=text("relayed_at IS NULL"),
        ),
    )

    partner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    relayed_at: Mapped[datetime | None]

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.id.hex}"


class WebhookDelivery(IdMixin, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("message_id", "endpoint_id"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_messages.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "webhook_delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None]

    message: Mapped[WebhookMessage] = relationship(lazy="joined", innerjoin=True)
    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="joined", innerjoin=True)


class WebhookAttempt(IdMixin, Base):
    """One HTTP attempt of a delivery: the delivery log the partner reads."""

    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(500))
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(default=0)
    manual: Mapped[bool] = mapped_column(default=False)  # a redelivery asked for by hand
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
