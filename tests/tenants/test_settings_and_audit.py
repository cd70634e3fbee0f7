"""Center settings, the dashboard, and the audit log with its filters and pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from core.db import db
from tenants.models import Role, Tenant
from tests.factories import AuditEventFactory, MembershipFactory
from tests.tenants.helpers import audit_rows, make_center, sign_in

SETTINGS = {
    "legal_name": "Centre de Médiation de Grenoble",
    "registration_number": "53298471300018",
    "city": "Bordeaux",
    "country": "FR",
    "locale": "en",
    "timezone": "America/Montreal",
}


@pytest.fixture
def center(app):
    return make_center()


def _tenant(center) -> Tenant:
    db.session.expire_all()
    return db.session.get(Tenant, center.tenant.id)


def test_settings_are_saved_and_audited_with_what_changed(client, center):
    sign_in(client, center.owner)
    assert client.get(center.url("settings")).status_code == 200
    response = client.post_form(center.url("settings"), SETTINGS)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/c/{center.slug}/settings"
    tenant = _tenant(center)
    assert (tenant.legal_name, tenant.locale, tenant.timezone) == (
        "Centre de Médiation de Grenoble",
        "en",
        "America/Montreal",
    )
    (event,) = audit_rows(center.tenant, "center.updated")
    assert event.actor_id == center.owner.id
    assert event.details["timezone"] == {"from": "Europe/Paris", "to": "America/Montreal"}
    # Saving the same values again changes nothing and audits nothing.
    assert client.post_form(center.url("settings"), SETTINGS).status_code == 303
    assert len(audit_rows(center.tenant, "center.updated")) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"registration_number": "53298471300019"},
        {"timezone": "Nowhere/Town"},
        {"country": "ZZ"},
        {"legal_name": "x" * 201},
        {"locale": "xx"},
    ],
)
def test_bad_settings_are_a_422_and_change_nothing(client, center, changes):
    sign_in(client, center.admin)
    assert client.post_form(center.url("settings"), {**SETTINGS, **changes}).status_code == 422
    assert _tenant(center).legal_name == center.tenant.legal_name
    assert audit_rows(center.tenant, "center.updated") == []


def test_case_managers_cannot_change_settings_or_read_the_audit_log(client, center):
    sign_in(client, center.case_manager)
    assert client.post_form(center.url("settings"), SETTINGS).status_code == 403
    assert client.get(center.url("audit")).status_code == 403
    assert _tenant(center).legal_name == center.tenant.legal_name


def test_requiring_two_factor_sends_admins_without_it_to_set_it_up(client, center):
    sign_in(client, center.owner)
    data = {**SETTINGS, "require_2fa_for_admins": "y"}
    assert client.post_form(center.url("settings"), data).status_code == 303
    assert _tenant(center).require_2fa_for_admins
    response = client.get(center.url())
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/two-factor")
    # A case manager is not concerned.
    other = client.application.test_client()
    sign_in(other, center.case_manager)
    assert other.get(center.url()).status_code == 200


def test_the_dashboard_summarises_the_center(client, center):
    MembershipFactory.create_batch(3, tenant=center.tenant, role=Role.MEDIATOR)
    sign_in(client, center.admin)
    client.post_form(center.url("invitations"), {"email": "new@example.org", "role": "viewer"})
    page = client.get(center.url()).get_data(as_text=True)
    assert center.tenant.legal_name in page
    assert re.search(r"Mediator: <strong>3</strong>", page)
    assert "new@example.org" in page  # pending invitation
    assert "Invitation sent</strong> · new@example.org (Viewer)" in page  # recent activity
    AuditEventFactory(tenant=center.tenant, action="center.created", details={})
    page = client.get(center.url()).get_data(as_text=True)
    assert "Center created</strong></span>" in page  # nothing to add: no dangling separator
    mediator = client.application.test_client()
    mediator.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(mediator, center.case_manager)
    page = mediator.get(center.url()).get_data(as_text=True)
    assert "Invitation sent" not in page and "Recent activity" not in page


def test_the_audit_log_pages_by_fifty_newest_first_in_the_center_time_zone(client, center, clock):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for n in range(60):
        AuditEventFactory(
            tenant=center.tenant,
            actor_id=center.owner.id,
            action="member.role_changed",
            details={"name": f"Person {n:02d}", "from": "viewer", "to": "mediator"},
            created_at=start + timedelta(minutes=n),
        )
    sign_in(client, center.admin)
    first = client.get(center.url("audit")).get_data(as_text=True)
    names = re.findall(r"Person (\d\d)", first)
    assert names == [f"{n:02d}" for n in range(59, 9, -1)]
    assert center.owner.name in first and "Role changed" in first
    # 09:59 UTC is 10:59 in Paris (winter time).
    assert "10:59" in first
    older = re.search(r'href="([^"]*before=[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert re.findall(r"Person (\d\d)", second) == [f"{n:02d}" for n in range(9, -1, -1)]
    assert "Older events" not in second  # no older page


def test_events_written_in_the_same_instant_are_neither_skipped_nor_repeated(client, center):
    # One request can write several events with the same timestamp; the page boundary
    # can fall among them.
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for n in range(55):
        AuditEventFactory(
            tenant=center.tenant,
            action="member.removed",
            details={"name": f"Person {n:02d}"},
            created_at=at,
        )
    sign_in(client, center.owner)
    first = client.get(center.url("audit")).get_data(as_text=True)
    older = re.search(r'href="([^"]*before=[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    seen = re.findall(r"Person (\d\d)", first) + re.findall(r"Person (\d\d)", second)
    assert sorted(seen) == [f"{n:02d}" for n in range(55)]


def test_the_audit_log_filters_by_action_member_and_dates(client, center):
    old = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    later = old + timedelta(days=5)
    for actor, action, details, at in (
        (center.owner, "member.removed", {"name": "Old removal"}, old),
        (center.admin, "member.removed", {"name": "Admin removal"}, later),
        (center.owner, "center.updated", {"legal_name": {}}, later),
    ):
        AuditEventFactory(
            tenant=center.tenant, action=action, actor_id=actor.id, details=details, created_at=at
        )
    sign_in(client, center.owner)

    def shown(**query):
        page = client.get(center.url("audit"), query_string=query)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        return [n for n in ("Old removal", "Admin removal", "legal name") if n in text]

    assert shown() == ["Old removal", "Admin removal", "legal name"]
    assert shown(action="member.removed") == ["Old removal", "Admin removal"]
    assert shown(member=str(center.admin.id)) == ["Admin removal"]
    assert shown(since="2026-01-15") == ["Admin removal", "legal name"]
    assert shown(until="2026-01-10") == ["Old removal"]  # the end date is inclusive


@pytest.mark.parametrize(
    "query",
    [
        {"since": "yesterday"},
        {"member": "not-a-member"},
        {"action": "drop.tables"},
        {"before": "2026-13-45T99:00"},  # not an event id
        {"before": "00000000-0000-4000-8000-000000000000"},  # no such event here
        {"since": "2026-02-01", "until": "2026-01-01"},
    ],
)
def test_bad_audit_filters_are_a_422(client, center, query):
    sign_in(client, center.owner)
    assert client.get(center.url("audit"), query_string=query).status_code == 422


def test_another_center_audit_events_never_show(client, center):
    other = make_center()
    AuditEventFactory(tenant=other.tenant, action="member.removed", details={"name": "Secret"})
    sign_in(client, center.owner)
    assert "Secret" not in client.get(center.url("audit")).get_data(as_text=True)
    assert client.get(other.url("audit")).status_code == 404
