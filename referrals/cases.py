"""Referred cases: a partner sends one to a center, the center runs it to its outcome.

No Flask request objects here: the API and the pages call these functions inside the
caller's scope (core.tenancy). A partner reads its cases in its own scope (no center:
the rows whose `partner_id` is its own); a case is written in its center's scope, which
`_in_center` opens for the partner's two writes (sending and cancelling), so that the
ORM guard and row-level security check every write against the center it lands in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from core import audit
from core.credentials.models import MODES, SPECIALTIES, MediatorProfile
from core.credentials.profiles import languages
from core.db import db, utcnow
from core.errors import Conflict, DomainError
from core.tenancy import current_scope, tenant_scope
from marketplace.vocabulary import fold
from referrals import lifecycle, signals
from referrals.models import (
    Outcome,
    PartyRole,
    Referral,
    ReferralEvent,
    ReferralParty,
    ReferralStatus,
    Urgency,
)
from tenants.models import AffiliationStatus, Tenant
from tenants.services import centers, mediator_files, sandbox
from tenants.services.rules import FieldError, NotFound

MAX_PARTIES = 20
MAX_SUMMARY = 10_000
MIN_OVERRIDE_REASON = 10
PARTY_ROLES = frozenset(r.value for r in PartyRole)


class ReferralInvalid(DomainError):
    """Input refused, each field with its message (422)."""

    status = 422
    code = "invalid-referral"

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(str(_l("The referral could not be saved: see each field.")))
        self.errors = errors


class ConflictOfInterest(Conflict):
    code = "conflict-of-interest"


@dataclass(frozen=True)
class PartyInput:
    name: str
    role: str
    email: str | None = None
    phone: str | None = None
    lawyer: str | None = None


@dataclass(frozen=True)
class ReferralInput:
    center: str  # the center's id or slug
    dispute_type: str
    summary: str
    language: str
    parties: list[PartyInput]
    parties_informed: bool
    contact_consent: bool
    urgency: str = Urgency.STANDARD.value
    reference: str | None = None
    amount_eur: Decimal | None = None
    preferred_mode: str | None = None
    preferred_mediator_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Actor:
    """Who moves a case: "partner", "center" or "system", and the person if any."""

    kind: str
    user_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ConflictHit:
    referral_id: uuid.UUID
    reference: str | None
    created_at: datetime
    party: str
    matched_on: str  # "name" or "email"

    def describe(self) -> str:
        case = self.reference or str(self.referral_id)
        return str(
            _l(
                "case %(case)s of %(day)s (party %(party)s, same %(what)s)",
                case=case,
                day=self.created_at.date().isoformat(),
                party=self.party,
                what=_l("name") if self.matched_on == "name" else _l("email"),
            )
        )


@dataclass
class Page:
    items: list[Referral]
    last: tuple[datetime, uuid.UUID] | None = None
    events: dict[uuid.UUID, list[ReferralEvent]] = field(default_factory=dict)


# --- sending ------------------------------------------------------------------------------


def _center(ref: str, *, test: bool) -> Tenant:
    """The center a case is sent to; a test client's cases all go to the sandbox, which
    takes no other."""
    if test:
        return sandbox.sandbox_center()[0]
    try:
        center = centers.find_live_center_by_id(uuid.UUID(ref))
    except ValueError:
        center = centers.find_live_center(ref)
    if center is None or sandbox.is_sandbox(center):
        raise FieldError("center", _l("No center has this id or slug."))
    if not center.accepts_referrals:
        raise FieldError("center", _l("This center does not accept referrals at the moment."))
    return center


def _checked(data: ReferralInput) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if data.dispute_type not in SPECIALTIES:
        errors["dispute_type"] = _l("Choose a dispute type from the list.")
    if data.language not in languages():
        errors["language"] = _l("Give a language as a two-letter ISO 639-1 code.")
    if data.preferred_mode is not None and data.preferred_mode not in MODES:
        errors["preferred_mode"] = _l("Choose a mode from the list.")
    if data.urgency not in {u.value for u in Urgency}:
        errors["urgency"] = _l("Choose an urgency from the list.")
    if not data.summary.strip() or len(data.summary) > MAX_SUMMARY:
        errors["summary"] = _l("Describe the case in 1 to %(max)d characters.", max=MAX_SUMMARY)
    if data.amount_eur is not None and data.amount_eur < 0:
        errors["amount_eur"] = _l("The amount at stake cannot be negative.")
    if not 1 <= len(data.parties) <= MAX_PARTIES:
        errors["parties"] = _l("Name 1 to %(max)d parties.", max=MAX_PARTIES)
    elif any(not p.name.strip() or p.role not in PARTY_ROLES for p in data.parties):
        errors["parties"] = _l("Each party needs a name and a role from the list.")
    if not data.parties_informed:
        errors["parties_informed"] = _l("The parties must have been told of the referral.")
    if not data.contact_consent:
        errors["contact_consent"] = _l("The parties must agree to be contacted by the center.")
    return errors


def _event(
    referral: Referral, kind: str, actor: Actor, details: dict[str, Any] | None = None
) -> ReferralEvent:
    referral.steps = (referral.steps or 0) + 1
    event = ReferralEvent(
        # Given now rather than at the flush: the signal's subscribers read them.
        id=uuid.uuid4(),
        created_at=utcnow(),
        position=referral.steps,
        tenant_id=referral.tenant_id,
        partner_id=referral.partner_id,
        referral_id=referral.id,
        kind=kind,
        status=referral.status,
        actor=actor.kind,
        actor_user_id=actor.user_id,
        details=details or {},
    )
    db.session.add(event)
    signals.case_moved.send(referral, event=event)
    return event


@contextmanager
def _in_center(tenant_id: uuid.UUID) -> Iterator[None]:
    """Write a case in its center's scope, the partner still known to the scope."""
    with tenant_scope(tenant_id):
        yield
        db.session.flush()


