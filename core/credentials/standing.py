"""A stored certification's standing: the compliance engine fed from the database.

The engine (core.credentials.compliance) is pure; this module reads the rows it
needs (the certification, its scheme's rules, the mediator's training records) and
maps them to the engine's values, so pages, jobs and the API ask one question.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from core.credentials.compliance import Assessment, CertificationFacts, Record, assess
from core.credentials.models import Certification, TrainingRecord
from core.credentials.records import records_of
from core.credentials.schemes import rules_of
from core.db import db


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


def standing(
    certification: Certification, on: date, records: Iterable[TrainingRecord] | None = None
) -> Assessment:
    """The certification's compliance on `on`, from the mediator's current records
    (read here, or given: see `records_by_profile`)."""
    rows = records_of(certification.profile_id) if records is None else records
    return assess(
        [as_record(r) for r in rows], as_facts(certification), rules_of(certification.scheme), on
    )


def records_by_profile(profile_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[TrainingRecord]]:
    """The training records of many mediators in one query, for a list that asks for
    the standing of each one's certifications (a dashboard): one read, not one per
    certification."""
    found: dict[uuid.UUID, list[TrainingRecord]] = {pid: [] for pid in profile_ids}
    if found:
        query = select(TrainingRecord).where(TrainingRecord.profile_id.in_(list(found)))
        for row in db.session.scalars(query):
            found[row.profile_id].append(row)
    return found
