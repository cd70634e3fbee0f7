"""`/api/v1/center/mediators...`: a center's own mediators, for its API clients
(`mediators:read`, `mediators:write`; the token's owning center is the request's
tenant, core.oauth.resource).

A center reaches a mediator only through its own, live affiliation with them
(tenants.services.mediator_files): another center's mediator, or one whose affiliation
ended, is missing (404), exactly like one that does not exist. The affiliation's rate
and internal notes are the center's own: they appear in its answers, never in another
center's (the ORM guard and row-level security keep affiliations to their center) nor
in the mediator's own (/api/v1/me, which reads no affiliation).

Verifying through the API: the center vouches, through its client. `verified_by_id`
names a person only when the token carries one who is an owner or administrator of
the center (an authorization-code token); a client-credentials token has no person, so
it stays empty and `verified_for_tenant_id` records the center. Verifications,
affiliation changes and new mediators are audited in the center's log, as on its pages.

An invitation to someone who already has their own profile opens nothing of their file
until they accept it (tenants.services.mediator_files): the list shows its affiliation
with the mediator's name only, and the mediator's own routes answer 404 until then.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from flask import Response
from sqlalchemy import select
from werkzeug.exceptions import BadRequest

from core.accounts.models import User
from core.api import Blueprint, decode_cursor, encode_cursor, page_limit
from core.credentials.api import download
from core.credentials.profiles import ProfileInput
from core.credentials.schemas import (
    certification_view,
    profile_view,
    record_view,
    today,
    verification_view,
)
from core.db import db
from core.oauth.resource import api_access, current_token
from core.tenancy import current_tenant_id
from tenants.models import MANAGER_ROLES, Affiliation, AffiliationStatus, Membership, Tenant
from tenants.schemas import (
    AffiliationChangeSchema,
    CenterCertificationSchema,
    CenterRecordSchema,
    MediatorListArgs,
    MediatorPageSchema,
    MediatorSchema,
    MediatorSummarySchema,
    NewMediatorSchema,
    VerificationInSchema,
)
from tenants.services import affiliations, mediator_claims, mediator_files, mediator_roster

blp = Blueprint(
    "center_mediators_api",
    __name__,
    url_prefix="/api/v1/center/mediators",
    description="The center's mediators: affiliations, their files, verification",
)

READ, WRITE = "mediators:read", "mediators:write"
CENTER = ("tenant",)


# --- presenting ---------------------------------------------------------------------------


def ours(row: Any) -> dict[str, Any]:
    """The verification as a center sees it: whether it was itself, never who else."""
    view = verification_view(row)
    view["by_this_center"] = (
        row.verified_for_tenant_id is not None and row.verified_for_tenant_id == current_tenant_id()
    )
    return view


def affiliation_view(affiliation: Affiliation) -> dict[str, Any]:
    rate = affiliation.rate_eur
    return {
        "id": affiliation.id,
        "status": affiliation.status.value,
        "published": affiliation.published,
        "rate_eur": None if rate is None else f"{rate:.2f}",
        "internal_notes": affiliation.internal_notes,
        "created_at": affiliation.created_at,
        "updated_at": affiliation.updated_at,
    }


def _profile_summary(affiliation: Affiliation) -> dict[str, Any]:
    profile = affiliation.profile
    found: dict[str, Any] = {
        "id": profile.id,
        "display_name": profile.display_name,
        "claimed": profile.is_claimed,
    }
    shown = mediator_files.file_is_open(affiliation)
    for name in ("title", "languages", "specialties", "regions", "modes"):
        found[name] = getattr(profile, name) if shown else None
    return found


def _summary(
    affiliation: Affiliation, compliance: mediator_roster.ComplianceSummary | None
) -> dict[str, Any]:
    return {
        "profile": _profile_summary(affiliation),
        "affiliation": affiliation_view(affiliation),
        "compliance": None
        if compliance is None
        else {
            "status": compliance.status.value if compliance.status else None,
            "certifications": [
                {
                    "id": s.id,
                    "scheme_code": s.scheme_code,
                    "status": s.status.value,
                    "valid_until": s.valid_until,
                }
                for s in compliance.certifications
            ],
            "pending_verifications": compliance.pending_verifications,
        },
    }


def mediator_view(profile_id: uuid.UUID) -> dict[str, Any]:
    affiliation = mediator_files.affiliation_with(profile_id)
    on = today()
    return {
        "profile": profile_view(affiliation.profile),
        "affiliation": affiliation_view(affiliation),
        "records": [record_view(r, ours) for r in mediator_files.center_records(profile_id)],
        "certifications": [
            certification_view(c, ours, on)
            for c in mediator_files.center_certifications(profile_id)
        ],
    }


def _actor_id() -> uuid.UUID | None:
    """The person behind the token, if they manage this center (see the module's doc)."""
    token = current_token()
    if token is None or token.user_id is None:
        return None
    manager = db.session.scalar(
        select(Membership.id).where(
            Membership.user_id == token.user_id, Membership.role.in_(MANAGER_ROLES)
        )
    )
    return token.user_id if manager is not None else None


def _inviter_name(tenant: Tenant) -> str:
    """Who the claim email says invites: the managing person behind the token, else
    the center itself."""
    actor_id = _actor_id()
    person = db.session.get(User, actor_id) if actor_id else None
    return person.name if person is not None else tenant.legal_name


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    created_at, last_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(created_at), uuid.UUID(last_id)
    except ValueError:
        raise BadRequest("The cursor is not valid: use a `next_cursor` as given.") from None


# --- reading ------------------------------------------------------------------------------


@blp.route("", methods=["GET"])
@api_access(READ, owners=CENTER)
@blp.arguments(MediatorListArgs, location="query")
@blp.response(200, MediatorPageSchema)
def list_mediators(args: dict[str, Any]) -> dict[str, Any]:
    """The center's mediators with their compliance today, oldest affiliation first."""
    status = AffiliationStatus(args["status"]) if args["status"] else None
    rows, last = mediator_roster.affiliation_page(
        status, page_limit(args["limit"]), _after(args["cursor"])
    )
    summaries = mediator_roster.compliance_summaries(rows, today())
    return {
        "items": [_summary(a, summaries[a.id]) for a in rows],
        "next_cursor": None if last is None else encode_cursor(last[0].isoformat(), str(last[1])),
    }


@blp.route("/<uuid:profile_id>", methods=["GET"])
@api_access(READ, owners=CENTER)
@blp.response(200, MediatorSchema)
@blp.alt_response(404, description="No mediator of this center by that id")
def get_mediator(profile_id: uuid.UUID) -> dict[str, Any]:
    """A mediator of the center: profile, affiliation, records, certifications."""
    return mediator_view(profile_id)


EVIDENCE_DOC = {
    "responses": {
        "200": {
            "description": "The file, as an attachment under the name it was uploaded with",
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in ("application/pdf", "image/png", "image/jpeg")
            },
        },
        "404": {"description": "No such mediator, record or certification, or no evidence"},
    }
}


