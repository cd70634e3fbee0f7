"""Partner organisations: resolving a partner's workspace and reading its members.

Partners and their memberships are global tables (a partner is not a tenant), so no
tenant scope is involved; access is decided by the membership alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.access import Workspace
from core.accounts.models import User
from core.db import db
from referrals.models import Partner, PartnerMembership, PartnerStatus

SLUG_MAX = 63  # the column's length: a longer reference names no partner


def _workspace(membership: PartnerMembership) -> Workspace:
    partner = membership.partner
    return Workspace(
        kind="partner",
        id=partner.id,
        slug=partner.slug,
        name=partner.name,
        role=membership.role.value,
        obj=partner,
    )


def describe_partner(partner_id: Any) -> dict[str, Any] | None:
    """A partner organisation's identity, for the API (an OAuth client's owner)."""
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        return None
    return {"slug": partner.slug, "name": partner.name, "country": partner.country}


def resolve_workspace(slug: str, user: Any) -> Workspace | None:
    """The user's workspace in the live partner `slug`, read afresh on every request;
    None (404) for an unknown or pending partner, or a non-member."""
    if not slug or len(slug) > SLUG_MAX:
        return None
    membership = db.session.scalar(
        select(PartnerMembership)
        .join(PartnerMembership.partner)
        .where(
            Partner.slug == slug,
            Partner.status == PartnerStatus.ACTIVE,
            PartnerMembership.user_id == user.id,
        )
    )
    return _workspace(membership) if membership is not None else None


def list_workspaces(user: Any) -> list[Workspace]:
    """Every live partner organisation `user` belongs to."""
    memberships = db.session.scalars(
        select(PartnerMembership)
        .join(PartnerMembership.partner)
        .where(PartnerMembership.user_id == user.id, Partner.status == PartnerStatus.ACTIVE)
    )
    return [_workspace(m) for m in memberships]


def members(partner_id: Any) -> list[PartnerMembership]:
    """The partner's members, by name."""
    return list(
        db.session.scalars(
            select(PartnerMembership)
            .join(PartnerMembership.user)
            .where(PartnerMembership.partner_id == partner_id)
            .order_by(User.name)
        )
    )
