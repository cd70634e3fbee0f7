"""Relaying the webhook outbox and delivering its messages, in the workers.

The fast path: the commit of a case's step queues `relay_outbox`, which claims the
messages not relayed yet, makes one delivery per enabled endpoint of their partner that
takes the event, and sends them at once, several side by side. It drains: one run takes
every message waiting, batch after batch, and while one run waits in the queue another
commit queues nothing (core.jobs' `coalesce`), so a busy outbox costs few jobs.

A failed attempt sets `next_attempt_at` from the retry schedule
(webhook_transport.next_delay, scaled by WEBHOOK_SCHEDULE_SCALE); past its last
attempt, the delivery has FAILED. A 410 answer disables the endpoint and abandons its
pending deliveries.

Nothing else calls these jobs: the workers run `sweep` every WEBHOOK_SWEEP_SECONDS
(core.jobs.every), which queues `deliver` for the deliveries that are due, and
`relay_outbox` again when messages wait unrelayed: not queued (Redis unreachable at the
commit) or lost (a worker gone, Redis restarted empty).

Any job here may run twice, or beside a twin. A message is claimed by setting
`relayed_at` where it is still empty; a scheduled attempt by one UPDATE moving
`attempts` from the number the job was given to the next, with a lease in
`next_attempt_at`: the twin finds the number moved on and stops, and the lease gives the
attempt back to the sweep if its worker dies.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from core.db import db, utcnow
from core.jobs import job
from referrals import webhook_transport
from referrals.webhook_models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)

RELAY_BATCH = 25  # messages claimed at a time: a batch waits for its slowest receiver
DELIVER_BATCH = 25  # due deliveries per `deliver` job
SWEEP_BATCH = 1000
RELAY_BUDGET = 20.0  # seconds a run drains before it leaves the rest to the next run
SENDERS = 4  # attempts in flight at once in one worker: a slow receiver holds one
# How long an attempt may take past its timeout before the sweep gives it to another
# worker (its own died), and how long a queued job may wait before it is queued again.
LEASE_MARGIN = timedelta(seconds=60)
GONE_REASON = "The receiver answered 410 Gone: it asked for no more deliveries."

_senders: ThreadPoolExecutor | None = None


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    """Whether the endpoint takes this event (no event type listed: every event)."""
    return endpoint.enabled and (not endpoint.event_types or event_type in endpoint.event_types)


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=current_app.config["WEBHOOK_TIMEOUT_SECONDS"]) + LEASE_MARGIN


# --- jobs ---------------------------------------------------------------------------------


@job("webhooks", coalesce=True)
def relay_outbox() -> None:
    """Relay every message waiting, batch by batch, each batch's deliveries sent at once."""
    until = time.monotonic() + RELAY_BUDGET
    while True:
        deliveries = _relay_batch()
        if deliveries is None:
            return  # nothing waits
        _send(deliveries, manual=False)
        if time.monotonic() > until:
            relay_outbox.delay()  # the rest in a new run, after the jobs queued meanwhile
            return


@job("webhooks")
def deliver(due: list[list[Any]]) -> None:
    """The scheduled attempts of `due`: [delivery id, attempts made] pairs."""
    now = utcnow()
    lease = _lease(now)
    claimed = []
    for delivery_id, attempts in due:
        moved = db.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == uuid.UUID(delivery_id),
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.attempts == attempts,
            )
            .values(attempts=attempts + 1, next_attempt_at=lease, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:
            claimed.append(uuid.UUID(delivery_id))
    db.session.commit()
    _send(claimed, manual=False)


@job("webhooks")
def redeliver(delivery_id: str) -> None:
    """A manual attempt, asked for by the partner: the schedule goes on as it was."""
    _send([uuid.UUID(delivery_id)], manual=True)


@job("webhooks")
def sweep() -> None:
    """Queue the due deliveries, and the relay of messages left waiting."""
    now = utcnow()
    grace = timedelta(seconds=2 * current_app.config["WEBHOOK_SWEEP_SECONDS"])
    stranded = db.session.scalar(
        select(WebhookMessage.id)
        .where(WebhookMessage.relayed_at.is_(None), WebhookMessage.created_at <= now - grace)
        .limit(1)
    )
    due = db.session.execute(
        select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(SWEEP_BATCH)
    ).all()
    queued = []
    lease = _lease(now)
    for delivery_id, attempts in due:
        # Leased while queued, so that the next sweep does not queue it again.
        leased = db.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.attempts == attempts,
                WebhookDelivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease)
            .execution_options(synchronize_session=False)
        )
        if leased.rowcount == 1:
            queued.append([str(delivery_id), attempts])
    db.session.commit()
    if stranded is not None:
        relay_outbox.delay()
    for start in range(0, len(queued), DELIVER_BATCH):
        deliver.delay(queued[start : start + DELIVER_BATCH])


# --- relaying -----------------------------------------------------------------------------


