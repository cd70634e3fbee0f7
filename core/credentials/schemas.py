"""The mediator's file over the API: request and response schemas, and the functions
that present rows to them.

The same profile, records and certifications are read by their mediator
(core.credentials.api, `profile` scope) and by the centers they work with
(tenants.mediators_api); only who verified differs: the mediator sees which center,
a center only whether it was itself. Nothing here reads an affiliation: a center's
rate and internal notes are added by tenants.mediators_api, to that center's answers
only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import get_locale
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from core.api import Schema
from core.clock import now
from core.credentials.compliance import Assessment, Issue
from core.credentials.compliance.model import IssueCode, Status
from core.credentials.compliance.wording import LANGUAGES, describe
from core.credentials.models import (
    MODES,
    REGISTRATION_KINDS,
    SPECIALTIES,
    TRAINING_KINDS,
    Certification,
    CertificationStage,
    MediatorProfile,
    TrainingRecord,
    VerificationStatus,
)
from core.credentials.profiles import (
    MAX_BIO,
    MAX_LIST,
    MAX_REGISTRATION_NAME,
    MAX_REGISTRATION_NUMBER,
    MAX_REGISTRATIONS,
)
from core.credentials.records import MAX_MEDIATIONS
from core.credentials.standing import standing

STAGES = tuple(s.value for s in CertificationStage)
RATE = r"^\d{1,5}(\.\d{1,2})?$"  # euros, as a string: "150" or "150.00"


def _enum(values: tuple[str, ...] | list[str], **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(values), **kwargs)


def _rate(description: str) -> fields.String:
    return fields.String(
        allow_none=True,
        load_default=None,
        validate=[validate.Length(max=8), validate.Regexp(RATE)],
        metadata={"description": description, "example": "150.00"},
    )


# --- the profile --------------------------------------------------------------------------


class RegistrationSchema(Schema):
    kind = _enum(REGISTRATION_KINDS, required=True)
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_REGISTRATION_NAME),
        metadata={"description": "The court of appeal (its list of mediators) or the bar"},
    )
    number = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=MAX_REGISTRATION_NUMBER)
    )


class ProfileFieldsSchema(Schema):
    """The profile's fields, but the mediator's consent to a public listing (which a
    center creating a profile cannot give for them)."""

    display_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    title = fields.String(load_default="", validate=validate.Length(max=120))
    bio_fr = fields.String(load_default="", validate=validate.Length(max=MAX_BIO))
    bio_en = fields.String(load_default="", validate=validate.Length(max=MAX_BIO))
    languages = fields.List(
        fields.String(validate=validate.Length(equal=2)),
        load_default=list,
        validate=validate.Length(max=MAX_LIST),
        metadata={"description": 'ISO 639-1 codes ("fr", "en")'},
    )
    specialties = fields.List(
        _enum(SPECIALTIES), load_default=list, validate=validate.Length(max=MAX_LIST)
    )
    regions = fields.List(
        fields.String(validate=validate.Length(min=2, max=6)),
        load_default=list,
        validate=validate.Length(max=MAX_LIST),
        metadata={
            "description": 'French departments as "FR-<INSEE code>" ("FR-75", "FR-2A", '
            '"FR-971") and countries as ISO 3166-1 alpha-2 codes ("BE")'
        },
    )
    modes = fields.List(_enum(MODES), load_default=list, validate=validate.Length(max=MAX_LIST))
    rate_min_eur = _rate("The lowest hourly rate, in euros (0 to 10,000)")
    rate_max_eur = _rate("The highest hourly rate, in euros (0 to 10,000)")
    registrations = fields.List(
        fields.Nested(RegistrationSchema),
        load_default=list,
        validate=validate.Length(max=MAX_REGISTRATIONS),
    )


class ProfileInSchema(ProfileFieldsSchema):
    """The whole profile: a PUT replaces it, a field left out takes its empty value."""

    listed_publicly = fields.Boolean(
        load_default=False,
        metadata={"description": "The mediator's consent to a public listing (dated when given)"},
    )


class ProfileSchema(Schema):
    id = fields.UUID()
    claimed = fields.Boolean(metadata={"description": "The mediator has an account"})
    display_name = fields.String()
    title = fields.String()
    bio_fr = fields.String()
    bio_en = fields.String()
    languages = fields.List(fields.String())
    specialties = fields.List(_enum(SPECIALTIES))
    regions = fields.List(fields.String())
    modes = fields.List(_enum(MODES))
    rate_min_eur = fields.String(allow_none=True, metadata={"example": "120.00"})
    rate_max_eur = fields.String(allow_none=True, metadata={"example": "180.00"})
    registrations = fields.List(fields.Nested(RegistrationSchema))
    listed_publicly = fields.Boolean()
    listed_publicly_at = fields.DateTime(allow_none=True)
    has_photo = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


def profile_view(profile: MediatorProfile) -> dict[str, Any]:
    return {
        "id": profile.id,
        "claimed": profile.is_claimed,
        "display_name": profile.display_name,
        "title": profile.title,
        "bio_fr": profile.bio_fr,
        "bio_en": profile.bio_en,
        "languages": profile.languages,
        "specialties": profile.specialties,
        "regions": profile.regions,
        "modes": profile.modes,
        "rate_min_eur": _money(profile.rate_min_eur),
        "rate_max_eur": _money(profile.rate_max_eur),
        "registrations": profile.registrations or [],
        "listed_publicly": profile.listed_publicly,
        "listed_publicly_at": profile.listed_publicly_at,
        "has_photo": profile.photo_key is not None,
        "created_at": profile.created_at,
        "updated_at": profile.updated_at,
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


# --- training records -------------------------------------------------------------------


class RecordInSchema(Schema):
    """The whole record: a PUT replaces it and sends it back to pending verification."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    provider = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = _enum(TRAINING_KINDS, required=True)
    hours = fields.Decimal(
        required=True,
        metadata={"description": "0 to 2000, two decimals at most", "example": 14},
    )
    started_on = fields.Date(required=True)
    ended_on = fields.Date(allow_none=True, load_default=None)
    mediations = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=MAX_MEDIATIONS),
        metadata={"description": "For mediations_conducted only: how many"},
    )


