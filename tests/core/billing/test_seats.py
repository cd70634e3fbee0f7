"""Seats: each mediator a center adds (through its page or its API) is a seat billed on
its Stripe subscription; the plan's last seat taken, the next one is refused with a
link to upgrade and nothing written; ending an affiliation frees and unbills a seat.
Billing off, there is no limit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.credentials.models import MediatorProfile
from core.db import db
from core.tenancy import tenant_scope
from tenants.models import Affiliation
from tests.core.billing.entitlement_helpers import quantity, subscribed
from tests.mediator_api import center_token
from tests.tenants.helpers import make_center, sign_in

BASE = "/api/v1/center/mediators"


@pytest.fixture
def center(app):
    return make_center(legal_name="Centre de Médiation de Lyon", locale="en")


def _add(client, center, n: int):
    return client.post_form(
        center.url("mediators"),
        {
            "email": f"mediator{n}@example.org",
            "display_name": f"Médiatrice {n}",
            "title": "Médiatrice familiale",
        },
    )


def _rows(center) -> tuple[int, int]:
    db.session.expire_all()
    with tenant_scope(center.tenant.id):
        affiliations = db.session.scalar(select(func.count()).select_from(Affiliation))
    profiles = db.session.scalar(select(func.count()).select_from(MediatorProfile))
    return affiliations, profiles


def test_seats_follow_the_mediators_up_to_the_plan_and_the_next_is_refused(
    app, client, billing, center, mailbox
):
    account = subscribed(center, "solo", seats=1)
    sign_in(client, center.admin)
    for n in (1, 2, 3):
        added = _add(client, center, n)
        assert added.status_code == 303, added.get_data(as_text=True)[:500]
        assert quantity(billing, account) == n
    before, sent = _rows(center), len(mailbox.messages)

    refused = _add(client, center, 4)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "Solo plan holds 3 mediators" in page
    assert f'href="/c/{center.slug}/billing"' in page
    assert _rows(center) == before
    assert len(mailbox.messages) == sent
    assert quantity(billing, account) == 3

    # The center's API client meets the same limit, as a problem with the link.
    headers = center_token(app, center.tenant.id)
    body = {"email": "mediator4@example.org", "display_name": "Médiatrice 4"}
    problem = client.post(BASE, json=body, headers=headers)
    assert problem.status_code == 403
    assert problem.mimetype == "application/problem+json"
    assert problem.json["type"].endswith("seat-limit")
    assert "3 mediators" in problem.json["title"]
    assert problem.json["billing_url"] == f"/c/{center.slug}/billing"
    assert _rows(center) == before

    # Ending an affiliation (through the API here) frees and unbills a seat.
    with tenant_scope(center.tenant.id):
        first = db.session.scalars(select(Affiliation).order_by(Affiliation.created_at)).first()
    ended = client.patch(f"{BASE}/{first.profile_id}", json={"status": "ended"}, headers=headers)
    assert ended.status_code == 200, ended.json
    assert quantity(billing, account) == 2
    # ... and the seat can be taken again, from the page.
    assert _add(client, center, 5).status_code == 303
    assert quantity(billing, account) == 3


def test_ending_an_affiliation_on_the_page_lowers_the_quantity(app, client, billing, center):
    account = subscribed(center, "solo", seats=1)
    sign_in(client, center.admin)
    for n in (1, 2):
        assert _add(client, center, n).status_code == 303
    assert quantity(billing, account) == 2
    with tenant_scope(center.tenant.id):
        profile_id = db.session.scalars(select(Affiliation.profile_id)).first()
    ended = client.post_form(
        center.url(f"mediators/{profile_id}"),
        {"status": "ended", "rate_eur": "", "internal_notes": ""},
    )
    page = ended.get_data(as_text=True)
    assert ended.status_code == 303, page[page.find("invalid") - 300 :][:600]
    assert quantity(billing, account) == 1


def test_billing_off_every_center_has_unlimited_seats(app, client, center):
    from core.billing import entitlements, plans

    assert not app.config.get("STRIPE_SECRET_KEY")
    found = entitlements.access_for(center.tenant.id)
    assert found.plan is plans.UNLIMITED and not found.read_only and found.banner is None
    sign_in(client, center.admin)
    for n in range(1, 6):
        assert _add(client, center, n).status_code == 303
    assert _rows(center)[0] == 5
    assert entitlements.may(center.tenant.id, "add_seat")
    for action in entitlements.ACTIONS:
        assert entitlements.may(center.tenant.id, action)
