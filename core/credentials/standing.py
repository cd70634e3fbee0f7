"""A stored certification's standing: the compliance engine fed from the database.

The engine (core.credentials.compliance) is pure; this module reads the rows it
needs (the certification, its scheme's rules, the mediator's training records) and
maps them to the engine's values, so pages, jobs and the API ask one question.
"""

from __future__ import annotations

from datetime import date

from core.credentials.compliance import Assessment, CertificationFacts, Record, assess
from core.credentials.models import Certification, TrainingRecord
from core.credentials.records import records_of
from core.credentials.schemes import rules_of


def as_record(row: TrainingRecord) -> Record:
    return Record(
        kind=row.kind,
        hours=row.hours,
        day=row.ended_on or row.started_on,
        verified=row.is_verified,
        mediations=row.mediations or 0,
    )


def as_facts(row: Certification) -> CertificationFacts:
    return CertificationFacts(
        issued_on=row.issued_on,
        expires_on=row.expires_on,
        revoked=row.revoked_at is not None,
        verified=row.is_verified,
        stage=row.stage,
    )


def standing(certification: Certification, on: date) -> Assessment:
    """The certification's compliance on `on`, from the mediator's current records."""
    records = [as_record(r) for r in records_of(certification.profile_id)]
    return assess(records, as_facts(certification), rules_of(certification.scheme), on)
