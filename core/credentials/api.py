"""`/api/v1/me/...`: the person's own mediator file, for applications they allowed
(`profile` scope, from the authorization code grant).

The profile, training records and certifications are the mediator's own: one edit here
is what every center they work with sees. Nothing here reads an affiliation, so no
center's rate or internal notes can reach these answers. Evidence is uploaded as
multipart/form-data (field `file`); a refused file answers 4xx problem+json and leaves
nothing behind: it is checked before anything is stored, and the row is committed
after the file (core.files.uploads).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE
from werkzeug.datastructures import FileStorage

from core.api import Blueprint
from core.credentials import certifications, records
from core.credentials.models import Certification, MediatorProfile, TrainingRecord
from core.credentials.profiles import ProfileInput, create_profile, profile_of_user, update_profile
from core.credentials.schemas import (
    CertificationInSchema,
    CertificationListSchema,
    CertificationSchema,
    EvidenceUploadSchema,
    ProfileInSchema,
    ProfileSchema,
    RecordInSchema,
    RecordListSchema,
    RecordSchema,
    certification_view,
    profile_view,
    record_view,
    today,
    verification_view,
)
from core.db import db
from core.errors import DomainError
from core.files.uploads import (
    UploadRefused,
    accepts_upload,
    commit_with_files,
    evidence_response,
    read_evidence,
)
from core.oauth.clients import describe_owner
from core.oauth.resource import api_access, current_token

blp = Blueprint(
    "mediator_file_api",
    __name__,
    url_prefix="/api/v1/me",
    description="The person's own mediator file: profile, training records, certifications",
)

PROFILE = "profile"
EVIDENCE_DOC = {
    "responses": {
        "200": {
            "description": "The file, as an attachment under the name it was uploaded with",
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in ("application/pdf", "image/png", "image/jpeg")
            },
        },
        "404": {"description": "No such record or certification, or it has no evidence"},
    }
}


class NoProfile(DomainError):
    status = 404
    code = "no-mediator-profile"


class NoEvidence(DomainError):
    status = 404
    code = "not-found"


class EvidenceRefused(DomainError):
    """An uploaded file broke a rule (core.files.checks): nothing was stored."""

    location = "files"

    def __init__(self, refused: UploadRefused) -> None:
        too_large = refused.code == "too-large"
        super().__init__(
            str(refused.message), status=413 if too_large else 422, code=f"upload-{refused.code}"
        )
        self.errors = {"file": refused.message}


# --- helpers shared with tenants.mediators_api -------------------------------------------


def checked_upload(upload: FileStorage | None) -> Any:
    """The checked evidence of the `file` field; EvidenceRefused (413/422) otherwise."""
    try:
        checked = read_evidence(upload)
    except UploadRefused as refused:
        raise EvidenceRefused(refused) from None
    if checked is None:
        raise EvidenceRefused(UploadRefused("missing", _l("Choose a file to upload.")))
    return checked


def download(row: TrainingRecord | Certification) -> Response:
    if not row.has_evidence:
        raise NoEvidence(str(_l("No evidence file was uploaded for it.")))
    return evidence_response(row)


# --- the person's own ---------------------------------------------------------------------


def _user_id() -> uuid.UUID:
    token = current_token()
    assert token is not None and token.user_id is not None  # api_access(user=True)
    return token.user_id


def _profile() -> MediatorProfile:
    profile = profile_of_user(_user_id())
    if profile is None:
        raise NoProfile(
            str(_l("You have no mediator profile yet: create it with PUT /api/v1/me/profile."))
        )
    return profile


def mine(row: Any) -> dict[str, Any]:
    """The verification as its mediator sees it: which center checked, never who."""
    view = verification_view(row)
    view["center"] = None
    tenant_id = row.verified_for_tenant_id
    described = describe_owner("tenant", tenant_id) if tenant_id else None
    if described is not None:
        view["center"] = {"id": tenant_id, "name": described["name"]}
    return view


def _record(record_id: uuid.UUID) -> TrainingRecord:
    return records.record_of(_profile().id, record_id)


def _certification(certification_id: uuid.UUID) -> Certification:
    return certifications.certification_of(_profile().id, certification_id)


def _replace_evidence(row: TrainingRecord | Certification, upload: FileStorage) -> None:
    evidence = checked_upload(upload)
    try:
        replaced = records.replace_evidence(row, evidence)
    except records.RecordInvalid as refused:
        refused.location = "files"  # type: ignore[attr-defined]
        raise
    commit_with_files([row.evidence_key], [replaced])


# --- profile ------------------------------------------------------------------------------


@blp.route("/profile", methods=["GET"])
@api_access(PROFILE, user=True)
@blp.response(200, ProfileSchema)
@blp.alt_response(404, description="The person has no mediator profile yet")
def get_profile() -> dict[str, Any]:
    """The person's mediator profile."""
    return profile_view(_profile())


