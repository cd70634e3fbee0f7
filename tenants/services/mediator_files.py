"""The center's side of its mediators' files: read and verify the records of the
mediators it works with, through core.credentials.

A center reaches a mediator's file only through its own affiliation with them (the
ORM guard and row-level security keep affiliations to their center): without one, or
once it has ended, the file is missing (404), exactly like a file that does not exist.
"""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.credentials import records
from core.credentials.models import TrainingRecord
from core.db import db
from core.tenancy import current_tenant_id
from tenants.models import Affiliation, AffiliationStatus
from tenants.services.rules import NotFound


def affiliation_with(profile_id: uuid.UUID) -> Affiliation:
    """The current center's live affiliation with the mediator, or NotFound."""
    found = db.session.scalar(
        select(Affiliation).where(
            Affiliation.profile_id == profile_id,
            Affiliation.status != AffiliationStatus.ENDED,
        )
    )
    if found is None:
        raise NotFound(str(_l("This mediator does not work with the center.")))
    return found


def center_records(profile_id: uuid.UUID) -> list[TrainingRecord]:
    """A mediator's training records, as a center they work with sees them."""
    affiliation_with(profile_id)
    return records.records_of(profile_id)


def verify_record(
    profile_id: uuid.UUID,
    record_id: uuid.UUID,
    *,
    actor_id: uuid.UUID,
    verified: bool,
    reason: str | None = None,
) -> TrainingRecord:
    """Verify or reject one record of a mediator the center works with."""
    affiliation_with(profile_id)
    try:
        record = records.record_of(profile_id, record_id)
    except records.RecordNotFound:
        raise NotFound(str(_l("This training record does not exist."))) from None
    tenant_id = current_tenant_id()
    assert tenant_id is not None  # affiliation_with found one in this center's scope
    records.set_verification(
        record, verified=verified, reason=reason, by_user_id=actor_id, for_tenant_id=tenant_id
    )
    return record
