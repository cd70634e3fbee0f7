"""The sandbox center: where partners' test clients send their referrals.

A live center of the platform itself, made at first use, with one mediator; it takes
referrals only from test clients (referrals.sandbox), has no marketplace page and is
offered to no one in the portal. Its cases move on their own, so that an integrator
sees every step and webhook of a case without a real center behind it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core import audit
from core.clock import now
from core.credentials.models import MediatorProfile
from core.db import db
from core.tenancy import tenant_scope
from tenants.models import Affiliation, AffiliationStatus, Tenant, TenantStatus

SANDBOX_SLUG = "sandbox"
SANDBOX_NAME = "Sandbox mediation center"
SANDBOX_MEDIATOR = "Sandbox Mediator"


def is_sandbox(tenant: Tenant) -> bool:
    return tenant.slug == SANDBOX_SLUG


def sandbox_center() -> tuple[Tenant, uuid.UUID]:
    """The sandbox center and its mediator's profile id, made the first time."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == SANDBOX_SLUG))
    if tenant is None:
        tenant = _create()
    with tenant_scope(tenant.id):
        profile_id = db.session.scalar(
            select(Affiliation.profile_id)
            .where(Affiliation.status == AffiliationStatus.ACTIVE)
            .order_by(Affiliation.created_at)
            .limit(1)
        )
    return tenant, profile_id


def _create() -> Tenant:
    tenant_id = uuid.uuid4()
    with tenant_scope(tenant_id):  # RLS: a center is inserted in its own scope only
        tenant = Tenant(
            id=tenant_id,
            slug=SANDBOX_SLUG,
            legal_name=SANDBOX_NAME,
            registration_number="00000000000000",
            city="Paris",
            locale="en",
            status=TenantStatus.ACTIVE,
            activated_at=now(),
        )
        db.session.add(tenant)
        db.session.flush()
        profile = MediatorProfile(
            display_name=SANDBOX_MEDIATOR,
            title="Test mediator",
            languages=["fr", "en"],
            specialties=["commercial"],
            created_by_tenant_id=tenant_id,
        )
        db.session.add(profile)
        db.session.flush()
        db.session.add(
            Affiliation(tenant_id=tenant_id, profile_id=profile.id, status=AffiliationStatus.ACTIVE)
        )
        audit.record("center.created", object_type="center", object_id=tenant_id)
        db.session.flush()
    return tenant
