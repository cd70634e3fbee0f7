"""Demo referrals: each demo partner has sent cases to the demo centers, in every state
of the lifecycle (just sent, accepted, assigned and scheduled, closed with an outcome,
declined, cancelled), each moved through the real services so its timeline is real.
Idempotent: a case is looked up by its partner and reference before it is sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core.clock import now
from core.db import db
from core.demo import Logins
from core.tenancy import scoped, tenant_scope
from referrals import cases
from referrals.demo import PARTNERS
from referrals.models import Partner, Referral
from tenants.demo import CENTERS
from tenants.models import AffiliationStatus, Tenant
from tenants.services import affiliations, centers

PARTNER = cases.Actor("partner")
CENTER = cases.Actor("center")

# (reference, center index, dispute type, language, the steps after sending it)
CASES: tuple[tuple[str, int, str, str, tuple[str, ...]], ...] = (
    ("DEMO-001", 0, "commercial", "fr", ()),
    ("DEMO-002", 0, "labour", "fr", ("acknowledge", "accept")),
    ("DEMO-003", 1, "family", "fr", ("accept", "assign", "schedule")),
    ("DEMO-004", 2, "neighbourhood", "en", ("accept", "assign", "record_outcome", "close")),
    ("DEMO-005", 1, "consumer", "fr", ("decline",)),
    ("DEMO-006", 2, "commercial", "fr", ("cancel",)),
)

SUMMARIES = {
    "commercial": "Retards de paiement répétés entre un fournisseur et son client.",
    "labour": "Désaccord sur les conditions d'une rupture conventionnelle.",
    "family": "Organisation de la résidence des enfants après une séparation.",
    "neighbourhood": "Nuisances sonores entre voisins d'un même immeuble.",
    "consumer": "Litige sur la garantie d'un véhicule d'occasion.",
}


def seed(logins: Logins, password_for: Callable[[str], str]) -> None:
    """Seed each demo partner's referrals (the centers and partners exist by now)."""
    centers_ = [centers.find_live_center(slug) for slug, *_rest in CENTERS]
    for number, (slug, *_rest) in enumerate(PARTNERS):
        partner = db.session.scalar(select(Partner).where(Partner.slug == slug))
        for reference, center_index, dispute, language, steps in CASES:
            center = centers_[(center_index + number) % len(centers_)]
            if center is not None:
                _ensure_case(partner, center, f"{reference}-{number + 1}", dispute, language, steps)


def _ensure_case(
    partner: Partner,
    center: Tenant,
    reference: str,
    dispute: str,
    language: str,
    steps: tuple[str, ...],
) -> None:
    with scoped(partner_id=partner.id, tenant_id=None):
        found = db.session.scalar(
            select(Referral.id).where(Referral.reference == reference).limit(1)
        )
        if found is not None:
            return
        referral = cases.send(_input(center, reference, dispute, language), **_sender(partner))
    with tenant_scope(center.id):
        for step in steps:
            _take(step, referral.id, partner)
        db.session.flush()


def _sender(partner: Partner) -> dict[str, Any]:
    return {"partner_id": partner.id, "client_id": None, "actor": PARTNER}


def _input(center: Tenant, reference: str, dispute: str, language: str) -> cases.ReferralInput:
    return cases.ReferralInput(
        center=center.slug,
        reference=reference,
        dispute_type=dispute,
        summary=SUMMARIES[dispute],
        language=language,
        urgency="standard",
        preferred_mode="hybrid",
        parties=[
            cases.PartyInput(
                f"Partie A {reference}", "claimant", f"{reference.lower()}@example.org"
            ),
            cases.PartyInput(f"Partie B {reference}", "respondent"),
        ],
        parties_informed=True,
        contact_consent=True,
    )


def _take(step: str, referral_id: Any, partner: Partner) -> None:
    if step == "cancel":
        with scoped(partner_id=partner.id, tenant_id=None):
            cases.cancel(referral_id, PARTNER)
    elif step == "decline":
        cases.decline(referral_id, "Aucun médiateur n'est disponible dans ce délai.", CENTER)
    elif step == "assign":
        cases.assign(referral_id, _a_mediator(), CENTER, override_reason=None)
    elif step == "schedule":
        cases.schedule(referral_id, now() + timedelta(days=10), CENTER)
    elif step == "record_outcome":
        cases.record_outcome(referral_id, "agreement", CENTER)
    else:
        getattr(cases, step)(referral_id, CENTER)


def _a_mediator() -> Any:
    current, _ended = affiliations.center_affiliations()
    active = [a for a in current if a.status == AffiliationStatus.ACTIVE]
    return active[0].profile_id
