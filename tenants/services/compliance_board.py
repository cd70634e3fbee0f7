"""The center's compliance dashboard: one row per (mediator, certification), and one per
mediator holding none, filtered; and its CSV export.

Only mediators whose file the center reads appear (tenants.services.mediator_files):
an ended affiliation, or an invitation not yet accepted, shows nothing of the file.
Compliance is `core.credentials.standing`'s, in the reader's language. Neither a row nor
the export holds anything of the affiliation but its status: the center's rate and
internal notes stay on its own pages, out of every export.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.credentials.compliance import Status
from core.credentials.compliance.model import ZERO, worst
from core.credentials.compliance.wording import describe
from core.credentials.models import (
    Certification,
    CertificationScheme,
    TrainingRecord,
    VerificationStatus,
)
from core.credentials.standing import records_by_profile, standing
from core.db import db
from tenants.models import Affiliation, AffiliationStatus
from tenants.services.affiliations import readable_affiliations

NO_CERTIFICATION = "none"  # the status filter's value for mediators holding none
MAX_SEARCH = 100


@dataclass(frozen=True)
class Filters:
    status: str | None = None  # a Status value, or NO_CERTIFICATION
    scheme: str | None = None  # a scheme code
    affiliation: AffiliationStatus | None = None
    search: str | None = None  # part of the mediator's name, accents and case ignored


@dataclass(frozen=True)
class BoardRow:
    profile_id: uuid.UUID
    name: str
    claimed: bool
    affiliation_status: AffiliationStatus
    certification: Certification | None = None
    status: Status | None = None  # None: no certification
    valid_until: date | None = None
    hours_due: Decimal = ZERO
    hours_sentences: tuple[str, ...] = ()  # the hours still due, in words
    sentences: tuple[str, ...] = field(default=())  # every issue, in words

    @property
    def scheme(self) -> CertificationScheme | None:
        return self.certification.scheme if self.certification else None

    @property
    def verification(self) -> VerificationStatus | None:
        return self.certification.verification_status if self.certification else None


def fold(text: str) -> str:
    """Lower case without accents: "Hélène" matches "helene"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def scheme_choices() -> list[tuple[str, str]]:
    """Every scheme of the catalogue (a deactivated one may still be held): (code, name)."""
    rows = db.session.execute(
        select(CertificationScheme.code, CertificationScheme.name).order_by(
            CertificationScheme.name, CertificationScheme.code
        )
    )
    return [(code, name) for code, name in rows]


def _rows_of(
    affiliation: Affiliation,
    held: list[Certification],
    records: list[TrainingRecord],
    on: date,
    locale: str,
) -> list[BoardRow]:
    profile = affiliation.profile
    base = {
        "profile_id": profile.id,
        "name": profile.display_name,
        "claimed": profile.is_claimed,
        "affiliation_status": affiliation.status,
    }
    if not held:
        return [BoardRow(**base)]
    rows = []
    for certification in held:
        assessment = standing(certification, on, records)
        rows.append(
            BoardRow(
                **base,
                certification=certification,
                status=assessment.status,
                valid_until=assessment.valid_until or certification.expires_on,
                hours_due=assessment.hours_due,
                hours_sentences=tuple(
                    describe(issue, locale) for issue in assessment.issues if issue.hours_due
                ),
                sentences=tuple(describe(issue, locale) for issue in assessment.issues),
            )
        )
    return rows


def board(on: date, locale: str, filters: Filters = Filters()) -> list[BoardRow]:
    """The dashboard's rows on `on`, by mediator name then scheme name."""
    affiliations = readable_affiliations()
    if filters.affiliation is not None:
        affiliations = [a for a in affiliations if a.status == filters.affiliation]
    if filters.search:
        needle = fold(filters.search.strip())
        affiliations = [a for a in affiliations if needle in fold(a.profile.display_name)]
    held: dict[uuid.UUID, list[Certification]] = {a.profile_id: [] for a in affiliations}
    if held:
        query = (
            select(Certification)
            .where(Certification.profile_id.in_(list(held)))
            .order_by(Certification.issued_on.desc(), Certification.id)
        )
        for certification in db.session.scalars(query):
            held[certification.profile_id].append(certification)
    records = records_by_profile(held)
    rows: list[BoardRow] = []
    for affiliation in affiliations:
        certifications = held[affiliation.profile_id]
        if filters.scheme is not None:
            certifications = [c for c in certifications if c.scheme.code == filters.scheme]
            if not certifications:
                continue
        rows.extend(
            _rows_of(affiliation, certifications, records[affiliation.profile_id], on, locale)
        )
    if filters.status == NO_CERTIFICATION:
        rows = [r for r in rows if r.certification is None]
    elif filters.status is not None:
        rows = [r for r in rows if r.status is not None and r.status.value == filters.status]
    return sorted(
        rows, key=lambda r: (fold(r.name), str(r.profile_id), r.scheme.name if r.scheme else "")
    )


def worst_by_mediator(rows: Iterable[BoardRow]) -> dict[uuid.UUID, Status | None]:
    """Each mediator's worst status over their certifications (None: they hold none)."""
    found: dict[uuid.UUID, list[Status]] = {}
    for row in rows:
        found.setdefault(row.profile_id, [])
        if row.status is not None:
            found[row.profile_id].append(row.status)
    return {pid: worst(statuses) if statuses else None for pid, statuses in found.items()}


# --- the export --------------------------------------------------------------------------

# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading apostrophe before a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Columns:
    """The export's headings and how to label its values, in the reader's language."""

    headings: list[str]
    status_label: Callable[[Status | None], str]
    verification_label: Callable[[VerificationStatus | None], str]
    affiliation_label: Callable[[AffiliationStatus], str]
    claimed_label: Callable[[bool], str]
    hours: Callable[[Decimal], str]


def export_csv(rows: list[BoardRow], columns: Columns, delimiter: str = ",") -> bytes:
    """The rows as CSV: UTF-8 with a byte-order mark (Excel then reads the accents),
    dates in ISO 8601, every cell formula-safe. No rate, no internal notes."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in columns.headings])
    for row in rows:
        scheme = row.scheme
        cells = [
            row.name,
            columns.affiliation_label(row.affiliation_status),
            columns.claimed_label(row.claimed),
            scheme.name if scheme else "",
            scheme.code if scheme else "",
            row.certification.number if row.certification else "",
            row.valid_until.isoformat() if row.valid_until else "",
            columns.status_label(row.status),
            columns.hours(row.hours_due) if row.certification else "",
            " ".join(row.hours_sentences),
            columns.verification_label(row.verification) if row.certification else "",
        ]
        writer.writerow([safe_cell(c) for c in cells])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
