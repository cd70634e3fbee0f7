"""Platform staff: a flag set by a CLI command, an area listing centers, audited reads."""

from __future__ import annotations

from sqlalchemy import select

from core.audit import SecurityEvent
from core.db import db
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.tenants.helpers import sign_in


def test_the_cli_grants_and_revokes_staff(app):
    user = UserFactory()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "grant", user.email.upper()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(type(user), user.id).is_staff
    assert runner.invoke(args=["staff", "revoke", user.email]).exit_code == 0
    db.session.expire_all()
    assert not db.session.get(type(user), user.id).is_staff
    assert runner.invoke(args=["staff", "grant", "nobody@example.org"]).exit_code != 0


def test_non_staff_get_404_on_the_staff_area(client):
    member = MembershipFactory().user
    sign_in(client, member)
    assert client.get("/staff/").status_code == 404


def test_staff_list_and_view_centers_through_the_audited_platform_scope(client):
    staff = UserFactory(is_staff=True)
    lyon = TenantFactory(legal_name="Centre de médiation de Lyon")
    MembershipFactory.create_batch(2, tenant=lyon)
    sign_in(client, staff)

    listing = client.get("/staff/")
    assert listing.status_code == 200
    assert "Centre de médiation de Lyon" in listing.get_data(as_text=True)
    detail = client.get(f"/staff/tenants/{lyon.id}")
    assert detail.status_code == 200

    db.session.expire_all()
    reads = [
        event
        for event in db.session.scalars(
            select(SecurityEvent).where(SecurityEvent.action == "platform_scope")
        )
        # Creating the center queued the marketplace's listing refresh, audited too.
        if not event.details["reason"].startswith("marketplace:")
    ]
    assert {e.actor_id for e in reads} == {staff.id}
    assert any(e.tenant_id == lyon.id for e in reads)
    assert {e.details["reason"] for e in reads} >= {"staff: list of centers"}
