"""The center's mediators as a list: its affiliations, page by page, each with a
summary of the mediator's compliance, for the API and any export.

A page is ordered by when the affiliation was made (then its id), so a cursor holding
the last row's (created_at, id) gives the next page even as mediators are added. The
ORM guard and row-level security keep the affiliations to the current center; an ended
affiliation is listed only when asked for. One that opens no file (ended, or an
invitation not yet accepted: tenants.services.mediator_files) has no compliance
summary.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select

from core.credentials.compliance.model import Status, worst
from core.credentials.models import Certification, TrainingRecord, VerificationStatus
from core.credentials.standing import records_by_profile, standing
from core.db import db
from tenants.models import Affiliation, AffiliationStatus
from tenants.services.mediator_files import file_is_open


@dataclass(frozen=True)
class CertificationStanding:
    id: uuid.UUID
    scheme_code: str
    status: Status
    valid_until: date | None


@dataclass(frozen=True)
class ComplianceSummary:
    """`status` is the worst of the mediator's certifications (None: they have none)."""

    status: Status | None
    certifications: list[CertificationStanding]
    pending_verifications: int  # records and certifications awaiting a center's check


def affiliation_page(
    status: AffiliationStatus | None, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> tuple[list[Affiliation], tuple[datetime, uuid.UUID] | None]:
    """One page of the center's affiliations (all but ended ones unless `status` says),
    and the sort key to pass as `after` for the next page (None on the last)."""
    query = select(Affiliation).order_by(Affiliation.created_at, Affiliation.id)
    if status is None:
        query = query.where(Affiliation.status != AffiliationStatus.ENDED)
    else:
        query = query.where(Affiliation.status == status)
    if after is not None:
        created_at, last_id = after
        query = query.where(
            or_(
                Affiliation.created_at > created_at,
                and_(Affiliation.created_at == created_at, Affiliation.id > last_id),
            )
        )
    rows = list(db.session.scalars(query.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, (rows[-1].created_at, rows[-1].id)


def compliance_summaries(
    affiliations: list[Affiliation], on: date
) -> dict[uuid.UUID, ComplianceSummary | None]:
    """Each affiliation's compliance summary on `on`, by affiliation id: None while the
    affiliation opens no file (ended, or an invitation not yet accepted). The listed
    mediators' certifications and records are read in two queries, whatever the page."""
    open_ids = [a.profile_id for a in affiliations if file_is_open(a)]
    records = records_by_profile(open_ids)
    held: dict[uuid.UUID, list[Certification]] = {pid: [] for pid in open_ids}
    if held:
        query = (
            select(Certification)
            .where(Certification.profile_id.in_(list(held)))
            .order_by(Certification.issued_on.desc(), Certification.id)
        )
        for certification in db.session.scalars(query):
            held[certification.profile_id].append(certification)
    return {
        a.id: _summary(held[a.profile_id], records[a.profile_id], on)
        if a.profile_id in held
        else None
        for a in affiliations
    }


def compliance_summary(affiliation: Affiliation, on: date) -> ComplianceSummary | None:
    """One affiliation's compliance summary (see `compliance_summaries`)."""
    return compliance_summaries([affiliation], on)[affiliation.id]


def _summary(
    held: list[Certification], records: list[TrainingRecord], on: date
) -> ComplianceSummary:
    standings = []
    for certification in held:
        assessment = standing(certification, on, records)
        standings.append(
            CertificationStanding(
                certification.id,
                certification.scheme.code,
                assessment.status,
                assessment.valid_until,
            )
        )
    pending = sum(
        1 for row in [*held, *records] if row.verification_status == VerificationStatus.PENDING
    )
    overall = worst(s.status for s in standings) if standings else None
    return ComplianceSummary(overall, standings, pending)
