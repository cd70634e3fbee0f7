"""The webhook API's schemas: a partner's endpoints and the log of their deliveries.

The signing secret is in the answers to creating an endpoint and rotating its secret,
and nowhere else.
"""

from __future__ import annotations

from marshmallow import fields, validate

from core.api import PageArgs, Schema
from referrals.webhook_models import DeliveryStatus
from referrals.webhook_transport import MAX_URL_LENGTH
from referrals.webhooks import EVENT_TYPES, MAX_DESCRIPTION

DELIVERY_STATUSES = [s.value for s in DeliveryStatus]

_EVENT_TYPES_DOC = (
    "The events sent to the endpoint (none listed: every event). A case's event is "
    "`referral.` and its new status: " + ", ".join(f"`{t}`" for t in EVENT_TYPES) + "."
)


def _event_types(**options: object) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        validate=validate.Length(max=len(EVENT_TYPES)),
        metadata={"description": _EVENT_TYPES_DOC},
        **options,
    )


class NewEndpointSchema(Schema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_URL_LENGTH),
        metadata={
            "description": "Where to POST the events: an https URL of a public host, "
            "resolved again at each delivery; redirects are not followed"
        },
    )
    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=MAX_DESCRIPTION)
    )
    event_types = _event_types(load_default=list)


class EndpointChangeSchema(Schema):
    url = fields.String(validate=validate.Length(min=1, max=MAX_URL_LENGTH))
    description = fields.String(allow_none=True, validate=validate.Length(max=MAX_DESCRIPTION))
    event_types = _event_types()
    enabled = fields.Boolean(
        metadata={"description": "false pauses the deliveries; true resumes them"}
    )


class EndpointSchema(Schema):
    id = fields.UUID()
    url = fields.String()
    description = fields.String(allow_none=True)
    event_types = fields.List(fields.String())
    enabled = fields.Boolean()
    disabled_reason = fields.String(
        allow_none=True,
        metadata={"description": "Why it is disabled: by the partner, or a 410 answer"},
    )
    previous_secret_expires_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "After a rotation, until when the previous secret signs too"},
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class EndpointWithSecretSchema(EndpointSchema):
    secret = fields.String(
        metadata={
            "description": "The `whsec_...` signing secret (Standard Webhooks), shown "
            "only here: keep it"
        }
    )


class EndpointListSchema(Schema):
    items = fields.List(fields.Nested(EndpointSchema))


class DeliveryListArgs(PageArgs):
    endpoint = fields.UUID(load_default=None, metadata={"description": "Only this endpoint's"})
    status = fields.String(load_default=None, validate=validate.OneOf(DELIVERY_STATUSES))


class MessageSchema(Schema):
    id = fields.String(metadata={"description": "The `webhook-id` of every attempt"})
    event_type = fields.String()
    created_at = fields.DateTime()


class DeliverySchema(Schema):
    id = fields.UUID()
    endpoint_id = fields.UUID()
    message = fields.Nested(MessageSchema)
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    attempts = fields.Integer(
        metadata={"description": "Attempts made on the retry schedule (manual ones apart)"}
    )
    next_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    next_cursor = fields.String(allow_none=True)


class AttemptSchema(Schema):
    number = fields.Integer()
    manual = fields.Boolean(metadata={"description": "A redelivery asked for by hand"})
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    response_excerpt = fields.String(allow_none=True)
    duration_ms = fields.Integer()
    created_at = fields.DateTime()


class DeliveryDetailSchema(DeliverySchema):
    payload = fields.Dict(metadata={"description": "The event's `data`, as sent"})
    log = fields.List(fields.Nested(AttemptSchema), metadata={"description": "Every attempt"})
