"""What core.billing asks the centers' domain, registered at start-up (core imports no
domain): the seats a center uses, who hears about its billing, and where its billing
page is.

A seat is an affiliation that is not ended: invited (the seat is held for the mediator
who has not answered yet), active or suspended. Ended affiliations free their seat.
"""

from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import func, select

from core.billing import dunning, entitlements, seats
from core.db import db
from core.tenancy import tenant_scope
from tenants.models import MANAGER_ROLES, Affiliation, AffiliationStatus, Membership, Tenant


def seats_in_use(tenant_id: uuid.UUID) -> int:
    with tenant_scope(tenant_id):
        return (
            db.session.scalar(
                select(func.count())
                .select_from(Affiliation)
                .where(Affiliation.status != AffiliationStatus.ENDED)
            )
            or 0
        )


def contacts(tenant_id: uuid.UUID) -> dunning.Contacts | None:
    """The center's name and its owners and administrators with a usable account."""
    center = db.session.get(Tenant, tenant_id)
    if center is None:
        return None
    with tenant_scope(tenant_id):
        managers = db.session.scalars(
            select(Membership)
            .where(Membership.role.in_(MANAGER_ROLES))
            .order_by(Membership.created_at, Membership.id)
        ).all()
        recipients = [
            (m.user.email, m.user.locale or center.locale)
            for m in managers
            if not m.user.is_disabled
        ]
    return dunning.Contacts(center=center.legal_name, recipients=recipients)


def billing_url(tenant_id: uuid.UUID, external: bool) -> str:
    center = db.session.get(Tenant, tenant_id)
    path = f"/c/{center.slug}/billing" if center is not None else "/"
    if external:
        return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
    return path


def register() -> None:
    seats.register_seats_provider(seats_in_use)
    dunning.register_contacts_provider(contacts)
    entitlements.register_billing_url(billing_url)
