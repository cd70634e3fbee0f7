"""The platform staff's billing overview: monthly recurring revenue, the centers past
due with the days their grace has left, and the centers on each plan; anyone else gets
the staff area's 404 (it does not reveal that the page exists, like every staff page)."""

from __future__ import annotations

from datetime import timedelta

from core.billing.models import BillingAccount
from core.clock import now
from core.db import db
from tests.factories import TenantFactory, UserFactory
from tests.tenants.helpers import make_center, sign_in


def _account(tenant, **fields) -> BillingAccount:
    account = BillingAccount(tenant_id=tenant.id, **fields)
    db.session.add(account)
    db.session.commit()
    return account


def test_staff_see_mrr_and_the_centers_past_due(app, client, billing):
    late = TenantFactory(legal_name="Centre en retard")
    _account(TenantFactory(), plan_code="solo", interval="month", status="active", seats_billed=3)
    _account(TenantFactory(), plan_code="center", interval="year", status="active", seats_billed=12)
    _account(
        late,
        plan_code="center",
        interval="month",
        status="past_due",
        seats_billed=4,
        past_due_since=now() - timedelta(days=2),
        dunning_stage="payment_failed",
    )
    _account(
        TenantFactory(), plan_code="network", interval="month", status="canceled", seats_billed=40
    )
    staff = UserFactory(is_staff=True, locale="en")
    sign_in(client, staff)

    page = client.get("/staff/billing/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # 3 x 29 + 12 x 250 / 12 + 4 x 25 = 87 + 250 + 100 = 437 EUR a month.
    assert "€437.00" in html
    assert html.count('data-testid="past-due"') == 1
    assert "Centre en retard" in html
    row = html[html.index('data-testid="past-due"') :]
    assert "<td>5</td>" in row[:1200]  # 7 days of grace, 2 gone
    assert 'data-testid="plan-solo">1<' in html
    assert 'data-testid="plan-center">2<' in html
    assert 'data-testid="plan-network">0<' in html


def test_members_and_visitors_are_kept_out(app, client):
    center = make_center(locale="en")
    sign_in(client, center.owner)
    assert client.get("/staff/billing/").status_code == 404
    client.post_form("/logout")
    assert client.get("/staff/billing/").status_code in (302, 303, 401)
