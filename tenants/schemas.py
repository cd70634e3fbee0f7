"""The center API's schemas (tenants.mediators_api): its mediators, their affiliations
and compliance summaries, and what a center sends to add, change or verify.

The file itself (profile, records, certifications) is core.credentials.schemas'; only
who verified differs for a center: whether it was itself, never which other center.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from core.api import PageArgs, Schema
from core.credentials.compliance.model import Status
from core.credentials.models import MODES, SPECIALTIES
from core.credentials.schemas import (
    CertificationSchema,
    ProfileFieldsSchema,
    ProfileSchema,
    RecordSchema,
    VerificationSchema,
)
from tenants.models import AffiliationStatus
from tenants.services.affiliations import MAX_NOTES

AFFILIATION_STATUSES = [s.value for s in AffiliationStatus]
MAX_REASON = 500


class AffiliationSchema(Schema):
    """The center's own tie to the mediator: its rate and notes are for it alone."""

    id = fields.UUID()
    status = fields.String(validate=validate.OneOf(AFFILIATION_STATUSES))
    published = fields.Boolean(metadata={"description": "Shown on the marketplace by the center"})
    rate_eur = fields.String(allow_none=True, metadata={"description": "The center's rate"})
    internal_notes = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ProfileSummarySchema(Schema):
    """The rest is null while the affiliation opens no file (an invitation not yet
    accepted, or ended)."""

    id = fields.UUID()
    display_name = fields.String()
    claimed = fields.Boolean()
    title = fields.String(allow_none=True)
    languages = fields.List(fields.String(), allow_none=True)
    specialties = fields.List(fields.String(validate=validate.OneOf(SPECIALTIES)), allow_none=True)
    regions = fields.List(fields.String(), allow_none=True)
    modes = fields.List(fields.String(validate=validate.OneOf(MODES)), allow_none=True)


STATUSES = [s.value for s in Status]


class CertificationStandingSchema(Schema):
    id = fields.UUID()
    scheme_code = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    valid_until = fields.Date(allow_none=True)


class ComplianceSummarySchema(Schema):
    status = fields.String(
        allow_none=True,
        validate=validate.OneOf(STATUSES),
        metadata={"description": "The worst of the certifications' (null: none held)"},
    )
    certifications = fields.List(fields.Nested(CertificationStandingSchema))
    pending_verifications = fields.Integer()


class MediatorSummarySchema(Schema):
    profile = fields.Nested(ProfileSummarySchema)
    affiliation = fields.Nested(AffiliationSchema)
    compliance = fields.Nested(
        ComplianceSummarySchema,
        allow_none=True,
        metadata={"description": "Null once the affiliation has ended"},
    )


class MediatorPageSchema(Schema):
    items = fields.List(fields.Nested(MediatorSummarySchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "The next page's `cursor`; null on the last"}
    )


class MediatorListArgs(PageArgs):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(AFFILIATION_STATUSES),
        metadata={"description": "Only this status (default: every status but ended)"},
    )


class CenterVerificationSchema(VerificationSchema):
    by_this_center = fields.Boolean(
        metadata={"description": "Verified or rejected by this center (else by another)"}
    )


class CenterRecordSchema(RecordSchema):
    verification = fields.Nested(CenterVerificationSchema)


class CenterCertificationSchema(CertificationSchema):
    verification = fields.Nested(CenterVerificationSchema)


class MediatorSchema(Schema):
    profile = fields.Nested(ProfileSchema)
    affiliation = fields.Nested(AffiliationSchema)
    records = fields.List(fields.Nested(CenterRecordSchema))
    certifications = fields.List(fields.Nested(CenterCertificationSchema))


class NewMediatorSchema(ProfileFieldsSchema):
    """The mediator's address and the profile to create if they have none (their own
    profile is kept as it is when they have one: the center then invites them)."""

    email = fields.Email(required=True, validate=validate.Length(max=254))


class AffiliationChangeSchema(Schema):
    """The fields to change; those left out stay as they are (null clears a rate or
    the notes)."""

    status = fields.String(validate=validate.OneOf(AFFILIATION_STATUSES))
    rate_eur = fields.String(
        allow_none=True,
        validate=validate.Length(max=12),
        metadata={"description": "The center's hourly rate in euros", "example": "150.00"},
    )
    internal_notes = fields.String(allow_none=True, validate=validate.Length(max=MAX_NOTES))
    published = fields.Boolean(
        metadata={"description": "Needs an active affiliation and the mediator's consent"}
    )

    @validates_schema
    def _something(self, data: dict[str, Any], **_kwargs: Any) -> None:
        # An empty change is a client's mistake (or a body that is not JSON at all).
        if not data:
            raise ValidationError("Give at least one field to change.")


class VerificationInSchema(Schema):
    verified = fields.Boolean(required=True)
    reason = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=MAX_REASON),
        metadata={"description": "Why it is rejected (required to reject)"},
    )
