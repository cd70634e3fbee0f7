"""Seeding the marketplace as centers and mediators do, then letting the indexing jobs
run (inline on the embedded default; drained from Redis otherwise)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from core import jobs
from tenants.models import Tenant
from tests import factories


def settle(app: Flask) -> None:
    """Run the queued jobs (refreshing the public listing) when they do not run inline."""
    if not app.config["JOBS_INLINE"]:
        jobs.run_pending(app)


def listed_center(city: str = "Paris", **page: Any) -> Tenant:
    """An active center with a published page and one published offer. Its city is
    fixed: it is searchable text, and a random one could match a test's query."""
    tenant = factories.TenantFactory(city=city)
    factories.CenterProfileFactory(tenant=tenant, **page)
    factories.OfferFactory(tenant=tenant)
    return tenant


def listed_mediator(center: Tenant, **profile: Any) -> Any:
    """A consenting mediator with a complete profile, published by `center`."""
    profile.setdefault("listed_publicly", True)
    mediator = factories.MediatorProfileFactory(**profile)
    factories.AffiliationFactory(tenant=center, profile=mediator, published=True)
    return mediator
