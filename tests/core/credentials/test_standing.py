"""A stored certification's standing comes from the mediator's stored records: what a
center verifies, or a mediator edits, changes it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.credentials.compliance import IssueCode, Status
from core.credentials.models import TrainingKind, VerificationStatus
from core.credentials.records import RecordInput, update_record
from core.credentials.standing import standing
from core.db import db
from tests.factories import CertificationFactory, MediatorProfileFactory, TrainingRecordFactory

VERIFIED = VerificationStatus.VERIFIED


def _record(profile, kind: TrainingKind, hours: str, day: date, status=VERIFIED):
    return TrainingRecordFactory(
        profile=profile,
        kind=kind,
        hours=Decimal(hours),
        started_on=day,
        ended_on=day,
        verification_status=status,
    )


def test_standing_follows_the_stored_records_of_an_ffcm_mediator(app):
    profile = MediatorProfileFactory()
    # The factory's scheme carries the seeded FFCM rules: 10 h training + 10 h
    # supervision each calendar year.
    certification = CertificationFactory(
        profile=profile, issued_on=date(2024, 6, 1), expires_on=None, verification_status=VERIFIED
    )
    _record(profile, TrainingKind.CONTINUING_EDUCATION, "10", date(2025, 3, 1))
    supervision = _record(
        profile, TrainingKind.SUPERVISION, "10", date(2025, 5, 1), VerificationStatus.PENDING
    )

    # Pending hours that would cover the year: a center has something to check.
    assert standing(certification, date(2026, 1, 1)).status == Status.UNVERIFIED
    supervision.verification_status = VERIFIED
    db.session.commit()
    assert standing(certification, date(2026, 1, 1)).status == Status.COMPLIANT

    # The mediator edits the record down: it goes back to pending, and is short.
    update_record(
        supervision,
        RecordInput(
            title=supervision.title,
            provider=supervision.provider,
            kind="supervision",
            hours="6",
            started_on=date(2025, 5, 1),
            ended_on=date(2025, 5, 1),
        ),
    )
    db.session.commit()
    assessment = standing(certification, date(2026, 1, 1))
    assert assessment.status == Status.HOURS_SHORT
    short = [i for i in assessment.issues if i.code == IssueCode.SHORTFALL]
    assert [(i.kinds, i.hours_due) for i in short] == [((TrainingKind.SUPERVISION,), 4)]


def test_a_revoked_certification_stands_revoked_whatever_the_records(app):
    from core.clock import now

    certification = CertificationFactory(revoked_at=now(), revoked_reason="Radiation")
    _record(certification.profile, TrainingKind.SUPERVISION, "40", date(2025, 5, 1))
    assert standing(certification, date(2025, 6, 1)).status == Status.REVOKED
