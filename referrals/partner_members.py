"""A partner organisation's members and their roles, mirroring the centers'
(tenants.services.members): administrators change roles and remove members, never
the last administrator, never themselves.

Memberships are global rows: every lookup here filters on the acting partner's id, so
another partner's member is missing (404) exactly like one that does not exist.
"""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import audit
from core.db import db
from referrals.models import Partner, PartnerMembership, PartnerRole
from tenants.services.rules import NotFound, RuleError


def _lock_members(partner_id: uuid.UUID) -> None:
    # Two administrators demoting each other at once must not leave the organisation
    # without one: its membership changes are serialised on its row (no-op on SQLite).
    db.session.execute(select(Partner.id).where(Partner.id == partner_id).with_for_update())


def _membership(partner_id: uuid.UUID, **criteria: uuid.UUID) -> PartnerMembership | None:
    query = select(PartnerMembership).where(PartnerMembership.partner_id == partner_id)
    for name, value in criteria.items():
        query = query.where(getattr(PartnerMembership, name) == value)
    return db.session.scalar(query)


def _member_pair(
    partner_id: uuid.UUID, actor_id: uuid.UUID, membership_id: uuid.UUID
) -> tuple[PartnerMembership, PartnerMembership]:
    _lock_members(partner_id)
    target = _membership(partner_id, id=membership_id)
    actor = _membership(partner_id, user_id=actor_id)
    if target is None or actor is None:
        raise NotFound(_l("This member does not exist."))
    return actor, target


def _admin_count(partner_id: uuid.UUID) -> int:
    query = (
        select(func.count())
        .select_from(PartnerMembership)
        .where(
            PartnerMembership.partner_id == partner_id, PartnerMembership.role == PartnerRole.ADMIN
        )
    )
    return db.session.scalar(query) or 0


def _check_can_touch(
    actor: PartnerMembership, target: PartnerMembership, new_role: PartnerRole | None
) -> None:
    """The member rules; `new_role` None means removal."""
    # First, as the most useful answer to a sole administrator trying to step down.
    if (
        target.role == PartnerRole.ADMIN
        and new_role != PartnerRole.ADMIN
        and _admin_count(target.partner_id) <= 1
    ):
        raise RuleError(_l("An organisation keeps at least one administrator."))
    if target.user_id == actor.user_id:
        raise RuleError(_l("You cannot change your own role or remove yourself."))
    if actor.role != PartnerRole.ADMIN:
        raise RuleError(_l("Only administrators manage members."))


def _record(action: str, target: PartnerMembership, **details: str) -> None:
    audit.record_security(
        action,
        user_id=target.user_id,
        details={"partner_id": str(target.partner_id), "membership_id": str(target.id), **details},
    )


def change_role(
    partner_id: uuid.UUID, actor_id: uuid.UUID, membership_id: uuid.UUID, new_role: PartnerRole
) -> PartnerMembership:
    """Give a member another role; effective on their next request."""
    actor, target = _member_pair(partner_id, actor_id, membership_id)
    if target.role == new_role:
        return target
    _check_can_touch(actor, target, new_role)
    previous, target.role = target.role, new_role
    _record("partner_member.role_changed", target, **{"from": previous.value, "to": new_role.value})
    db.session.commit()
    return target


def remove_member(partner_id: uuid.UUID, actor_id: uuid.UUID, membership_id: uuid.UUID) -> str:
    """Remove a member from the organisation; returns their name for the confirmation."""
    actor, target = _member_pair(partner_id, actor_id, membership_id)
    _check_can_touch(actor, target, None)
    name = target.user.name
    _record("partner_member.removed", target, email=target.user.email, role=target.role.value)
    db.session.delete(target)
    db.session.commit()
    return name