def _relay_batch() -> list[uuid.UUID] | None:
    """Claim up to RELAY_BATCH waiting messages and make their deliveries, each claimed
    for its first attempt; None when no message waits."""
    now = utcnow()
    waiting = (
        select(WebhookMessage.id)
        .where(WebhookMessage.relayed_at.is_(None))
        .order_by(WebhookMessage.created_at)
        .limit(RELAY_BATCH)
        .with_for_update(skip_locked=True)  # another run takes the others (PostgreSQL)
    )
    claimed = list(
        db.session.scalars(
            update(WebhookMessage)
            .where(WebhookMessage.id.in_(waiting.scalar_subquery()))
            .where(WebhookMessage.relayed_at.is_(None))
            .values(relayed_at=now)
            .returning(WebhookMessage.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not claimed:
        db.session.commit()
        return None
    messages = list(
        db.session.scalars(select(WebhookMessage).where(WebhookMessage.id.in_(claimed)))
    )
    endpoints: dict[uuid.UUID, list[WebhookEndpoint]] = {}
    for endpoint in db.session.scalars(
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.partner_id.in_({m.partner_id for m in messages}),
            WebhookEndpoint.enabled,
        )
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    ):
        endpoints.setdefault(endpoint.partner_id, []).append(endpoint)
    lease = _lease(now)
    deliveries = [
        WebhookDelivery(
            id=uuid.uuid4(),
            partner_id=message.partner_id,
            message_id=message.id,
            endpoint_id=endpoint.id,
            status=DeliveryStatus.PENDING,
            attempts=1,  # claimed for the attempt that follows
            next_attempt_at=lease,
            created_at=now,
            updated_at=now,
        )
        for message in sorted(messages, key=lambda m: m.created_at)
        for endpoint in endpoints.get(message.partner_id, [])
        if subscribed(endpoint, message.event_type)
    ]
    db.session.add_all(deliveries)
    db.session.commit()
    return [d.id for d in deliveries]


# --- sending ------------------------------------------------------------------------------


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while it still signs (a rotation)."""
    found = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and until > now:
        found.append(endpoint.previous_secret)
    return found


def _send(delivery_ids: Sequence[uuid.UUID], *, manual: bool) -> None:
    """Send each delivery's message once and record the outcomes. No transaction stays
    open while the receivers answer."""
    if not delivery_ids:
        return
    rows = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(delivery_ids)))
    config = current_app.config
    now = utcnow()
    requests: list[tuple[uuid.UUID, dict[str, Any]]] = []
    for delivery in rows:
        endpoint, message = delivery.endpoint, delivery.message
        if not endpoint.enabled:  # disabled meanwhile: it receives nothing
            if not manual and delivery.status == DeliveryStatus.PENDING:
                delivery.status = DeliveryStatus.ABANDONED
                delivery.next_attempt_at = None
            continue
        requests.append(
            (
                delivery.id,
                {
                    "url": endpoint.url,
                    "secrets": signing_secrets(endpoint, now),
                    "msg_id": message.webhook_id,
                    "event_type": message.event_type,
                    "payload": message.payload,
                    "timeout": config["WEBHOOK_TIMEOUT_SECONDS"],
                    "allow_private": config["WEBHOOKS_ALLOW_PRIVATE"],
                },
            )
        )
    db.session.commit()
    # Each signature's timestamp is the real time, whatever the app's clock says:
    # receivers refuse a message stamped minutes away from theirs.
    outcomes = _post_all([request for _id, request in requests])
    _record([delivery_id for delivery_id, _r in requests], outcomes, manual=manual)


def _post_all(requests: list[dict[str, Any]]) -> list[webhook_transport.Attempt]:
    global _senders
    if len(requests) <= 1:
        return [webhook_transport.deliver(**request) for request in requests]
    if _senders is None:
        _senders = ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook-sender")
    return list(_senders.map(lambda request: webhook_transport.deliver(**request), requests))


def _record(
    delivery_ids: list[uuid.UUID],
    outcomes: Iterable[webhook_transport.Attempt],
    *,
    manual: bool,
) -> None:
    if not delivery_ids:
        return
    now = utcnow()
    scale = current_app.config["WEBHOOK_SCHEDULE_SCALE"]
    rows = {
        row.id: row
        for row in db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.id.in_(delivery_ids))
            .execution_options(populate_existing=True)
        )
    }
    logged = dict(
        db.session.execute(
            select(WebhookAttempt.delivery_id, func.count())
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .group_by(WebhookAttempt.delivery_id)
        ).all()
    )
    gone: set[uuid.UUID] = set()
    for delivery_id, outcome in zip(delivery_ids, outcomes, strict=True):
        delivery = rows.get(delivery_id)
        if delivery is None:
            continue  # its endpoint was deleted meanwhile
        db.session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                number=logged.get(delivery.id, 0) + 1,
                status_code=outcome.status_code,
                error=_clip(outcome.error),
                response_excerpt=outcome.response_excerpt or None,
                duration_ms=outcome.duration_ms,
                manual=manual,
                created_at=now,
            )
        )
        delivery.last_status_code = outcome.status_code
        delivery.last_error = _clip(outcome.error)
        delivery.updated_at = now
        if outcome.ok:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif outcome.gone:
            gone.add(delivery.endpoint_id)
        elif not manual and delivery.status == DeliveryStatus.PENDING:
            delay = webhook_transport.next_delay(delivery.attempts + 1, scale=scale)
            if delay is None:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = now + timedelta(seconds=delay)
    for endpoint_id in gone:
        _disable_gone(endpoint_id, now)
    db.session.commit()


def _clip(error: str | None) -> str | None:
    return error[:500] if error else None


def _disable_gone(endpoint_id: uuid.UUID, now: datetime) -> None:
    """The receiver asked for no more: disable the endpoint, abandon what waits for it."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        return
    endpoint.enabled = False
    endpoint.disabled_reason = GONE_REASON
    endpoint.updated_at = now
    db.session.flush()
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.ABANDONED, next_attempt_at=None, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
