"""Shared by the center's mediator page tests (and the standing tests' URL arguments):
mediators affiliated with centers, with records and certifications."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.credentials.models import Certification, MediatorProfile, TrainingRecord
from core.db import db
from core.files.checks import check_evidence
from core.files.storage import storage
from core.tenancy import tenant_scope
from tenants.models import Affiliation, AffiliationStatus
from tests.factories import (
    AffiliationFactory,
    CertificationFactory,
    MediatorProfileFactory,
    TrainingRecordFactory,
)

PDF = b"%PDF-1.7\n%%EOF\n"


def profile_of(user: Any) -> MediatorProfile:
    """`user`'s mediator profile, made if they have none (one per person)."""
    found = db.session.scalar(select(MediatorProfile).where(MediatorProfile.user_id == user.id))
    return found or MediatorProfileFactory(user=user)


def affiliated(tenant: Any, profile: MediatorProfile, **fields: Any) -> Affiliation:
    """The center's affiliation with the profile (active unless `status` says), made if
    it has none."""
    with tenant_scope(tenant.id):
        found = db.session.scalar(select(Affiliation).where(Affiliation.profile_id == profile.id))
    return found or AffiliationFactory(tenant=tenant, profile=profile, **fields)


def affiliated_profile_of(user: Any, tenant: Any) -> MediatorProfile:
    """`user`'s profile, affiliated (active) with `tenant`."""
    profile = profile_of(user)
    affiliated(tenant, profile)
    return profile


def record_of(user: Any) -> TrainingRecord:
    """A training record of `user`'s profile (the first, made if needed)."""
    profile = profile_of(user)
    found = db.session.scalar(
        select(TrainingRecord).where(TrainingRecord.profile_id == profile.id).limit(1)
    )
    return found or TrainingRecordFactory(profile=profile)


def certification_of(user: Any) -> Certification:
    profile = profile_of(user)
    found = db.session.scalar(
        select(Certification).where(Certification.profile_id == profile.id).limit(1)
    )
    return found or CertificationFactory(profile=profile)


def with_evidence(row: Any, name: str = "attestation.pdf") -> Any:
    """Give a record or a certification a stored PDF as evidence, as an upload would."""
    checked = check_evidence(name, PDF)
    row.evidence_key = checked.new_key()
    storage().put(row.evidence_key, checked.data, checked.content_type)
    row.evidence_name, row.evidence_content_type = checked.name, checked.content_type
    row.evidence_size, row.evidence_sha256 = checked.size, checked.sha256
    db.session.commit()
    return row


def ended(tenant: Any, profile: MediatorProfile) -> Affiliation:
    return AffiliationFactory(tenant=tenant, profile=profile, status=AffiliationStatus.ENDED)
