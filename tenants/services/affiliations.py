"""The center's mediators: its affiliations, their management, and the verification of
the records and certifications of the mediators it works with.

Everything runs in the request's tenant scope: the ORM guard and row-level security
keep affiliations (their rate and internal notes) to their center. The mediator's file
is reached only through `mediator_files`, so an ended affiliation, or an invitation the
mediator has not accepted, opens nothing (404).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import audit
from core.billing import seats
from core.credentials.models import (
    Certification,
    MediatorProfile,
    TrainingRecord,
    VerificationStatus,
)
from core.credentials.profiles import MAX_RATE
from core.db import db
from tenants.models import Affiliation, AffiliationStatus
from tenants.services import mediator_files
from tenants.services.rules import FieldError

MAX_NOTES = 5000

# Where an affiliation may go from each status. The center does not accept an
# invitation on behalf of someone who has their own profile: only their link does.
TRANSITIONS: dict[AffiliationStatus, tuple[AffiliationStatus, ...]] = {
    AffiliationStatus.INVITED: (AffiliationStatus.ACTIVE, AffiliationStatus.ENDED),
    AffiliationStatus.ACTIVE: (AffiliationStatus.SUSPENDED, AffiliationStatus.ENDED),
    AffiliationStatus.SUSPENDED: (AffiliationStatus.ACTIVE, AffiliationStatus.ENDED),
    AffiliationStatus.ENDED: (),
}


def allowed_statuses(affiliation: Affiliation) -> list[AffiliationStatus]:
    """The affiliation's status and those it may move to, in the enum's order."""
    targets = set(TRANSITIONS[affiliation.status])
    if affiliation.status == AffiliationStatus.INVITED and affiliation.profile.is_claimed:
        targets.discard(AffiliationStatus.ACTIVE)
    return [s for s in AffiliationStatus if s == affiliation.status or s in targets]


# --- the list ------------------------------------------------------------------------------


def center_affiliations() -> tuple[list[Affiliation], list[Affiliation]]:
    """The center's affiliations, by mediator name: current ones, and ended ones."""
    rows = db.session.scalars(
        select(Affiliation)
        .join(MediatorProfile, MediatorProfile.id == Affiliation.profile_id)
        .order_by(func.lower(MediatorProfile.display_name), Affiliation.id)
    ).all()
    current = [a for a in rows if a.status != AffiliationStatus.ENDED]
    ended = [a for a in rows if a.status == AffiliationStatus.ENDED]
    return current, ended


# --- changing an affiliation ---------------------------------------------------------------


@dataclass(frozen=True)
class AffiliationChange:
    status: str
    rate_eur: str | None
    internal_notes: str | None
    published: bool