@blp.route("/profile", methods=["PUT"])
@api_access(PROFILE, user=True)
@blp.arguments(ProfileInSchema)
@blp.response(200, ProfileSchema, description="The profile, replaced")
@blp.alt_response(201, schema=ProfileSchema, description="The profile, created")
def put_profile(data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Create the person's mediator profile, or replace it whole (422: each field's error)."""
    given = ProfileInput(**data)
    profile = profile_of_user(_user_id())
    status = 200
    if profile is None:
        profile, status = create_profile(given, user_id=_user_id()), 201
    else:
        update_profile(profile, given)
    db.session.commit()
    return profile_view(profile), status


# --- training records ---------------------------------------------------------------------


@blp.route("/training-records", methods=["GET"])
@api_access(PROFILE, user=True)
@blp.response(200, RecordListSchema)
def list_records() -> dict[str, Any]:
    """Every training record of the person, the latest first."""
    return {"items": [record_view(r, mine) for r in records.records_of(_profile().id)]}


@blp.route("/training-records", methods=["POST"])
@api_access(PROFILE, user=True)
@blp.arguments(RecordInSchema)
@blp.response(201, RecordSchema)
def add_record(data: dict[str, Any]) -> dict[str, Any]:
    """Add a training record, pending verification by a center."""
    record = records.add_record(_profile(), records.RecordInput(**data))
    db.session.commit()
    return record_view(record, mine)


@blp.route("/training-records/<uuid:record_id>", methods=["GET"])
@api_access(PROFILE, user=True)
@blp.response(200, RecordSchema)
def get_record(record_id: uuid.UUID) -> dict[str, Any]:
    """One training record of the person."""
    return record_view(_record(record_id), mine)


@blp.route("/training-records/<uuid:record_id>", methods=["PUT"])
@api_access(PROFILE, user=True)
@blp.arguments(RecordInSchema)
@blp.response(200, RecordSchema)
def put_record(data: dict[str, Any], record_id: uuid.UUID) -> dict[str, Any]:
    """Replace a training record; it goes back to pending verification."""
    record = _record(record_id)
    records.update_record(record, records.RecordInput(**data))
    db.session.commit()
    return record_view(record, mine)


@blp.route("/training-records/<uuid:record_id>", methods=["DELETE"])
@api_access(PROFILE, user=True)
@blp.response(204)
def delete_record(record_id: uuid.UUID) -> None:
    """Delete a training record and its evidence file."""
    key = records.delete_record(_record(record_id))
    commit_with_files((), [key])


@blp.route("/training-records/<uuid:record_id>/evidence", methods=["PUT"])
@api_access(PROFILE, user=True)
@blp.arguments(EvidenceUploadSchema, location="files", unknown=RAISE)
@blp.response(200, RecordSchema)
@blp.alt_response(413, description="The file is larger than 10 MB")
@accepts_upload
def put_record_evidence(files: dict[str, Any], record_id: uuid.UUID) -> dict[str, Any]:
    """Upload the record's evidence (replacing any); it goes back to pending verification."""
    record = _record(record_id)
    _replace_evidence(record, files["file"])
    return record_view(record, mine)


@blp.route("/training-records/<uuid:record_id>/evidence", methods=["GET"])
@api_access(PROFILE, user=True)
@blp.doc(**EVIDENCE_DOC)
def get_record_evidence(record_id: uuid.UUID) -> Response:
    """Download the record's evidence."""
    return download(_record(record_id))


# --- certifications -----------------------------------------------------------------------


@blp.route("/certifications", methods=["GET"])
@api_access(PROFILE, user=True)
@blp.response(200, CertificationListSchema)
def list_certifications() -> dict[str, Any]:
    """Every certification of the person, with its compliance today."""
    on = today()
    rows = certifications.certifications_of(_profile().id)
    return {"items": [certification_view(c, mine, on) for c in rows]}


@blp.route("/certifications", methods=["POST"])
@api_access(PROFILE, user=True)
@blp.arguments(CertificationInSchema)
@blp.response(201, CertificationSchema)
def add_certification(data: dict[str, Any]) -> dict[str, Any]:
    """Add a certification of a scheme of the catalogue, pending verification."""
    given = certifications.CertificationInput(**data)
    certification = certifications.add_certification(_profile(), given)
    db.session.commit()
    return certification_view(certification, mine, today())


@blp.route("/certifications/<uuid:certification_id>", methods=["GET"])
@api_access(PROFILE, user=True)
@blp.response(200, CertificationSchema)
def get_certification(certification_id: uuid.UUID) -> dict[str, Any]:
    """One certification of the person, with its compliance today."""
    return certification_view(_certification(certification_id), mine, today())


@blp.route("/certifications/<uuid:certification_id>", methods=["PUT"])
@api_access(PROFILE, user=True)
@blp.arguments(CertificationInSchema)
@blp.response(200, CertificationSchema)
def put_certification(data: dict[str, Any], certification_id: uuid.UUID) -> dict[str, Any]:
    """Replace a certification; it goes back to pending verification."""
    certification = _certification(certification_id)
    certifications.update_certification(certification, certifications.CertificationInput(**data))
    db.session.commit()
    return certification_view(certification, mine, today())


@blp.route("/certifications/<uuid:certification_id>/evidence", methods=["PUT"])
@api_access(PROFILE, user=True)
@blp.arguments(EvidenceUploadSchema, location="files", unknown=RAISE)
@blp.response(200, CertificationSchema)
@blp.alt_response(413, description="The file is larger than 10 MB")
@accepts_upload
def put_certification_evidence(
    files: dict[str, Any], certification_id: uuid.UUID
) -> dict[str, Any]:
    """Upload the certification's evidence (replacing any); back to pending verification."""
    certification = _certification(certification_id)
    _replace_evidence(certification, files["file"])
    return certification_view(certification, mine, today())


@blp.route("/certifications/<uuid:certification_id>/evidence", methods=["GET"])
@api_access(PROFILE, user=True)
@blp.doc(**EVIDENCE_DOC)
def get_certification_evidence(certification_id: uuid.UUID) -> Response:
    """Download the certification's evidence."""
    return download(_certification(certification_id))
