"""The status matrix of `entitlements.access_for`: who has full access, who is
read-only, when the grace of a past-due center ends, and the plan's limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.billing import entitlements, plans
from core.billing.models import BillingAccount
from core.clock import now
from core.db import db
from tests.factories import TenantFactory


def _tenant_with(**fields):
    tenant = TenantFactory()
    if fields:
        db.session.add(BillingAccount(tenant_id=tenant.id, **fields))
        db.session.commit()
    return tenant


@pytest.mark.parametrize(
    ("status", "level"),
    [
        ("none", "full"),
        ("incomplete", "full"),
        ("trialing", "full"),
        ("active", "full"),
        ("canceled", "read_only"),
        ("unpaid", "read_only"),
        ("incomplete_expired", "read_only"),
        ("paused", "read_only"),
    ],
)
def test_each_status_gives_its_level(app, billing, status, level):
    tenant = _tenant_with(plan_code="center", interval="month", status=status)
    found = entitlements.access_for(tenant.id)
    assert found.level == level
    assert entitlements.may(tenant.id, "write") is (level == "full")
    assert (found.banner is not None) is (level == "read_only")


def test_past_due_is_full_during_the_grace_then_read_only(app, billing, clock):
    tenant = _tenant_with(
        plan_code="solo", interval="month", status="past_due", past_due_since=now()
    )
    found = entitlements.access_for(tenant.id)
    assert found.level == "full" and found.banner
    assert found.grace_ends_at == now() + timedelta(days=7)
    clock.advance(timedelta(days=7))
    assert entitlements.access_for(tenant.id).level == "read_only"
    assert not entitlements.may(tenant.id, "add_seat")


def test_plan_flags_and_the_unlimited_plan_when_billing_is_off(app, billing):
    solo = _tenant_with(plan_code="solo", interval="month", status="active")
    assert not entitlements.may(solo.id, "webhooks")
    assert entitlements.may(solo.id, "api") and entitlements.may(solo.id, "marketplace_listing")
    no_account = _tenant_with()
    assert entitlements.access_for(no_account.id).plan.code == "solo"
    with pytest.raises(ValueError):
        entitlements.may(solo.id, "fly")
    app.config["STRIPE_SECRET_KEY"] = None
    off = entitlements.access_for(solo.id)
    assert off.plan is plans.UNLIMITED and off.level == "full" and not off.billing_on
    assert entitlements.may(solo.id, "webhooks")
