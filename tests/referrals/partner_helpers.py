"""Helpers for the partner organisation tests: a partner with an administrator and a
referrer, and what its security log holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.audit import SecurityEvent
from core.db import db
from referrals.models import Partner, PartnerMembership, PartnerRole
from tests.factories import PartnerFactory, PartnerMembershipFactory, UserFactory


@dataclass
class Org:
    partner: Partner
    admin: Any
    referrer: Any

    @property
    def slug(self) -> str:
        return self.partner.slug

    def url(self, path: str = "") -> str:
        return f"/p/{self.partner.slug}/{path}"


def make_partner(**partner_fields: Any) -> Org:
    partner = PartnerFactory(**partner_fields)
    admin = PartnerMembershipFactory(
        partner=partner, user=UserFactory(locale="en"), role=PartnerRole.ADMIN
    ).user
    referrer = PartnerMembershipFactory(
        partner=partner, user=UserFactory(locale="en"), role=PartnerRole.REFERRER
    ).user
    return Org(partner, admin, referrer)


def membership_of(partner: Partner, user: Any) -> PartnerMembership | None:
    db.session.expire_all()
    return db.session.scalar(
        select(PartnerMembership).where(
            PartnerMembership.partner_id == partner.id, PartnerMembership.user_id == user.id
        )
    )


def security_events(partner: Partner, prefix: str = "") -> list[SecurityEvent]:
    """The partner's events in the security log, oldest first."""
    db.session.expire_all()
    rows = db.session.scalars(
        select(SecurityEvent)
        .where(SecurityEvent.action.startswith(prefix))
        .order_by(SecurityEvent.created_at)
    )
    return [row for row in rows if row.details.get("partner_id") == str(partner.id)]


def security_actions(partner: Partner, prefix: str = "") -> list[str]:
    return [row.action for row in security_events(partner, prefix)]
