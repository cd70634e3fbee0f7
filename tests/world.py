"""A seeded world for isolation tests: every tenant-owned table filled for two centers.

`TENANT_ROW_FACTORIES` must name a factory for every TenantScoped model; a test fails
when a new tenant-owned table appears without one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from core.db import Base
from core.tenancy import TenantScoped
from tenants.models import Role, Tenant
from tests import factories

TENANT_ROW_FACTORIES: dict[str, Any] = {
    "Membership": factories.MembershipFactory,
    "Invitation": factories.InvitationFactory,
    "AuditEvent": factories.AuditEventFactory,
    "Affiliation": factories.AffiliationFactory,
    "CenterDigest": factories.CenterDigestFactory,
    "CenterProfile": factories.CenterProfileFactory,
    "Offer": factories.OfferFactory,
    "Inquiry": factories.InquiryFactory,
    "Referral": factories.ReferralFactory,
    "ReferralParty": factories.ReferralPartyFactory,
    "ReferralEvent": factories.ReferralEventFactory,
    "CenterBillingProfile": factories.CenterBillingProfileFactory,
    "FeeQuote": factories.FeeQuoteFactory,
    "InvoiceSequence": factories.InvoiceSequenceFactory,
    "PartyInvoice": factories.PartyInvoiceFactory,
}

# Tables with one row per tenant at most.
ONE_PER_TENANT = {"CenterProfile": 1, "CenterBillingProfile": 1, "InvoiceSequence": 1}


def tenant_models() -> list[type]:
    return sorted(
        (m.class_ for m in Base.registry.mappers if issubclass(m.class_, TenantScoped)),
        key=lambda c: c.__name__,
    )


@dataclass
class Center:
    tenant: Tenant
    owner: Any
    rows: dict[str, list[Any]] = field(default_factory=dict)


def seed_center(slug: str) -> Center:
    tenant = factories.TenantFactory(slug=slug)
    owner = factories.MembershipFactory(tenant=tenant, role=Role.OWNER).user
    center = Center(tenant=tenant, owner=owner)
    for name, factory in TENANT_ROW_FACTORIES.items():
        center.rows[name] = factory.create_batch(ONE_PER_TENANT.get(name, 2), tenant=tenant)
    return center


def digest_rows(engine: Engine, tenant_id: Any, exclude: frozenset[str] = frozenset()) -> str:
    """A digest of every row of one tenant in every tenant-owned table (read as owner)."""
    blob = []
    with engine.connect() as conn:
        for model in tenant_models():
            table = model.__table__
            if table.name in exclude:
                continue
            rows = conn.execute(
                table.select().where(table.c.tenant_id == tenant_id).order_by(table.c.id)
            ).mappings()
            blob.append([table.name, [dict(r) for r in rows]])
        # Through the typed column: a raw UUID parameter is refused by SQLite.
        tenants = Tenant.__table__
        tenant_row = conn.execute(tenants.select().where(tenants.c.id == tenant_id)).mappings()
        blob.append(["tenants", [dict(r) for r in tenant_row]])
    return hashlib.sha256(json.dumps(blob, default=str, sort_keys=True).encode()).hexdigest()
