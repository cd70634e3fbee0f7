"""Demo mediators' files: a profile per demo mediator, their training records and
certifications, and each center's affiliations with them, so that every page of the
professional file (and the compliance dashboard) shows something on `make run`.

The files vary on purpose: most FFCM-approved mediators are compliant, every fifth is
short of hours, every seventh has records still awaiting verification, and
court-of-appeal listed mediators see their listing expire at the end of the current
cycle. Each center also holds one profile created for a mediator without an account,
waiting to be claimed. Idempotent: a profile is created once per person.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.accounts.models import User
from core.clock import now
from core.credentials.models import (
    Certification,
    CertificationScheme,
    MediatorProfile,
    Mode,
    Specialty,
    TrainingKind,
    TrainingRecord,
    VerificationStatus,
)
from core.credentials.schemes import seed_catalogue
from core.db import db
from core.tenancy import tenant_scope
from tenants.models import Affiliation, AffiliationStatus, Membership, Role, Tenant

SPECIALTY_CYCLE = (
    (Specialty.FAMILY, Specialty.CIVIL),
    (Specialty.COMMERCIAL, Specialty.LABOUR),
    (Specialty.CONSUMER, Specialty.NEIGHBOURHOOD),
    (Specialty.CONSTRUCTION, Specialty.COMMERCIAL),
    (Specialty.HEALTH, Specialty.FAMILY),
)
DEPARTMENTS = {"Lyon": "FR-69", "Bordeaux": "FR-33", "Lille": "FR-59"}
UNCLAIMED = {"Lyon": "Bruno Caron", "Bordeaux": "Agnès Picard", "Lille": "Yves Lemoine"}


def seed_mediator_files(centers: list[Tenant], names: tuple[str, ...]) -> None:
    """Profiles, records, certifications and affiliations of the demo mediators
    (`names`: the demo mediators, in order)."""
    seed_catalogue()  # done by `flask migrate` already; a no-op then
    schemes = {
        s.code: s
        for s in db.session.scalars(
            select(CertificationScheme).where(
                CertificationScheme.code.in_(("fr-ffcm", "fr-cour-appel"))
            )
        )
    }
    today = now().date()
    for tenant, user in _mediators(centers):
        # The file's variety follows the person's place in the demo list: stable whatever
        # order the database returns memberships in.
        index = names.index(user.name) if user.name in names else len(names)
        profile = db.session.scalar(
            select(MediatorProfile).where(MediatorProfile.user_id == user.id)
        )
        if profile is None:
            profile = _profile(index, user.name, tenant, user)
            _file(index, profile, tenant, schemes, today)
        _affiliate(tenant, profile, index)
    for tenant in centers:
        _unclaimed(tenant)


def _mediators(centers: list[Tenant]) -> list[tuple[Tenant, User]]:
    """(center, mediator) pairs, in a stable order."""
    pairs = []
    for tenant in centers:
        with tenant_scope(tenant.id):
            members = db.session.scalars(
                select(Membership)
                .where(Membership.role == Role.MEDIATOR)
                .order_by(Membership.created_at, Membership.id)
            )
            pairs.extend((tenant, m.user) for m in members)
    return pairs


def _profile(index: int, name: str, tenant: Tenant, user: User | None) -> MediatorProfile:
    specialties = SPECIALTY_CYCLE[index % len(SPECIALTY_CYCLE)]
    listed = index % 4 != 3
    profile = MediatorProfile(
        user_id=user.id if user else None,
        display_name=name,
        title="Médiateur·rice agréé·e" if index % 2 else "Médiateur·rice, ancien·ne avocat·e",
        bio_fr=f"Médiation {specialties[0].value} et {specialties[1].value} à {tenant.city}.",
        bio_en=f"{specialties[0].value.capitalize()} and {specialties[1].value} mediation "
        f"in {tenant.city}.",
        languages=["fr", "en"] if index % 3 == 0 else ["fr"],
        specialties=[s.value for s in specialties],
        regions=[DEPARTMENTS.get(tenant.city, "FR-75")],
        modes=[Mode.ONLINE.value, Mode.IN_PERSON.value] if index % 2 else [Mode.HYBRID.value],
        rate_min_eur=Decimal(90 + 10 * (index % 5)),
        rate_max_eur=Decimal(150 + 10 * (index % 5)),
        registrations=[{"kind": "court_of_appeal", "name": tenant.city}] if index % 3 == 1 else [],
        listed_publicly=listed,
        listed_publicly_at=now() if listed else None,
        created_by_tenant_id=None if user else tenant.id,
    )
    db.session.add(profile)
    db.session.flush()
    return profile


def _file(
    index: int,
    profile: MediatorProfile,
    tenant: Tenant,
    schemes: dict[str, CertificationScheme],
    today: date,
) -> None:
    # Dated in the current year, never in the future (the demo may run on 2 January).
    def this_year(days_ago: int) -> date:
        return max(date(today.year, 1, 1), today - timedelta(days=days_ago))

    pending = index % 7 == 3
    short = index % 5 == 2
    # Hours are owed for each calendar year begun after approval: the short ones
    # were approved two years ago and have nothing for last year.
    approved = date(today.year - (2 if short else 1), 3, 1)
    status = VerificationStatus.PENDING if pending else VerificationStatus.VERIFIED
    verified = {
        "verification_status": status,
        "verified_at": None if pending else now(),
        "verified_for_tenant_id": None if pending else tenant.id,
    }
    rows = [
        ("Formation initiale à la médiation", "IFOMENE", TrainingKind.INITIAL_TRAINING, 200,
         date(today.year - 4, 3, 1), date(today.year - 4, 11, 30)),
        ("Journées de la médiation", "FFCM", TrainingKind.CONTINUING_EDUCATION, 12,
         this_year(120), None),
        ("Analyse de la pratique", "Centre de médiation", TrainingKind.SUPERVISION,
         4 if short else 10, this_year(60), None),
    ]  # fmt: skip
    for title, provider, kind, hours, started, ended in rows:
        db.session.add(
            TrainingRecord(
                profile_id=profile.id,
                title=title,
                provider=provider,
                kind=kind,
                hours=Decimal(hours),
                started_on=started,
                ended_on=ended,
                **verified,
            )
        )
    db.session.add(
        Certification(
            profile_id=profile.id,
            scheme_id=schemes["fr-ffcm"].id,
            number=f"FFCM-{approved.year}-{100 + index}",
            issued_on=approved,
            **verified,
        )
    )
    if index % 3 == 1:
        # The court-of-appeal list of the current cycle: listed mediators renew at its end.
        db.session.add(
            Certification(
                profile_id=profile.id,
                scheme_id=schemes["fr-cour-appel"].id,
                number=f"CA-{tenant.city[:3].upper()}-{index:03d}",
                issued_on=date(today.year - 2, 1, 15),
                **verified,
            )
        )
    db.session.flush()


def _affiliate(tenant: Tenant, profile: MediatorProfile, index: int) -> None:
    with tenant_scope(tenant.id):
        found = db.session.scalar(
            select(Affiliation.id).where(Affiliation.profile_id == profile.id)
        )
        if found is None:
            db.session.add(
                Affiliation(
                    profile_id=profile.id,
                    status=AffiliationStatus.ACTIVE,
                    rate_eur=Decimal(100 + 5 * (index % 6)),
                    internal_notes="Disponible en soirée." if index % 2 else None,
                    published=profile.listed_publicly,
                )
            )
            db.session.flush()


def _unclaimed(tenant: Tenant) -> None:
    """A profile the center created for a mediator who has no account yet."""
    name = UNCLAIMED.get(tenant.city)
    if name is None:
        return
    with tenant_scope(tenant.id):
        exists = db.session.scalar(
            select(Affiliation.id)
            .join(MediatorProfile, MediatorProfile.id == Affiliation.profile_id)
            .where(MediatorProfile.display_name == name)
        )
    if exists is None:
        profile = _profile(3, name, tenant, None)
        with tenant_scope(tenant.id):
            db.session.add(Affiliation(profile_id=profile.id, status=AffiliationStatus.INVITED))
            db.session.flush()
