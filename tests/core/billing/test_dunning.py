"""Dunning: a declined renewal makes the center past due (read back from localstripe);
it keeps full access through the grace period with a banner, and its owners and
administrators get the "payment failed", "3 days left" and "read-only now" emails,
each once. After the grace, the workspace is read-only: writes are refused (403, with
the reason and a link to billing) on its pages and for its API clients, while reads,
exports and the billing page keep working and nothing is deleted. Paying the open
invoice restores full access at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.billing import dunning
from core.db import db
from core.tenancy import tenant_scope
from tenants.models import Affiliation
from tests.core.billing.conftest import drain
from tests.core.billing.entitlement_helpers import (
    fail_a_payment,
    recover,
    refresh,
    subscribed,
)
from tests.mediator_api import center_token
from tests.tenants.helpers import make_center, sign_in
from tests.tenants.mediator_helpers import affiliated

SUBJECTS = {
    "payment_failed": "the payment of your Mediation Hub subscription failed",
    "three_days_left": "3 days left to pay your Mediation Hub subscription",
    "read_only": "your Mediation Hub workspace is now read-only",
}


@pytest.fixture
def center(app):
    return make_center(legal_name="Centre de Médiation de Lyon", locale="en")


def _sweep(app) -> None:
    dunning.sweep()
    drain(app)


def _received(mailbox, center) -> dict[str, list[str]]:
    """The dunning emails each person got, by stage."""
    found: dict[str, list[str]] = {}
    for person in (center.owner, center.admin, center.case_manager):
        subjects = [str(m["Subject"]) for m in mailbox.to(person.email)]
        found[person.email] = [
            stage for stage, text in SUBJECTS.items() for s in subjects if text in s
        ]
    return found


def _affiliations(center) -> int:
    db.session.expire_all()
    with tenant_scope(center.tenant.id):
        return db.session.scalar(select(func.count()).select_from(Affiliation))


def _add(client, center, n: int):
    return client.post_form(
        center.url("mediators"),
        {"email": f"mediator{n}@example.org", "display_name": f"Médiateur {n}", "title": "M"},
    )


def test_a_failed_payment_runs_grace_then_read_only_then_paying_restores(
    app, client, billing, center, mailbox, clock
):
    from tests.factories import MediatorProfileFactory

    account = subscribed(center, "solo", seats=1)
    affiliated(center.tenant, MediatorProfileFactory(display_name="Marc Lefèvre"))
    invoice_id = fail_a_payment(billing, account)
    account = refresh(center)
    assert account.status == "past_due"
    assert account.past_due_since == clock.now()

    # Past due, within the grace: full access, a banner, the first email (once).
    _sweep(app)
    _sweep(app)
    expected = {center.owner.email: ["payment_failed"], center.admin.email: ["payment_failed"]}
    assert _received(mailbox, center) == {**expected, center.case_manager.email: []}
    body = mailbox.body(mailbox.last_to(center.owner.email))
    assert f"http://localhost/c/{center.slug}/billing" in body
    sign_in(client, center.admin)
    dashboard = client.get(center.url()).get_data(as_text=True)
    assert 'data-testid="billing-banner"' in dashboard
    assert "The last payment of your subscription failed" in dashboard
    assert f'href="/c/{center.slug}/billing"' in dashboard
    assert _add(client, center, 1).status_code == 303

    # Three days before the end of the grace: the second email, once.
    clock.advance(timedelta(days=4, minutes=1))
    _sweep(app)
    _sweep(app)
    assert _received(mailbox, center)[center.owner.email] == ["payment_failed", "three_days_left"]
    sign_in(client, center.admin)  # days later: a new session
    assert client.get(center.url("mediators")).status_code == 200

    # After the grace: read-only, the third email, once.
    clock.advance(timedelta(days=3))
    _sweep(app)
    _sweep(app)
    assert _received(mailbox, center) == {
        center.owner.email: ["payment_failed", "three_days_left", "read_only"],
        center.admin.email: ["payment_failed", "three_days_left", "read_only"],
        center.case_manager.email: [],
    }
    sign_in(client, center.admin)
    before = _affiliations(center)
    refused = _add(client, center, 2)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403
    assert "the workspace is read-only" in page
    assert f'href="/c/{center.slug}/billing"' in page
    settings = client.post_form(center.url("settings"), {"legal_name": "Renamed"})
    assert settings.status_code == 403
    assert _affiliations(center) == before == 2  # nothing deleted, nothing added
    listing = client.get(center.url("mediators"))
    assert listing.status_code == 200
    assert 'data-testid="billing-banner"' in listing.get_data(as_text=True)
    export = client.get(center.url("mediators/compliance.csv"))
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert client.get(center.url("billing")).status_code == 200

    headers = center_token(app, center.tenant.id)
    api_write = client.post(
        "/api/v1/center/mediators",
        json={"email": "api@example.org", "display_name": "Par l'API"},
        headers=headers,
    )
    assert api_write.status_code == 403
    assert api_write.mimetype == "application/problem+json"
    assert api_write.json["type"].endswith("billing-read-only")
    assert api_write.json["billing_url"] == f"/c/{center.slug}/billing"
    assert client.get("/api/v1/center/mediators", headers=headers).status_code == 200
    assert _affiliations(center) == before

    # Paying: the card replaced, the open invoice paid, the subscription active again.
    recover(billing, account, invoice_id)
    account = refresh(center)
    assert account.status == "active"
    assert account.past_due_since is None and account.dunning_stage is None
    page = client.get(center.url()).get_data(as_text=True)
    assert 'data-testid="billing-banner"' not in page
    assert _add(client, center, 3).status_code == 303
    _sweep(app)
    assert len(_received(mailbox, center)[center.owner.email]) == 3  # no more email


def test_a_canceled_subscription_is_read_only_and_billing_off_is_never(
    app, client, billing, center
):
    from core.billing import entitlements

    account = subscribed(center, "solo", seats=1)
    with tenant_scope(center.tenant.id):
        account.status = "canceled"
        db.session.commit()
    found = entitlements.access_for(center.tenant.id)
    assert found.read_only and not entitlements.may(center.tenant.id, "write")
    sign_in(client, center.admin)
    assert _add(client, center, 1).status_code == 403
    assert client.get(center.url("mediators")).status_code == 200

    app.config["STRIPE_SECRET_KEY"] = None  # billing off: the stored state is ignored
    assert not entitlements.access_for(center.tenant.id).read_only
    assert _add(client, center, 1).status_code == 303
