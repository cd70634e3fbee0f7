"""The center's side of its mediators' files: read and verify the records of the
mediators it works with, through core.credentials.

A center reaches a mediator's file only through its own affiliation with them (the
ORM guard and row-level security keep affiliations to their center): without one, or
once it has ended, the file is missing (404), exactly like a file that does not exist.
Nor while the center's invitation to someone who already has their own profile awaits
their answer: otherwise a center could read anyone's file by typing their address.
"""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.credentials import certifications, records
from core.credentials.models import Certification, TrainingRecord
from core.db import db
from core.tenancy import current_tenant_id
from tenants.models import Affiliation, AffiliationStatus
from tenants.services.rules import NotFound


def affiliation_of(profile_id: uuid.UUID) -> Affiliation:
    """The current center's affiliation with the mediator unless it ended (to manage
    it: an invitation not yet accepted included), or NotFound."""
    found = db.session.scalar(
        select(Affiliation).where(
            Affiliation.profile_id == profile_id,
            Affiliation.status != AffiliationStatus.ENDED,
        )
    )
    if found is None:
        raise NotFound(str(_l("This mediator does not work with the center.")))
    return found


def file_is_open(affiliation: Affiliation) -> bool:
    """Whether the affiliation lets the center read the mediator's file: not once
    ended, nor while a mediator who has their own profile has not accepted it yet (a
    profile the center made itself, not yet claimed, is the center's to read)."""
    if affiliation.status == AffiliationStatus.ENDED:
        return False
    return not (affiliation.status == AffiliationStatus.INVITED and affiliation.profile.is_claimed)


def affiliation_with(profile_id: uuid.UUID) -> Affiliation:
    """The current center's affiliation through which it reads the mediator's file,
    or NotFound (see `file_is_open`)."""
    found = affiliation_of(profile_id)
    if not file_is_open(found):
        raise NotFound(str(_l("This mediator does not work with the center.")))
    return found


def center_records(profile_id: uuid.UUID) -> list[TrainingRecord]:
    """A mediator's training records, as a center they work with sees them."""
    affiliation_with(profile_id)
    return records.records_of(profile_id)


def center_certifications(profile_id: uuid.UUID) -> list[Certification]:
    """A mediator's certifications, as a center they work with sees them."""
    affiliation_with(profile_id)
    return certifications.certifications_of(profile_id)


def center_record(profile_id: uuid.UUID, record_id: uuid.UUID) -> TrainingRecord:
    """One record of a mediator the center works with (to show or download)."""
    affiliation_with(profile_id)
    try:
        return records.record_of(profile_id, record_id)
    except records.RecordNotFound:
        raise NotFound(str(_l("This training record does not exist."))) from None


def center_certification(profile_id: uuid.UUID, certification_id: uuid.UUID) -> Certification:
    """One certification of a mediator the center works with (to show or download)."""
    affiliation_with(profile_id)
    try:
        return certifications.certification_of(profile_id, certification_id)
    except certifications.CertificationNotFound:
        raise NotFound(str(_l("This certification does not exist."))) from None


def _tenant_id() -> uuid.UUID:
    tenant_id = current_tenant_id()
    assert tenant_id is not None  # affiliation_with found one in this center's scope
    return tenant_id


def verify_certification(
    profile_id: uuid.UUID,
    certification_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    verified: bool,
    reason: str | None = None,
) -> Certification:
    """Verify or reject one certification of a mediator the center works with."""
    certification = center_certification(profile_id, certification_id)
    records.set_verification(
        certification,
        verified=verified,
        reason=reason,
        by_user_id=actor_id,
        for_tenant_id=_tenant_id(),
    )
    return certification


def verify_record(
    profile_id: uuid.UUID,
    record_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    verified: bool,
    reason: str | None = None,
) -> TrainingRecord:
    """Verify or reject one record of a mediator the center works with."""
    record = center_record(profile_id, record_id)
    records.set_verification(
        record, verified=verified, reason=reason, by_user_id=actor_id, for_tenant_id=_tenant_id()
    )
    return record
