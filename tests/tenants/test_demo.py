"""Demo data: 3 centers, 30 mediators, 2 partners, seeded once whatever the runs."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select

from core import demo
from core.accounts.models import User
from core.clock import now
from core.credentials.compliance import Status
from core.credentials.models import Certification, MediatorProfile
from core.credentials.standing import standing
from core.db import db
from core.tenancy import scoped
from referrals.models import Partner, PartnerMembership
from tenants import services
from tenants.models import Affiliation, AffiliationStatus, Membership, Role, Tenant, TenantStatus
from tenants.storefront_models import CenterProfile, Offer


def _counts() -> dict[str, int]:
    db.session.expire_all()
    with scoped(platform_reason="test inspection"):
        roles = Counter(db.session.scalars(select(Membership.role)).all())
        mediators = db.session.scalar(
            select(func.count(func.distinct(Membership.user_id))).where(
                Membership.role == Role.MEDIATOR
            )
        )
        affiliations = db.session.scalar(select(func.count()).select_from(Affiliation))
        center_pages = db.session.scalar(
            select(func.count()).where(CenterProfile.published.is_(True))
        )
        offers = db.session.scalar(select(func.count()).where(Offer.published.is_(True)))
        # Every mediator who agreed to be listed is published by their active centers.
        unpublished = db.session.scalar(
            select(func.count())
            .select_from(Affiliation)
            .join(MediatorProfile, MediatorProfile.id == Affiliation.profile_id)
            .where(
                MediatorProfile.listed_publicly.is_(True),
                Affiliation.status == AffiliationStatus.ACTIVE,
                Affiliation.published.is_(False),
            )
        )
    return {
        "published_center_pages": center_pages,
        "published_offers": offers,
        "consenting_but_unpublished": unpublished,
        "profiles": db.session.scalar(select(func.count()).select_from(MediatorProfile)),
        "claimed_profiles": db.session.scalar(
            select(func.count()).where(MediatorProfile.user_id.is_not(None))
        ),
        "affiliations": affiliations,
        "certifications": db.session.scalar(select(func.count()).select_from(Certification)),
        "centers": db.session.scalar(select(func.count()).select_from(Tenant)),
        "users": db.session.scalar(select(func.count()).select_from(User)),
        "partners": db.session.scalar(select(func.count()).select_from(Partner)),
        "partner_members": db.session.scalar(select(func.count()).select_from(PartnerMembership)),
        "mediators": mediators,
        "mediator_memberships": roles[Role.MEDIATOR],
        "owners": roles[Role.OWNER],
        "case_managers": roles[Role.CASE_MANAGER],
    }


def _sign_in_works(client, entry: dict, url: str) -> bool:
    client.forget_csrf()
    credentials = {"email": entry["email"], "password": entry["password"]}
    signed_in = client.post_form("/login", credentials).status_code == 303
    reached = client.get(url).status_code == 200
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    return signed_in and reached


# One test: seeding hashes 38 passwords, the slow part, so it runs once here.
def test_demo_seeding_is_complete_valid_usable_and_idempotent(client):
    logins = demo.seed()
    first = _counts()
    assert first == {
        "published_center_pages": 3,
        "published_offers": 4 + 3 + 3,
        "consenting_but_unpublished": 0,
        "profiles": 30 + 3,  # and one profile per center waiting to be claimed
        "claimed_profiles": 30,
        "affiliations": 36 + 3,
        "certifications": 30 + 10,  # FFCM for all, a court-of-appeal listing for 10
        "centers": 3,
        "users": 3 * 2 + 30 + 2,
        "partners": 2,
        "partner_members": 2,
        "mediators": 30,
        "mediator_memberships": 36,  # six of them work with two centers
        "owners": 3,
        "case_managers": 3,
    }
    centers = db.session.scalars(select(Tenant)).all()
    assert {c.slug.rsplit("-", 1)[0] for c in centers} == {
        "mediation-lyon",
        "mediation-bordeaux",
        "mediation-lille",
    }
    assert all(c.status == TenantStatus.ACTIVE for c in centers)
    assert {c.city for c in centers} == {"Lyon", "Bordeaux", "Lille"}
    assert all(services.registration_problem(c.registration_number, "FR") is None for c in centers)
    assert all(services.slug_problem(c.slug) is None for c in centers)
    assert all(u.email_verified_at for u in db.session.scalars(select(User)))

    entries = logins["users"]
    assert len({e["email"] for e in entries}) == len(entries)  # one line per person
    assert Counter(e["role"] for e in entries) == {
        "owner": 3,
        "case_manager": 3,
        "mediator": 30,
        "admin": 2,
    }
    assert {e["center"] for e in entries if "center" in e} == {c.slug for c in centers}
    assert {e["partner"] for e in entries if "partner" in e} == {
        p.slug for p in db.session.scalars(select(Partner))
    }
    # The printed logins work, including a mediator seeded into two centers.
    owner = next(e for e in entries if e["role"] == "owner")
    two_centers = next(e for e in entries if e["email"].startswith("sophie.bernard@"))
    partner_admin = next(e for e in entries if "partner" in e)
    assert _sign_in_works(client, owner, f"/c/{owner['center']}/members")
    assert _sign_in_works(client, two_centers, f"/c/{two_centers['center']}/")
    assert _sign_in_works(client, partner_admin, f"/p/{partner_admin['partner']}/")

    # The files vary, so that the compliance pages have something to show.
    statuses = Counter(
        standing(c, now().date()).status for c in db.session.scalars(select(Certification))
    )
    assert {Status.COMPLIANT, Status.HOURS_SHORT, Status.UNVERIFIED, Status.EXPIRING} <= set(
        statuses
    )

    # Each center's page and offers are complete: prices with VAT, presentations in both
    # languages, and a private contact address.
    with scoped(platform_reason="test inspection"):
        pages = db.session.scalars(select(CenterProfile)).all()
        offers = db.session.scalars(select(Offer)).all()
    assert all(p.presentation_fr and p.presentation_en and p.contact_email for p in pages)
    assert all(p.address and p.postal_code and p.service_area for p in pages)
    assert all(o.price_incl_vat == o.price_excl_vat * Decimal("1.2") for o in offers)
    assert {o.name for o in offers} >= {"Médiation express", "Médiation standard"}

    demo.seed()
    assert _counts() == first
