"""Outgoing webhooks, the partner's side: its endpoints, its deliveries, and the outbox
of events about its cases.

Every function below acts for the partner of the current scope (core.tenancy: the API
token's owning partner). The webhook tables are global rows owned by a partner, since
partners are not tenants, so the filter on the acting partner is written here, in
`_mine`, on every query: another partner's endpoint or delivery is missing (404),
exactly like one that does not exist.

The outbox: `on_case_moved`, subscribed at start-up to referrals.signals.case_moved,
writes the step's `WebhookMessage` in the step's own transaction (a step rolled back
leaves no message) and queues its relay for after the commit (referrals.webhook_jobs).
A message is written only for a partner with an enabled endpoint taking its event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select

from core import jobs
from core.db import db, utcnow
from core.errors import Conflict
from core.tenancy import current_scope
from referrals import cases, signals, webhook_jobs
from referrals.models import Referral, ReferralEvent, ReferralStatus
from referrals.webhook_models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from referrals.webhook_transport import DestinationRefused, check_url, new_secret
from tenants.services.rules import FieldError, NotFound

EVENT_TYPES: tuple[str, ...] = tuple(f"referral.{status.value}" for status in ReferralStatus)
MAX_ENDPOINTS = 10
MAX_DESCRIPTION = 200
# After a rotation the previous secret signs too, for this long: time for the receiver
# to take the new one.
PREVIOUS_SECRET_KEPT = timedelta(hours=24)
DISABLED_BY_PARTNER = "Disabled by the partner."


def init_app(app: Flask) -> None:
    """Subscribe the outbox to the cases' steps; have the workers sweep it."""
    signals.case_moved.connect(on_case_moved, weak=False)
    jobs.every(app, "webhooks-sweep", webhook_jobs.sweep, "WEBHOOK_SWEEP_SECONDS")


class TooManyEndpoints(Conflict):
    code = "too-many-endpoints"


class EndpointDisabled(Conflict):
    code = "endpoint-disabled"


# --- the outbox ---------------------------------------------------------------------------


def on_case_moved(referral: Referral, *, event: ReferralEvent, **_: Any) -> None:
    """Write the step's message, in the step's transaction, if the partner takes it."""
    event_type = f"referral.{event.status.value}"
    with db.session.no_autoflush:
        endpoints = db.session.scalars(
            select(WebhookEndpoint).where(
                WebhookEndpoint.partner_id == referral.partner_id, WebhookEndpoint.enabled
            )
        )
        if not any(webhook_jobs.subscribed(e, event_type) for e in endpoints):
            return
        message = WebhookMessage(
            id=uuid.uuid4(),
            partner_id=referral.partner_id,
            event_type=event_type,
            payload=payload(referral, event),
            created_at=utcnow(),
        )
    db.session.add(message)
    webhook_jobs.relay_outbox.delay()


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def payload(referral: Referral, event: ReferralEvent) -> dict[str, Any]:
    """What the partner reads of the case after the step: its status and the public
    names, never the summary, the parties or the amount."""
    center = referral.center
    mediator = cases.public_mediator_name(referral.mediator_profile_id)
    return {
        "referral": {
            "id": str(referral.id),
            "status": referral.status.value,
            "reference": referral.reference,
            "center": {"id": str(center.id), "slug": center.slug, "name": center.legal_name},
            "mediator": None
            if mediator is None
            else {"id": str(referral.mediator_profile_id), "name": mediator},
            "outcome": referral.outcome.value if referral.outcome else None,
            "scheduled_at": _iso(referral.scheduled_at),
            "decline_reason": referral.decline_reason,
        },
        "event": {"id": str(event.id), "kind": event.kind, "at": _iso(event.created_at)},
    }


# --- endpoints ----------------------------------------------------------------------------


def _partner_id() -> uuid.UUID:
    partner_id = current_scope().partner_id
    if partner_id is None:  # no partner acts: nothing here is anyone's
        raise NotFound(str(_l("No such webhook endpoint.")))
    return partner_id


def _mine(query: Select, model: type) -> Select:
    return query.where(model.partner_id == _partner_id())


@dataclass(frozen=True)
class EndpointInput:
    url: str
    description: str | None = None
    event_types: list[str] = field(default_factory=list)