def send(
    data: ReferralInput,
    *,
    partner_id: uuid.UUID,
    client_id: str | None,
    actor: Actor,
    test: bool = False,
) -> Referral:
    """A partner's new case, addressed to a live center that accepts referrals (a test
    client's, to the sandbox center whatever it names)."""
    errors = _checked(data)
    try:
        center = _center(data.center, test=test)
    except FieldError as refused:
        errors["center"] = refused.message
        center = None
    if errors:
        raise ReferralInvalid(errors)
    assert center is not None
    now = utcnow()
    with _in_center(center.id):
        if data.preferred_mediator_id is not None and not _works_here(data.preferred_mediator_id):
            raise ReferralInvalid(
                {"preferred_mediator_id": _l("This mediator does not work with the center.")}
            )
        referral = Referral(
            id=uuid.uuid4(),
            tenant_id=center.id,
            partner_id=partner_id,
            client_id=client_id,
            created_by_id=actor.user_id,
            reference=(data.reference or "").strip() or None,
            dispute_type=data.dispute_type,
            summary=data.summary.strip(),
            amount_eur=data.amount_eur,
            urgency=Urgency(data.urgency),
            language=data.language,
            preferred_mode=data.preferred_mode,
            preferred_profile_id=data.preferred_mediator_id,
            parties_informed_at=now,
            contact_consented_at=now,
            status=ReferralStatus.SUBMITTED,
        )
        referral.center = center
        referral.parties = [
            ReferralParty(
                tenant_id=center.id,
                partner_id=partner_id,
                position=i,
                name=p.name.strip(),
                name_folded=_folded_name(p.name),
                role=PartyRole(p.role),
                email=p.email.strip().lower() if p.email else None,
                phone=p.phone,
                lawyer=p.lawyer,
            )
            for i, p in enumerate(data.parties)
        ]
        db.session.add(referral)
        _event(referral, "created", actor)
    return referral


def _folded_name(name: str) -> str:
    return " ".join(fold(name).split())


def _works_here(profile_id: uuid.UUID) -> bool:
    try:
        return mediator_files.affiliation_of(profile_id).status == AffiliationStatus.ACTIVE
    except NotFound:
        return False


# --- reading ------------------------------------------------------------------------------


def get(referral_id: uuid.UUID) -> Referral:
    """A case the current scope may read (its center's, or its partner's), else 404."""
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(str(_l("No such referral.")))
    return referral


def read_case(referral_id: uuid.UUID, actor: Actor) -> Referral:
    """A case with its confidential fields (summary, parties): the read is audited in the
    center's log, whoever reads it."""
    referral = get(referral_id)
    with _in_center(referral.tenant_id):
        audit.record(
            "referral.read",
            object_type="referral",
            object_id=referral.id,
            details={"by": actor.kind, "partner_id": str(referral.partner_id)},
            actor_id=actor.user_id,
        )
    return referral