class EvidenceSchema(Schema):
    name = fields.String(metadata={"description": "The name it was uploaded under"})
    content_type = _enum(["application/pdf", "image/png", "image/jpeg"])
    size = fields.Integer()
    sha256 = fields.String()


class EvidenceUploadSchema(Schema):
    file = Upload(
        required=True,
        metadata={"description": "A PDF, PNG or JPEG of at most 10 MB, named after its type"},
    )


class VerificationSchema(Schema):
    status = _enum([s.value for s in VerificationStatus])
    reason = fields.String(allow_none=True, metadata={"description": "Why it was rejected"})
    verified_at = fields.DateTime(allow_none=True)


class CenterRefSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class MyVerificationSchema(VerificationSchema):
    center = fields.Nested(
        CenterRefSchema,
        allow_none=True,
        metadata={"description": "The center that verified or rejected it"},
    )


class RecordSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    provider = fields.String()
    kind = _enum(TRAINING_KINDS)
    hours = fields.Float()
    mediations = fields.Integer(allow_none=True)
    started_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    evidence = fields.Nested(EvidenceSchema, allow_none=True)
    verification = fields.Nested(MyVerificationSchema)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


# Who verified, as the reader may see it: a row's verification -> its "verification".
Verifier = Callable[[Any], dict[str, Any]]


def _evidence(row: Any) -> dict[str, Any] | None:
    if not row.has_evidence:
        return None
    return {
        "name": row.evidence_name,
        "content_type": row.evidence_content_type,
        "size": row.evidence_size,
        "sha256": row.evidence_sha256,
    }


def verification_view(row: Any) -> dict[str, Any]:
    return {
        "status": row.verification_status.value,
        "reason": row.verification_reason,
        "verified_at": row.verified_at,
    }


def record_view(row: TrainingRecord, verifier: Verifier) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "provider": row.provider,
        "kind": row.kind.value,
        "hours": row.hours,
        "mediations": row.mediations,
        "started_on": row.started_on,
        "ended_on": row.ended_on,
        "evidence": _evidence(row),
        "verification": verifier(row),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


# --- certifications and their compliance -----------------------------------------------


class CertificationInSchema(Schema):
    """The whole certification: a PUT replaces it and sends it back to pending."""

    scheme_code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": 'The code of an active scheme of the catalogue ("fr-ffcm")'},
    )
    number = fields.String(load_default="", validate=validate.Length(max=64))
    issued_on = fields.Date(required=True)
    expires_on = fields.Date(allow_none=True, load_default=None)
    stage = _enum(STAGES, allow_none=True, load_default=None)


class SchemeRefSchema(Schema):
    code = fields.String()
    name = fields.String()
    issuing_body = fields.String()
    country = fields.String()


