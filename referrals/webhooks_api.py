"""`/api/v1/webhooks`: a partner's webhook endpoints and the log of their deliveries
(partner clients with `webhooks:manage`; the token's owning partner is the scope).

Events are signed per Standard Webhooks: `webhook-id` (the same on every attempt of a
message), `webhook-timestamp` and `webhook-signature`, with the endpoint's `whsec_`
secret, which only the answers to creating the endpoint and rotating its secret show.
After a rotation the previous secret signs too for 24 hours (two signatures). Failed
deliveries are retried with exponential backoff for more than a day; a 410 answer
disables the endpoint. Another partner's endpoint or delivery is missing (404).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from werkzeug.exceptions import BadRequest

from core.api import Blueprint, decode_cursor, encode_cursor, page_limit
from core.db import db
from core.oauth.resource import api_access
from referrals import webhooks
from referrals.idempotency import idempotent
from referrals.schemas import EmptySchema
from referrals.webhook_models import WebhookDelivery, WebhookEndpoint
from referrals.webhook_schemas import (
    DeliveryDetailSchema,
    DeliveryListArgs,
    DeliveryPageSchema,
    DeliverySchema,
    EndpointChangeSchema,
    EndpointListSchema,
    EndpointSchema,
    EndpointWithSecretSchema,
    NewEndpointSchema,
)

blp = Blueprint(
    "webhooks_api",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="The partner's webhook endpoints and their deliveries",
)

MANAGE = "webhooks:manage"
PARTNER = ("partner",)
NO_ENDPOINT = "No webhook endpoint of this partner by that id"
NO_DELIVERY = "No webhook delivery of this partner by that id"


# --- presenting ---------------------------------------------------------------------------


def endpoint_view(row: WebhookEndpoint, *, secret: bool = False) -> dict[str, Any]:
    found = {
        "id": row.id,
        "url": row.url,
        "description": row.description,
        "event_types": row.event_types,
        "enabled": row.enabled,
        "disabled_reason": row.disabled_reason,
        "previous_secret_expires_at": webhooks.previous_secret_expires_at(row),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }
    if secret:
        found["secret"] = row.secret
    return found


def delivery_view(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "endpoint_id": row.endpoint_id,
        "message": {
            "id": row.message.webhook_id,
            "event_type": row.message.event_type,
            "created_at": row.message.created_at,
        },
        "status": row.status.value,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "delivered_at": row.delivered_at,
    }


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    created_at, last_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(created_at), uuid.UUID(last_id)
    except ValueError:
        raise BadRequest("The cursor is not valid: use a `next_cursor` as given.") from None


# --- endpoints ----------------------------------------------------------------------------


@blp.route("/endpoints", methods=["GET"])
@api_access(MANAGE, owners=PARTNER)
@blp.response(200, EndpointListSchema)
def list_endpoints() -> dict[str, Any]:
    """The partner's endpoints, oldest first (at most 10)."""
    return {"items": [endpoint_view(row) for row in webhooks.endpoints()]}


@blp.route("/endpoints", methods=["POST"])
@api_access(MANAGE, owners=PARTNER)
@idempotent
@blp.arguments(NewEndpointSchema)
@blp.response(201, EndpointWithSecretSchema)
@blp.alt_response(409, description="The partner has 10 endpoints already")
@blp.alt_response(422, description="Invalid fields, such as a URL that cannot receive them")
def create_endpoint(data: dict[str, Any]) -> dict[str, Any]:
    """Register an endpoint. The answer holds its signing secret, shown only now."""
    row = webhooks.create_endpoint(webhooks.EndpointInput(**data))
    return endpoint_view(row, secret=True)


@blp.route("/endpoints/<uuid:endpoint_id>", methods=["GET"])
@api_access(MANAGE, owners=PARTNER)
@blp.response(200, EndpointSchema)
@blp.alt_response(404, description=NO_ENDPOINT)
def get_endpoint(endpoint_id: uuid.UUID) -> dict[str, Any]:
    """One endpoint (without its secret)."""
    return endpoint_view(webhooks.endpoint(endpoint_id))