def parse_rate(value: str | None) -> Decimal | None:
    """A rate in euros as people type it ("150", "150.50", "150,50"), or None when empty;
    ValueError when it is not an amount from 0 to MAX_RATE with two decimals at most."""
    text = (value or "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not rate.is_finite() or not 0 <= rate <= MAX_RATE or rate != rate.quantize(Decimal("0.01")):
        raise ValueError(text)
    return rate.quantize(Decimal("0.01"))


def _check_consent(affiliation: Affiliation) -> None:
    if not affiliation.profile.listed_publicly:
        raise FieldError(
            "published",
            _l(
                "%(name)s has not agreed to be listed publicly: they give their consent in "
                "their own profile.",
                name=affiliation.profile.display_name,
            ),
        )


def update_affiliation(
    profile_id: uuid.UUID, change: AffiliationChange
) -> tuple[Affiliation, list[str]]:
    """Apply the center's changes to its affiliation with the mediator; commits.
    Returns the affiliation and the names of the fields that changed. FieldError for a
    move the status cannot make, a wrong rate, notes too long, or publishing without the
    mediator's consent or an active affiliation."""
    affiliation = mediator_files.affiliation_of(profile_id)
    try:
        status = AffiliationStatus(change.status)
    except ValueError:
        raise FieldError("status", _l("Choose a status from the list.")) from None
    if status not in allowed_statuses(affiliation):
        if affiliation.status == AffiliationStatus.INVITED and status == AffiliationStatus.ACTIVE:
            message = _l(
                "%(name)s has their own profile: the affiliation becomes active when they "
                "accept the invitation from the link they received.",
                name=affiliation.profile.display_name,
            )
        else:
            message = _l("This status cannot follow the current one.")
        raise FieldError("status", message)
    try:
        rate = parse_rate(change.rate_eur)
    except ValueError:
        raise FieldError(
            "rate_eur", _l("Give an amount in euros from 0 to 10,000, two decimals at most.")
        ) from None
    notes = (change.internal_notes or "").strip() or None
    if notes is not None and len(notes) > MAX_NOTES:
        raise FieldError(
            "internal_notes", _l("The notes take at most %(max)d characters.", max=MAX_NOTES)
        )
    published = change.published
    if published and status != AffiliationStatus.ACTIVE:
        if not affiliation.published:
            raise FieldError(
                "published", _l("Only a mediator with an active affiliation can be published.")
            )
        published = False  # suspended or ended: off the marketplace at once
    elif published and not affiliation.published:
        _check_consent(affiliation)
    values = {"status": status, "rate_eur": rate, "internal_notes": notes, "published": published}
    changed = [name for name, value in values.items() if getattr(affiliation, name) != value]
    if not changed:
        return affiliation, []
    previous = affiliation.status
    for name in changed:
        setattr(affiliation, name, values[name])
    details: dict[str, object] = {
        "name": affiliation.profile.display_name,
        "profile_id": str(profile_id),
        "fields": changed,
    }
    if "status" in changed:
        details |= {"from": previous.value, "to": status.value}
    # The audit row names what changed, never the notes or the rate themselves.
    audit.record(
        "affiliation.ended" if status == AffiliationStatus.ENDED else "affiliation.updated",
        object_type="affiliation",
        object_id=affiliation.id,
        details=details,
    )
    if "status" in changed:
        seats.seats_changed(affiliation.tenant_id)  # an ended affiliation frees its seat
    db.session.commit()
    return affiliation, changed


# --- verification ------------------------------------------------------------------------

Kind = Literal["record", "certification"]


@dataclass(frozen=True)
class Pending:
    """A record or a certification awaiting the center's check."""

    kind: Kind
    row: TrainingRecord | Certification
    affiliation: Affiliation

    @property
    def profile(self) -> MediatorProfile:
        return self.affiliation.profile


def readable_affiliations() -> list[Affiliation]:
    """The center's affiliations that open the mediator's file, by mediator name."""
    current, _ended = center_affiliations()
    return [a for a in current if mediator_files.file_is_open(a)]


def pending_verifications() -> list[Pending]:
    """Pending records and certifications of the mediators whose file the center reads,
    oldest first within each mediator."""
    by_profile = {a.profile_id: a for a in readable_affiliations()}
    if not by_profile:
        return []
    ids = list(by_profile)
    pending = VerificationStatus.PENDING
    found: list[Pending] = []
    for row in db.session.scalars(
        select(Certification)
        .where(Certification.profile_id.in_(ids), Certification.verification_status == pending)
        .order_by(Certification.created_at, Certification.id)
    ):
        if not row.is_revoked:
            found.append(Pending("certification", row, by_profile[row.profile_id]))
    for row in db.session.scalars(
        select(TrainingRecord)
        .where(TrainingRecord.profile_id.in_(ids), TrainingRecord.verification_status == pending)
        .order_by(TrainingRecord.created_at, TrainingRecord.id)
    ):
        found.append(Pending("record", row, by_profile[row.profile_id]))
    order = {profile_id: n for n, profile_id in enumerate(ids)}
    return sorted(found, key=lambda p: order[p.row.profile_id])


def decide(
    kind: Kind,
    profile_id: uuid.UUID,
    item_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None,
    verified: bool,
    reason: str | None = None,
) -> TrainingRecord | Certification:
    """Verify, or reject with a reason, one record or certification of a mediator the
    center works with; audited and committed. NotFound for anything else, RecordInvalid
    (on "reason") for a rejection without one."""
    verify = (
        mediator_files.verify_record if kind == "record" else mediator_files.verify_certification
    )
    row = verify(profile_id, item_id, actor_id=actor_id, verified=verified, reason=reason)
    affiliation = mediator_files.affiliation_with(profile_id)
    audit.record(
        f"{kind}.{'verified' if verified else 'rejected'}",
        object_type=kind,
        object_id=row.id,
        details={
            "name": affiliation.profile.display_name,
            "profile_id": str(profile_id),
            "title": row.title if isinstance(row, TrainingRecord) else row.scheme.name,
            **({} if verified else {"reason": row.verification_reason}),
        },
    )
    db.session.commit()
    return row