def timeline(referral_id: uuid.UUID) -> list[ReferralEvent]:
    referral = get(referral_id)
    return list(
        db.session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral.id)
            .order_by(ReferralEvent.position)
        )
    )


def page(
    *,
    statuses: list[str] | None,
    created_after: datetime | None,
    created_before: datetime | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> Page:
    """The scope's cases, newest first (a partner's own, or those sent to the center)."""
    query = (
        select(Referral)
        .options(selectinload(Referral.center))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    )
    if statuses:
        query = query.where(Referral.status.in_([ReferralStatus(s) for s in statuses]))
    if created_after is not None:
        query = query.where(Referral.created_at >= created_after)
    if created_before is not None:
        query = query.where(Referral.created_at < created_before)
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(Referral.created_at < at, and_(Referral.created_at == at, Referral.id < last_id))
        )
    rows = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, (rows[-1].created_at, rows[-1].id) if more and rows else None)


def public_mediator_name(profile_id: uuid.UUID | None) -> str | None:
    """The mediator's name as the marketplace shows it (never their contact details)."""
    profile = db.session.get(MediatorProfile, profile_id) if profile_id else None
    return profile.display_name if profile is not None else None


# --- moving -------------------------------------------------------------------------------


def _move(
    referral: Referral,
    step_name: str,
    actor: Actor,
    details: dict[str, Any] | None = None,
    **changes: Any,
) -> Referral:
    """Take a step. The new status and the step's `changes` to the case are set before
    the step's signal, whose subscribers (the webhook outbox) read the case as it is
    after the step."""
    step = lifecycle.check(step_name, referral.status)
    if step.actor != actor.kind:
        raise NotFound(str(_l("No such referral.")))
    referral.status = step.target
    for name, value in changes.items():
        setattr(referral, name, value)
    _event(referral, step_name, actor, details)
    return referral


def cancel(referral_id: uuid.UUID, actor: Actor) -> Referral:
    """The partner withdraws its case before the center accepts it."""
    referral = get(referral_id)
    with _in_center(referral.tenant_id):
        return _move(referral, "cancel", actor)


def _center_case(referral_id: uuid.UUID) -> Referral:
    if current_scope().tenant_id is None:  # a partner never moves a center's step
        raise NotFound(str(_l("No such referral.")))
    return get(referral_id)


def acknowledge(referral_id: uuid.UUID, actor: Actor) -> Referral:
    return _move(_center_case(referral_id), "acknowledge", actor)


def accept(referral_id: uuid.UUID, actor: Actor) -> Referral:
    return _move(_center_case(referral_id), "accept", actor)


def decline(referral_id: uuid.UUID, reason: str, actor: Actor) -> Referral:
    reason = reason.strip()
    if not 1 <= len(reason) <= 1000:
        raise FieldError("reason", _l("Give the partner a reason of 1 to 1,000 characters."))
    referral = _center_case(referral_id)
    return _move(referral, "decline", actor, {"reason": reason}, decline_reason=reason)


def conflicts(referral: Referral, profile_id: uuid.UUID) -> list[ConflictHit]:
    """The center's other cases of this mediator with a party of the same name (folded)
    or email as one of this case's parties."""
    names = {p.name_folded for p in referral.parties}
    emails = {p.email for p in referral.parties if p.email}
    matches = [ReferralParty.name_folded.in_(names)]
    if emails:
        matches.append(ReferralParty.email.in_(emails))
    rows = db.session.execute(
        select(Referral.id, Referral.reference, Referral.created_at, ReferralParty)
        .join(ReferralParty, ReferralParty.referral_id == Referral.id)
        .where(
            Referral.mediator_profile_id == profile_id,
            Referral.id != referral.id,
            or_(*matches),
        )
        .order_by(Referral.created_at, ReferralParty.position)
    )
    found: dict[uuid.UUID, ConflictHit] = {}
    for referral_id, reference, created_at, party in rows:
        on = "name" if party.name_folded in names else "email"
        hit = ConflictHit(referral_id, reference, created_at, party.name, on)
        found.setdefault(referral_id, hit)
    return list(found.values())