@blp.route("/endpoints/<uuid:endpoint_id>", methods=["PATCH"])
@api_access(MANAGE, owners=PARTNER)
@blp.arguments(EndpointChangeSchema)
@blp.response(200, EndpointSchema)
@blp.alt_response(404, description=NO_ENDPOINT)
def update_endpoint(data: dict[str, Any], endpoint_id: uuid.UUID) -> dict[str, Any]:
    """Change the URL, description or event types; disable or enable it again."""
    row = webhooks.update_endpoint(endpoint_id, data)
    db.session.commit()
    return endpoint_view(row)


@blp.route("/endpoints/<uuid:endpoint_id>", methods=["DELETE"])
@api_access(MANAGE, owners=PARTNER)
@blp.response(204)
@blp.alt_response(404, description=NO_ENDPOINT)
def delete_endpoint(endpoint_id: uuid.UUID) -> None:
    """Delete the endpoint, its deliveries and their log."""
    webhooks.delete_endpoint(endpoint_id)
    db.session.commit()


@blp.route("/endpoints/<uuid:endpoint_id>/rotate-secret", methods=["POST"])
@api_access(MANAGE, owners=PARTNER)
@blp.arguments(EmptySchema)
@blp.response(200, EndpointWithSecretSchema)
@blp.alt_response(404, description=NO_ENDPOINT)
def rotate_secret(_data: dict[str, Any], endpoint_id: uuid.UUID) -> dict[str, Any]:
    """A new signing secret, shown only now; the previous one signs too for 24 hours."""
    row = webhooks.rotate_secret(endpoint_id)
    db.session.commit()
    return endpoint_view(row, secret=True)


# --- deliveries ---------------------------------------------------------------------------


@blp.route("/deliveries", methods=["GET"])
@api_access(MANAGE, owners=PARTNER)
@blp.arguments(DeliveryListArgs, location="query")
@blp.response(200, DeliveryPageSchema)
def list_deliveries(args: dict[str, Any]) -> dict[str, Any]:
    """The partner's deliveries, newest first."""
    found = webhooks.deliveries(
        endpoint_id=args["endpoint"],
        status=args["status"],
        limit=page_limit(args["limit"]),
        after=_after(args["cursor"]),
    )
    last = found.last
    return {
        "items": [delivery_view(row) for row in found.items],
        "next_cursor": None if last is None else encode_cursor(last[0].isoformat(), str(last[1])),
    }


@blp.route("/deliveries/<uuid:delivery_id>", methods=["GET"])
@api_access(MANAGE, owners=PARTNER)
@blp.response(200, DeliveryDetailSchema)
@blp.alt_response(404, description=NO_DELIVERY)
def get_delivery(delivery_id: uuid.UUID) -> dict[str, Any]:
    """One delivery, with the event it carries and every attempt."""
    row = webhooks.delivery(delivery_id)
    return {
        **delivery_view(row),
        "payload": row.message.payload,
        "log": [
            {
                "number": a.number,
                "manual": a.manual,
                "status_code": a.status_code,
                "error": a.error,
                "response_excerpt": a.response_excerpt,
                "duration_ms": a.duration_ms,
                "created_at": a.created_at,
            }
            for a in webhooks.attempts(row)
        ],
    }


@blp.route("/deliveries/<uuid:delivery_id>/redeliver", methods=["POST"])
@api_access(MANAGE, owners=PARTNER)
@blp.arguments(EmptySchema)
@blp.response(202, DeliverySchema)
@blp.alt_response(404, description=NO_DELIVERY)
@blp.alt_response(409, description="The delivery's endpoint is disabled")
def redeliver(_data: dict[str, Any], delivery_id: uuid.UUID) -> dict[str, Any]:
    """Send the delivery's message again, now (a worker makes the attempt, logged as
    manual); the retry schedule goes on as it was."""
    row = webhooks.redeliver(delivery_id)
    db.session.commit()
    return delivery_view(row)
