"""Training records: the mediator's own, shared with every center they work with.

A record belongs to the mediator's profile (global), never to a center: edited once,
every affiliated center sees the change. Editing a verified record sends it back to
pending, since what was verified is no longer what is shown. Evidence is checked
(core.files.checks) before anything is written, stored under a server-generated key,
and the row is written after the file: a refused upload leaves nothing anywhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.clock import now
from core.credentials.models import (
    EvidenceMixin,
    MediatorProfile,
    TrainingKind,
    TrainingRecord,
    VerificationMixin,
    VerificationStatus,
)
from core.db import db
from core.errors import DomainError
from core.files.checks import CheckedFile
from core.files.storage import storage

MAX_HOURS = Decimal("2000")
MAX_MEDIATIONS = 10_000


class RecordInvalid(DomainError):
    """The record breaks a rule; `errors` names the fields."""

    status = 422
    code = "invalid-training-record"

    def __init__(self, errors: dict[str, object]) -> None:
        super().__init__("; ".join(str(m) for m in errors.values()))
        self.errors = errors


class RecordNotFound(DomainError):
    status = 404
    code = "not-found"


@dataclass(frozen=True)
class RecordInput:
    title: str
    provider: str
    kind: str
    hours: str | Decimal
    started_on: date
    ended_on: date | None = None
    mediations: int | None = None


def _checked(data: RecordInput) -> dict[str, object]:
    """The columns of a valid record; raises RecordInvalid with every fault at once."""
    errors: dict[str, object] = {}
    title, provider = data.title.strip(), data.provider.strip()
    if not 1 <= len(title) <= 200:
        errors["title"] = _l("Give the training a title of 1 to 200 characters.")
    if not 1 <= len(provider) <= 200:
        errors["provider"] = _l("Name the provider in 1 to 200 characters.")
    kinds = {k.value for k in TrainingKind}
    if data.kind not in kinds:
        errors["kind"] = _l("Choose a kind from the list.")
    try:
        hours = Decimal(str(data.hours))
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite() or not 0 <= hours <= MAX_HOURS:
        errors["hours"] = _l("Hours must be a number from 0 to 2000.")
    elif hours != hours.quantize(Decimal("0.01")):
        errors["hours"] = _l("Hours take at most two decimals.")
    if data.ended_on is not None and data.ended_on < data.started_on:
        errors["ended_on"] = _l("The end date cannot be before the start date.")
    if data.started_on > now().date():
        errors["started_on"] = _l("A training record cannot start in the future.")
    mediations = data.mediations
    if data.kind == TrainingKind.MEDIATIONS_CONDUCTED:
        if mediations is None or not 1 <= mediations <= MAX_MEDIATIONS:
            errors["mediations"] = _l("Give the number of mediations conducted.")
    else:
        mediations = None
    if errors:
        raise RecordInvalid(errors)
    return {
        "title": title,
        "provider": provider,
        "kind": TrainingKind(data.kind),
        "hours": hours,
        "started_on": data.started_on,
        "ended_on": data.ended_on,
        "mediations": mediations,
    }


def attach_evidence(record: EvidenceMixin, evidence: CheckedFile) -> str | None:
    """Store the file and point the record (or certification) at it; returns the key
    it replaces."""
    key = evidence.new_key()
    storage().put(key, evidence.data, evidence.content_type)
    previous = record.evidence_key
    record.evidence_key = key
    record.evidence_name = evidence.name
    record.evidence_content_type = evidence.content_type
    record.evidence_size = evidence.size
    record.evidence_sha256 = evidence.sha256
    return previous


def add_record(
    profile: MediatorProfile, data: RecordInput, evidence: CheckedFile | None = None
) -> TrainingRecord:
    """A new record of the profile, pending verification (the caller commits)."""
    record = TrainingRecord(profile_id=profile.id, **_checked(data))
    if evidence is not None:
        attach_evidence(record, evidence)
    db.session.add(record)
    return record


def update_record(
    record: TrainingRecord, data: RecordInput, evidence: CheckedFile | None = None
) -> str | None:
    """Change a record; it goes back to pending verification. Returns the key of the
    replaced evidence, to delete once the change is committed."""
    for name, value in _checked(data).items():
        setattr(record, name, value)
    replaced = attach_evidence(record, evidence) if evidence is not None else None
    reset_verification(record)
    return replaced


def replace_evidence(row: EvidenceMixin, evidence: CheckedFile) -> str | None:
    """New evidence for a record or a certification: it goes back to pending
    verification (what was checked is no longer what is shown). Returns the key of
    the replaced file, to delete once the change is committed. A revoked certification
    is kept as it was revoked."""
    if getattr(row, "is_revoked", False):
        raise RecordInvalid({"file": _l("A revoked certification is kept as is.")})
    replaced = attach_evidence(row, evidence)
    reset_verification(row)  # type: ignore[arg-type]  # both rows carry the two mixins
    return replaced


def delete_record(record: TrainingRecord) -> str | None:
    """Delete the record (the caller commits). Returns the key of its evidence, to
    delete once the deletion is committed."""
    key = record.evidence_key
    db.session.delete(record)
    return key


def reset_verification(record: VerificationMixin) -> None:
    record.verification_status = VerificationStatus.PENDING
    record.verification_reason = None
    record.verified_by_id = None
    record.verified_at = None
    record.verified_for_tenant_id = None


def records_of(profile_id: uuid.UUID) -> list[TrainingRecord]:
    return list(
        db.session.scalars(
            select(TrainingRecord)
            .where(TrainingRecord.profile_id == profile_id)
            .order_by(TrainingRecord.started_on.desc(), TrainingRecord.id)
        )
    )


def record_of(profile_id: uuid.UUID, record_id: uuid.UUID) -> TrainingRecord:
    """The profile's record; RecordNotFound for another profile's or a missing one."""
    record = db.session.get(TrainingRecord, record_id)
    if record is None or record.profile_id != profile_id:
        raise RecordNotFound(str(_l("This training record does not exist.")))
    return record


def set_verification(
    record: VerificationMixin,
    *,
    verified: bool,
    reason: str | None,
    by_user_id: uuid.UUID | None,
    for_tenant_id: uuid.UUID,
) -> None:
    """An affiliated center's administrator verifies or rejects (with a reason) a
    record or a certification; who, when and for which center are kept (`by_user_id`
    is None when the center's own API client acted, with no person behind it)."""
    reason = (reason or "").strip() or None
    if not verified and reason is None:
        raise RecordInvalid({"reason": _l("Say why the record is rejected.")})
    if reason is not None and len(reason) > 500:
        raise RecordInvalid({"reason": _l("The reason takes at most 500 characters.")})
    record.verification_status = (
        VerificationStatus.VERIFIED if verified else VerificationStatus.REJECTED
    )
    record.verification_reason = reason
    record.verified_by_id = by_user_id
    record.verified_at = now()
    record.verified_for_tenant_id = for_tenant_id