@blp.route("/<uuid:profile_id>/records/<uuid:record_id>/evidence", methods=["GET"])
@api_access(READ, owners=CENTER)
@blp.doc(**EVIDENCE_DOC)
def get_record_evidence(profile_id: uuid.UUID, record_id: uuid.UUID) -> Response:
    """Download a training record's evidence."""
    return download(mediator_files.center_record(profile_id, record_id))


@blp.route("/<uuid:profile_id>/certifications/<uuid:certification_id>/evidence", methods=["GET"])
@api_access(READ, owners=CENTER)
@blp.doc(**EVIDENCE_DOC)
def get_certification_evidence(profile_id: uuid.UUID, certification_id: uuid.UUID) -> Response:
    """Download a certification's evidence."""
    return download(mediator_files.center_certification(profile_id, certification_id))


# --- verifying ----------------------------------------------------------------------------


@blp.route("/<uuid:profile_id>/records/<uuid:record_id>/verification", methods=["POST"])
@api_access(WRITE, owners=CENTER)
@blp.arguments(VerificationInSchema)
@blp.response(200, CenterRecordSchema)
def verify_record(
    data: dict[str, Any], profile_id: uuid.UUID, record_id: uuid.UUID
) -> dict[str, Any]:
    """Verify a training record, or reject it with a reason."""
    record = affiliations.decide("record", profile_id, record_id, actor_id=_actor_id(), **data)
    return record_view(record, ours)


@blp.route(
    "/<uuid:profile_id>/certifications/<uuid:certification_id>/verification", methods=["POST"]
)
@api_access(WRITE, owners=CENTER)
@blp.arguments(VerificationInSchema)
@blp.response(200, CenterCertificationSchema)
def verify_certification(
    data: dict[str, Any], profile_id: uuid.UUID, certification_id: uuid.UUID
) -> dict[str, Any]:
    """Verify a certification, or reject it with a reason."""
    certification = affiliations.decide(
        "certification", profile_id, certification_id, actor_id=_actor_id(), **data
    )
    return certification_view(certification, ours, today())


# --- managing -----------------------------------------------------------------------------


@blp.route("", methods=["POST"])
@api_access(WRITE, owners=CENTER)
@blp.arguments(NewMediatorSchema)
@blp.response(201, MediatorSummarySchema)
def add_mediator(data: dict[str, Any]) -> dict[str, Any]:
    """Add a mediator by email: a new profile they are emailed a link to claim, or, when
    the address is of someone with a profile, an invitation they accept by link."""
    email = data.pop("email")
    tenant = db.session.get(Tenant, current_tenant_id())
    assert tenant is not None  # the token's owning center (api_access)
    affiliation = mediator_claims.create_mediator(
        tenant, _inviter_name(tenant), ProfileInput(**data), email
    )
    return _summary(affiliation, mediator_roster.compliance_summary(affiliation, today()))


@blp.route("/<uuid:profile_id>", methods=["PATCH"])
@api_access(WRITE, owners=CENTER)
@blp.arguments(AffiliationChangeSchema)
@blp.response(200, MediatorSummarySchema)
@blp.alt_response(404, description="No mediator of this center by that id")
def change_affiliation(data: dict[str, Any], profile_id: uuid.UUID) -> dict[str, Any]:
    """Change the center's affiliation with the mediator: status, rate, notes, published."""
    affiliation = mediator_files.affiliation_of(profile_id)
    rate = affiliation.rate_eur
    current = affiliations.AffiliationChange(
        status=affiliation.status.value,
        rate_eur=None if rate is None else f"{rate:.2f}",
        internal_notes=affiliation.internal_notes,
        published=affiliation.published,
    )
    changed, _fields = affiliations.update_affiliation(
        profile_id, dataclasses.replace(current, **data)
    )
    return _summary(changed, mediator_roster.compliance_summary(changed, today()))
