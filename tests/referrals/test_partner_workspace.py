"""The minimal partner workspace: its members see it, nobody else learns it exists."""

from __future__ import annotations

import pytest

from referrals import services
from referrals.models import PartnerKind, PartnerRole
from tenants.models import Role
from tests.factories import (
    MembershipFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    UserFactory,
)
from tests.tenants.helpers import sign_in


@pytest.fixture
def firm(app):
    partner = PartnerFactory(
        slug="cabinet-martin", name="Cabinet Martin Avocats", kind=PartnerKind.LAW_FIRM
    )
    admin = PartnerMembershipFactory(partner=partner, user=UserFactory(locale="en")).user
    referrer = PartnerMembershipFactory(
        partner=partner, user=UserFactory(name="Zoé Referrer"), role=PartnerRole.REFERRER
    ).user
    return partner, admin, referrer


def test_a_member_sees_the_partner_its_kind_and_members(client, firm):
    _partner, admin, referrer = firm
    sign_in(client, admin)
    response = client.get("/p/cabinet-martin/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Cabinet Martin Avocats" in page and "Law firm" in page
    assert admin.email in page and referrer.email in page and "Referrer" in page
    assert 'href="/p/cabinet-martin/referrals/new"' in page  # the portal's links


def test_non_members_and_other_partners_members_get_404(client, firm):
    other = PartnerMembershipFactory(partner=PartnerFactory(kind=PartnerKind.ASSOCIATION)).user
    sign_in(client, other)
    assert client.get("/p/cabinet-martin/").status_code == 404
    assert client.get("/p/no-such-partner/").status_code == 404
    assert client.get(f"/p/{'x' * 300}/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, firm):
    response = client.get("/p/cabinet-martin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_removed_partner_member_is_refused_on_the_next_request(client, firm):
    from core.db import db
    from referrals.models import PartnerMembership

    partner, admin, _referrer = firm
    sign_in(client, admin)
    assert client.get("/p/cabinet-martin/").status_code == 200
    db.session.delete(db.session.get(PartnerMembership, _membership_id(partner, admin)))
    db.session.commit()
    assert client.get("/p/cabinet-martin/").status_code == 404


def _membership_id(partner, user):
    return next(m.id for m in services.members(partner.id) if m.user_id == user.id)


def test_my_workspaces_lists_centers_and_partners(client, firm):
    _partner, admin, _referrer = firm
    center = MembershipFactory(user=admin, role=Role.MEDIATOR).tenant
    workspaces = {(w.kind, w.slug, w.role) for w in services.list_workspaces(admin)}
    assert workspaces == {("partner", "cabinet-martin", "admin")}
    sign_in(client, admin)
    page = client.get("/account/workspaces").get_data(as_text=True)
    assert "Cabinet Martin Avocats" in page and center.legal_name in page
