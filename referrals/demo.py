"""Demo partners: a law firm in Lyon and a family-mediation association in Lille, each
with an administrator. Idempotent (looked up by slug and email first)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from core.db import db
from core.demo import Logins
from referrals.models import Partner, PartnerKind, PartnerMembership, PartnerRole
from tenants.demo import ensure_demo_user

# (slug, name, kind, registration number, admin name, admin email)
PARTNERS: tuple[tuple[str, str, PartnerKind, str, str, str], ...] = (
    (
        "cabinet-durand-associes",
        "Cabinet Durand & Associés",
        PartnerKind.LAW_FIRM,
        "84417390600018",
        "Hélène Durand",
        "helene.durand@cabinet-durand.example",
    ),
    (
        "association-mediation-familiale-nord",
        "Association Médiation Familiale du Nord",
        PartnerKind.ASSOCIATION,
        "43812065100015",
        "Marc Vasseur",
        "marc.vasseur@mediation-familiale-nord.example",
    ),
)


def seed(logins: Logins, password_for: Callable[[str], str]) -> None:
    """Seed the demo partners and their administrators; list their logins."""
    for slug, name, kind, number, admin_name, email in PARTNERS:
        partner = db.session.scalar(select(Partner).where(Partner.slug == slug))
        if partner is None:
            partner = Partner(slug=slug, name=name, kind=kind, registration_number=number)
            db.session.add(partner)
            db.session.flush()
        password = password_for(email)
        user = ensure_demo_user(email, admin_name, password)
        membership = db.session.scalar(
            select(PartnerMembership.id).where(
                PartnerMembership.partner_id == partner.id, PartnerMembership.user_id == user.id
            )
        )
        if membership is None:
            db.session.add(
                PartnerMembership(partner_id=partner.id, user_id=user.id, role=PartnerRole.ADMIN)
            )
        logins["users"].append(
            {"email": email, "password": password, "role": PartnerRole.ADMIN.value, "partner": slug}
        )