def _checked_url(url: str) -> str:
    url = url.strip()
    try:
        check_url(url, allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"])
    except DestinationRefused as refused:
        raise FieldError(
            "url", _l("This URL cannot receive webhooks: %(reason)s", reason=str(refused))
        ) from None
    return url


def _checked_types(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise FieldError(
            "event_types",
            _l("Unknown event types: %(types)s.", types=", ".join(unknown)),
        )
    return [t for t in EVENT_TYPES if t in event_types]  # the list's order, once each


def _description(text: str | None) -> str | None:
    text = (text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise FieldError(
            "description", _l("Describe it in at most %(max)d characters.", max=MAX_DESCRIPTION)
        )
    return text or None


def endpoints() -> list[WebhookEndpoint]:
    """The partner's endpoints, oldest first."""
    query = _mine(select(WebhookEndpoint), WebhookEndpoint)
    return list(db.session.scalars(query.order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)))


def endpoint(endpoint_id: uuid.UUID) -> WebhookEndpoint:
    found = db.session.scalar(
        _mine(select(WebhookEndpoint), WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    )
    if found is None:
        raise NotFound(str(_l("No such webhook endpoint.")))
    return found


def create_endpoint(data: EndpointInput) -> WebhookEndpoint:
    """A new endpoint with its own signing secret (shown now, and at rotations only)."""
    partner_id = _partner_id()
    count = db.session.scalar(
        select(func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.partner_id == partner_id)
    )
    if count >= MAX_ENDPOINTS:
        raise TooManyEndpoints(
            str(_l("A partner has at most %(max)d webhook endpoints.", max=MAX_ENDPOINTS))
        )
    now = utcnow()
    row = WebhookEndpoint(
        id=uuid.uuid4(),
        partner_id=partner_id,
        url=_checked_url(data.url),
        description=_description(data.description),
        event_types=_checked_types(data.event_types),
        secret=new_secret(),
        enabled=True,
        created_at=now,
        updated_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def update_endpoint(endpoint_id: uuid.UUID, changes: dict[str, Any]) -> WebhookEndpoint:
    """Change what is given of url, description, event_types and enabled. Enabling
    clears the reason it was disabled for (a 410 included)."""
    row = endpoint(endpoint_id)
    if "url" in changes:
        row.url = _checked_url(changes["url"])
    if "description" in changes:
        row.description = _description(changes["description"])
    if "event_types" in changes:
        row.event_types = _checked_types(changes["event_types"])
    if "enabled" in changes and changes["enabled"] != row.enabled:
        row.enabled = changes["enabled"]
        row.disabled_reason = None if row.enabled else DISABLED_BY_PARTNER
    row.updated_at = utcnow()
    db.session.flush()
    return row


def delete_endpoint(endpoint_id: uuid.UUID) -> None:
    """Delete the endpoint with its deliveries and their log."""
    db.session.delete(endpoint(endpoint_id))
    db.session.flush()


def rotate_secret(endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """A new secret; the one it replaces still signs for PREVIOUS_SECRET_KEPT (each
    message then carries both signatures)."""
    row = endpoint(endpoint_id)
    now = utcnow()
    row.previous_secret, row.secret = row.secret, new_secret()
    row.previous_secret_until = now + PREVIOUS_SECRET_KEPT
    row.updated_at = now
    db.session.flush()
    return row


def previous_secret_expires_at(row: WebhookEndpoint) -> datetime | None:
    """Until when the previous secret signs too, if it still does."""
    until = row.previous_secret_until
    return until if row.previous_secret and until is not None and until > utcnow() else None


# --- deliveries ---------------------------------------------------------------------------


@dataclass
class DeliveryPage:
    items: list[WebhookDelivery]
    last: tuple[datetime, uuid.UUID] | None = None


def deliveries(
    *,
    endpoint_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> DeliveryPage:
    """The partner's deliveries, newest first (each with its message and endpoint)."""
    query = _mine(select(WebhookDelivery), WebhookDelivery).order_by(
        WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()
    )
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == DeliveryStatus(status))
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(
                WebhookDelivery.created_at < at,
                and_(WebhookDelivery.created_at == at, WebhookDelivery.id < last_id),
            )
        )
    rows = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(rows, (rows[-1].created_at, rows[-1].id) if more and rows else None)


def delivery_counts(since: datetime) -> dict[uuid.UUID, dict[str, int]]:
    """The partner's deliveries made since `since`, counted by endpoint and status."""
    rows = db.session.execute(
        _mine(
            select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count()),
            WebhookDelivery,
        )
        .where(WebhookDelivery.created_at >= since)
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    )
    found: dict[uuid.UUID, dict[str, int]] = {}
    for endpoint_id, status, count in rows:
        found.setdefault(endpoint_id, {})[status.value] = count
    return found


def delivery(delivery_id: uuid.UUID) -> WebhookDelivery:
    found = db.session.scalar(
        _mine(select(WebhookDelivery), WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    )
    if found is None:
        raise NotFound(str(_l("No such webhook delivery.")))
    return found


def attempts(row: WebhookDelivery) -> list[WebhookAttempt]:
    """The delivery's log, first attempt first."""
    return list(
        db.session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == row.id)
            .order_by(WebhookAttempt.number, WebhookAttempt.created_at)
        )
    )


def redeliver(delivery_id: uuid.UUID) -> WebhookDelivery:
    """Queue a new attempt of any delivery of the partner's, now (a worker makes it,
    logged as manual), whatever its status; its endpoint must be enabled."""
    row = delivery(delivery_id)
    if not row.endpoint.enabled:
        raise EndpointDisabled(
            str(_l("This delivery's endpoint is disabled: enable it to redeliver."))
        )
    webhook_jobs.redeliver.delay(str(row.id))
    return row
