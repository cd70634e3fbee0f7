"""The referral API's schemas: what a partner sends, what it and the center read back.

A partner reads what it sent, the status, the timeline and the public names of the
center and mediator; never the center's notes nor its reasons for overriding a
conflict check. A center reads the whole case.
"""

from __future__ import annotations

from marshmallow import fields, validate

from core.api import PageArgs, Schema
from core.credentials.models import MODES, SPECIALTIES
from referrals.cases import MAX_PARTIES, MAX_SUMMARY
from referrals.models import Outcome, PartyRole, ReferralStatus, Urgency

STATUSES = [s.value for s in ReferralStatus]
OUTCOMES = [o.value for o in Outcome]
MAX_AMOUNT = 10**12


class PartySchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in PartyRole]))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    lawyer = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "The party's lawyer, if any (name and firm)"},
    )


class NewReferralSchema(Schema):
    center = fields.String(
        required=True,
        validate=validate.Length(min=1, max=63),
        metadata={"description": "The center's id or slug (GET /marketplace/centers)"},
    )
    preferred_mediator_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "A mediator of that center (marketplace id), if preferred"},
    )
    reference = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=100),
        metadata={"description": "Your own case reference"},
    )
    dispute_type = fields.String(required=True, validate=validate.OneOf(SPECIALTIES))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=MAX_SUMMARY))
    amount_eur = fields.Decimal(
        load_default=None,
        allow_none=True,
        places=2,
        as_string=True,
        validate=validate.Range(min=0, max=MAX_AMOUNT),
        # Bounds stated as numbers: apispec would write the Decimal field's as strings.
        metadata={
            "description": "The amount at stake, in EUR",
            "minimum": 0,
            "maximum": MAX_AMOUNT,
        },
    )
    urgency = fields.String(
        load_default=Urgency.STANDARD.value, validate=validate.OneOf([u.value for u in Urgency])
    )
    language = fields.String(
        required=True,
        validate=validate.Length(equal=2),
        metadata={"description": "The language of the mediation (ISO 639-1)"},
    )
    preferred_mode = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(MODES)
    )
    parties = fields.List(
        fields.Nested(PartySchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_PARTIES),
    )
    parties_informed = fields.Boolean(
        required=True, metadata={"description": "The parties were told of this referral"}
    )
    contact_consent = fields.Boolean(
        required=True, metadata={"description": "The parties agree to be contacted by the center"}
    )


class ReferralCenterSchema(Schema):
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()


class ReferringPartnerSchema(Schema):
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()


class AssignedMediatorSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class ReferralSchema(Schema):
    """A case as its partner reads it (the center's answers add its own fields)."""

    id = fields.UUID()
    status = fields.String(validate=validate.OneOf(STATUSES))
    reference = fields.String(allow_none=True)
    center = fields.Nested(ReferralCenterSchema)
    mediator = fields.Nested(AssignedMediatorSchema, allow_none=True)
    dispute_type = fields.String()
    summary = fields.String()
    amount_eur = fields.String(allow_none=True)
    urgency = fields.String()
    language = fields.String()
    preferred_mode = fields.String(allow_none=True)
    preferred_mediator_id = fields.UUID(allow_none=True)
    parties = fields.List(fields.Nested(PartySchema))
    decline_reason = fields.String(allow_none=True)
    scheduled_at = fields.DateTime(allow_none=True)
    outcome = fields.String(allow_none=True, validate=validate.OneOf(OUTCOMES))
    next_steps = fields.List(
        fields.String(), metadata={"description": "What the caller may do next, by route name"}
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CenterReferralSchema(ReferralSchema):
    partner = fields.Nested(ReferringPartnerSchema)


class ReferralSummarySchema(Schema):
    """A case in a list: no summary, no parties (read one case for those)."""

    id = fields.UUID()
    status = fields.String(validate=validate.OneOf(STATUSES))
    reference = fields.String(allow_none=True)
    center = fields.Nested(ReferralCenterSchema)
    dispute_type = fields.String()
    urgency = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReferralPageSchema(Schema):
    items = fields.List(fields.Nested(ReferralSummarySchema))
    next_cursor = fields.String(allow_none=True)


class ReferralListArgs(PageArgs):
    status = fields.List(
        fields.String(validate=validate.OneOf(STATUSES)),
        load_default=None,
        validate=validate.Length(max=len(STATUSES)),
        metadata={"description": "Only these statuses (repeat the parameter for several)"},
    )
    created_after = fields.AwareDateTime(load_default=None)
    created_before = fields.AwareDateTime(load_default=None)


class EventSchema(Schema):
    id = fields.UUID()
    kind = fields.String(metadata={"description": "created, or the step taken (accept...)"})
    status = fields.String(validate=validate.OneOf(STATUSES))
    actor = fields.String(validate=validate.OneOf(["partner", "center", "system"]))
    details = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    created_at = fields.DateTime()


class EventListSchema(Schema):
    items = fields.List(fields.Nested(EventSchema))


class DeclineSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class AssignSchema(Schema):
    mediator_id = fields.UUID(required=True)
    override_reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata={"description": "Assign despite a possible conflict of interest (audited)"},
    )


class ScheduleSchema(Schema):
    scheduled_at = fields.AwareDateTime(required=True)


class OutcomeSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))


class EmptySchema(Schema):
    """No body needed (an empty JSON object may be sent)."""