class HoursDueSchema(Schema):
    kinds = fields.List(
        _enum(TRAINING_KINDS),
        metadata={"description": "The kinds of training that count (any of them)"},
    )
    hours = fields.Float()
    due_on = fields.Date(allow_none=True)


class IssueSchema(Schema):
    code = _enum([c.value for c in IssueCode])
    status = _enum([s.value for s in Status])
    text = fields.String(metadata={"description": "The issue in words (fr or en)"})
    kinds = fields.List(_enum(TRAINING_KINDS))
    hours_due = fields.Float(allow_none=True)
    pending_hours = fields.Float(allow_none=True)
    required_hours = fields.Float(allow_none=True)
    start = fields.Date(allow_none=True)
    end = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True)


class ComplianceSchema(Schema):
    status = _enum([s.value for s in Status])
    on = fields.Date(metadata={"description": "The day assessed (today)"})
    valid_until = fields.Date(allow_none=True, metadata={"description": "The last valid day"})
    language = _enum(list(LANGUAGES), metadata={"description": "The language of the texts"})
    hours_due = fields.List(
        fields.Nested(HoursDueSchema),
        metadata={"description": "Hours still to do, per kind (or group of kinds)"},
    )
    issues = fields.List(fields.Nested(IssueSchema))


class CertificationSchema(Schema):
    id = fields.UUID()
    scheme = fields.Nested(SchemeRefSchema)
    number = fields.String(allow_none=True)
    issued_on = fields.Date()
    expires_on = fields.Date(allow_none=True)
    stage = _enum(STAGES, allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    revoked_reason = fields.String(allow_none=True)
    evidence = fields.Nested(EvidenceSchema, allow_none=True)
    verification = fields.Nested(MyVerificationSchema)
    compliance = fields.Nested(ComplianceSchema)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


def language() -> str:
    """The request's language for the compliance texts (Accept-Language, else French)."""
    chosen = str(get_locale() or "fr").split("_")[0]
    return chosen if chosen in LANGUAGES else LANGUAGES[0]


def _hours_due(issues: tuple[Issue, ...]) -> list[dict[str, Any]]:
    """The hours still due, summed per kind (or group of alternative kinds)."""
    found: dict[tuple[str, ...], dict[str, Any]] = {}
    for issue in issues:
        if not issue.hours_due:
            continue
        kinds = tuple(k.value for k in issue.kinds)
        entry = found.setdefault(kinds, {"kinds": list(kinds), "hours": Decimal(0), "due_on": None})
        entry["hours"] += issue.hours_due
        if issue.due_on is not None and (entry["due_on"] is None or issue.due_on < entry["due_on"]):
            entry["due_on"] = issue.due_on
    return list(found.values())


def compliance_view(assessment: Assessment, words: str) -> dict[str, Any]:
    return {
        "status": assessment.status.value,
        "on": assessment.on,
        "valid_until": assessment.valid_until,
        "language": words,
        "hours_due": _hours_due(assessment.issues),
        "issues": [
            {
                "code": issue.code.value,
                "status": issue.status.value,
                "text": describe(issue, words),
                "kinds": [k.value for k in issue.kinds],
                "hours_due": issue.hours_due,
                "pending_hours": issue.pending_hours,
                "required_hours": issue.required_hours,
                "start": issue.start,
                "end": issue.end,
                "due_on": issue.due_on,
            }
            for issue in assessment.issues
        ],
    }


def today() -> date:
    return now().date()


def certification_view(row: Certification, verifier: Verifier, on: date) -> dict[str, Any]:
    return {
        "id": row.id,
        "scheme": {
            "code": row.scheme.code,
            "name": row.scheme.name,
            "issuing_body": row.scheme.issuing_body,
            "country": row.scheme.country,
        },
        "number": row.number,
        "issued_on": row.issued_on,
        "expires_on": row.expires_on,
        "stage": row.stage.value if row.stage else None,
        "revoked_at": row.revoked_at,
        "revoked_reason": row.revoked_reason,
        "evidence": _evidence(row),
        "verification": verifier(row),
        "compliance": compliance_view(standing(row, on), language()),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


class RecordListSchema(Schema):
    """Every record of the mediator, whole (a short list: no pages)."""

    items = fields.List(fields.Nested(RecordSchema))


class CertificationListSchema(Schema):
    """Every certification of the mediator, whole (a short list: no pages)."""

    items = fields.List(fields.Nested(CertificationSchema))
