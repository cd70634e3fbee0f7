"""What each side reads of a case: the partner what it sent, the status and public
names; the center the whole case (with the partner that sent it)."""

from __future__ import annotations

from typing import Any

from core.db import db
from referrals import cases, lifecycle
from referrals.models import Partner, Referral, ReferralEvent


def _center(referral: Referral) -> dict[str, Any]:
    """The center's public identity, whatever its status: a case sent to it still names
    it once it is suspended."""
    center = referral.center
    return {"id": center.id, "slug": center.slug, "name": center.legal_name}


def summary(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.id,
        "status": referral.status.value,
        "reference": referral.reference,
        "center": _center(referral),
        "dispute_type": referral.dispute_type,
        "urgency": referral.urgency.value,
        "created_at": referral.created_at,
        "updated_at": referral.updated_at,
    }


def case(referral: Referral, side: str) -> dict[str, Any]:
    """The case as `side` ("partner" or "center") reads it."""
    mediator = cases.public_mediator_name(referral.mediator_profile_id)
    found = {
        **summary(referral),
        "mediator": None
        if mediator is None
        else {"id": referral.mediator_profile_id, "name": mediator},
        "summary": referral.summary,
        "amount_eur": None if referral.amount_eur is None else f"{referral.amount_eur:.2f}",
        "language": referral.language,
        "preferred_mode": referral.preferred_mode,
        "preferred_mediator_id": referral.preferred_profile_id,
        "parties": [
            {
                "name": p.name,
                "role": p.role.value,
                "email": p.email,
                "phone": p.phone,
                "lawyer": p.lawyer,
            }
            for p in referral.parties
        ],
        "decline_reason": referral.decline_reason,
        "scheduled_at": referral.scheduled_at,
        "outcome": referral.outcome.value if referral.outcome else None,
        "next_steps": lifecycle.next_steps(referral.status, side),
    }
    if side == "center":
        partner = referral_partner(referral)
        found["partner"] = {"id": partner.id, "slug": partner.slug, "name": partner.name}
    return found


def referral_partner(referral: Referral) -> Partner:
    return db.session.get(Partner, referral.partner_id)


def event(row: ReferralEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "status": row.status.value,
        "actor": row.actor,
        "details": {k: None if v is None else str(v) for k, v in (row.details or {}).items()},
        "created_at": row.created_at,
    }