def assign(
    referral_id: uuid.UUID, profile_id: uuid.UUID, actor: Actor, *, override_reason: str | None
) -> Referral:
    """Give the case to one of the center's active mediators, after the conflict-of-
    interest check: a hit refuses it (409, the matching cases named) unless the center
    overrides with a reason, which its audit log keeps."""
    referral = _center_case(referral_id)
    lifecycle.check("assign", referral.status)
    if not _works_here(profile_id):
        raise FieldError("mediator_id", _l("This mediator does not work with the center."))
    hits = conflicts(referral, profile_id)
    reason = (override_reason or "").strip()
    if hits and len(reason) < MIN_OVERRIDE_REASON:
        cases = "; ".join(hit.describe() for hit in hits)
        raise ConflictOfInterest(
            str(
                _l(
                    "Possible conflict of interest: this mediator handled %(cases)s. "
                    "To assign them anyway, give a reason of at least %(min)d characters.",
                    cases=cases,
                    min=MIN_OVERRIDE_REASON,
                )
            )
        )
    if hits:
        audit.record(
            "referral.conflict_overridden",
            object_type="referral",
            object_id=referral.id,
            details={
                "mediator_id": str(profile_id),
                "reason": reason[:1000],
                "cases": [str(hit.referral_id) for hit in hits],
            },
            actor_id=actor.user_id,
        )
    referral.mediator_profile_id = profile_id
    return _move(referral, "assign", actor, {"mediator": public_mediator_name(profile_id)})


def schedule(referral_id: uuid.UUID, at: datetime, actor: Actor) -> Referral:
    if at.tzinfo is None:
        raise FieldError("scheduled_at", _l("Give the date and time with its time zone."))
    referral = _center_case(referral_id)
    return _move(referral, "schedule", actor, {"scheduled_at": at.isoformat()}, scheduled_at=at)


def record_outcome(referral_id: uuid.UUID, outcome: str, actor: Actor) -> Referral:
    if outcome not in {o.value for o in Outcome}:
        raise FieldError("outcome", _l("Choose an outcome from the list."))
    referral = _center_case(referral_id)
    return _move(referral, "record_outcome", actor, {"outcome": outcome}, outcome=Outcome(outcome))


def close(referral_id: uuid.UUID, actor: Actor) -> Referral:
    return _move(_center_case(referral_id), "close", actor)


def count_open() -> int:
    """The scope's cases still in progress (dashboards)."""
    return db.session.scalar(
        select(func.count()).select_from(Referral).where(Referral.status.in_(lifecycle.OPEN))
    )


# --- pages (the center's inbox, the partner's portal) -------------------------------------

LIST_PAGE_SIZE = 25


@dataclass(frozen=True)
class Listing:
    items: list[Referral]
    page: int
    pages: int
    counts: dict[str, int]  # every status, with the number of cases in it


def status_counts(*, assigned_to: uuid.UUID | None = None) -> dict[str, int]:
    """The number of the scope's cases in each status (every status named, 0 or more);
    with `assigned_to`, of the cases assigned to that mediator only."""
    query = select(Referral.status, func.count()).group_by(Referral.status)
    if assigned_to is not None:
        query = query.where(Referral.mediator_profile_id == assigned_to)
    counts = {status.value: 0 for status in ReferralStatus}
    for status, number in db.session.execute(query):
        counts[ReferralStatus(status).value] = number
    return counts


def listing(
    status: ReferralStatus | None = None, page: int = 1, *, assigned_to: uuid.UUID | None = None
) -> Listing:
    """One page of the scope's cases, newest first, optionally of one status (and only
    those assigned to a mediator), with the count of each status."""
    counts = status_counts(assigned_to=assigned_to)
    query = select(Referral).options(selectinload(Referral.center))  # the pages name it
    if assigned_to is not None:
        query = query.where(Referral.mediator_profile_id == assigned_to)
    if status is not None:
        query = query.where(Referral.status == status)
    total = counts[status.value] if status is not None else sum(counts.values())
    pages = max(1, -(-total // LIST_PAGE_SIZE))
    page = min(max(1, page), pages)
    items = db.session.scalars(
        query.order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(LIST_PAGE_SIZE)
        .offset((page - 1) * LIST_PAGE_SIZE)
    )
    return Listing(list(items), page, pages, counts)
