"""Members and roles: who may change what, effective on the very next request."""

from __future__ import annotations

import uuid

import pytest

from tenants.models import Role
from tests.factories import MembershipFactory, UserFactory
from tests.tenants.helpers import audit_rows, make_center, membership_of, sign_in


@pytest.fixture
def center(app):
    return make_center()


def _role_url(center, user) -> str:
    return center.url(f"members/{membership_of(center.tenant, user).id}/role")


def _remove_url(center, user) -> str:
    return center.url(f"members/{membership_of(center.tenant, user).id}/remove")


def test_the_members_page_lists_members_with_their_roles(client, center):
    sign_in(client, center.admin)
    page = client.get(center.url("members")).get_data(as_text=True)
    for person in (center.owner, center.admin, center.case_manager):
        assert person.email in page
    assert "Case manager" in page and "Administrator" in page


def test_case_managers_cannot_open_the_members_page(client, center):
    sign_in(client, center.case_manager)
    assert client.get(center.url()).status_code == 200
    assert client.get(center.url("members")).status_code == 403
    assert client.post_form(_remove_url(center, center.admin)).status_code == 403


def test_a_role_change_applies_on_the_next_request_and_is_audited(client, center):
    sign_in(client, center.case_manager)
    assert client.get(center.url("members")).status_code == 403

    admin = client.application.test_client()
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(admin, center.admin)
    response = admin.post_form(_role_url(center, center.case_manager), {"role": "admin"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/c/{center.slug}/members"
    assert "role is saved" in admin.get(response.headers["Location"]).get_data(as_text=True)

    assert membership_of(center.tenant, center.case_manager).role == Role.ADMIN
    assert client.get(center.url("members")).status_code == 200  # same session, new role
    (event,) = audit_rows(center.tenant, "member.role_changed")
    assert event.actor_id == center.admin.id
    assert event.details == {
        "name": center.case_manager.name,
        "from": "case_manager",
        "to": "admin",
    }


def test_a_removed_member_is_refused_on_their_next_request(client, center):
    sign_in(client, center.case_manager)
    assert client.get(center.url()).status_code == 200

    owner = client.application.test_client()
    sign_in(owner, center.owner)
    assert owner.post_form(_remove_url(center, center.case_manager)).status_code == 303

    assert membership_of(center.tenant, center.case_manager) is None
    assert client.get(center.url()).status_code == 404
    (event,) = audit_rows(center.tenant, "member.removed")
    assert event.actor_id == center.owner.id
    assert event.details["email"] == center.case_manager.email


def test_nobody_changes_their_own_role_or_removes_themselves(client, center):
    MembershipFactory(tenant=center.tenant, role=Role.OWNER)  # not the last owner
    sign_in(client, center.owner)
    response = client.post_form(_role_url(center, center.owner), {"role": "admin"})
    assert response.status_code == 422
    assert "You cannot change your own role" in response.get_data(as_text=True)
    assert client.post_form(_remove_url(center, center.owner)).status_code == 422
    assert membership_of(center.tenant, center.owner).role == Role.OWNER
    assert audit_rows(center.tenant, "member.role_changed") == []


def test_only_an_owner_grants_or_removes_the_owner_role(client, center):
    sign_in(client, center.admin)
    promote = client.post_form(_role_url(center, center.case_manager), {"role": "owner"})
    assert promote.status_code == 422
    assert "Only an owner can grant or remove the owner role" in promote.get_data(as_text=True)
    second_owner = MembershipFactory(tenant=center.tenant, role=Role.OWNER).user
    assert client.post_form(_role_url(center, second_owner), {"role": "viewer"}).status_code == 422
    assert client.post_form(_remove_url(center, second_owner)).status_code == 422
    assert membership_of(center.tenant, center.case_manager).role == Role.CASE_MANAGER
    assert membership_of(center.tenant, second_owner).role == Role.OWNER

    owner = client.application.test_client()
    sign_in(owner, center.owner)
    assert owner.post_form(_role_url(center, center.admin), {"role": "owner"}).status_code == 303
    assert membership_of(center.tenant, center.admin).role == Role.OWNER
    assert owner.post_form(_remove_url(center, second_owner)).status_code == 303
    assert membership_of(center.tenant, second_owner) is None


def test_the_last_owner_cannot_be_demoted_or_removed(app, center):
    from core.tenancy import tenant_scope
    from tenants import services

    # Through the service (the page never offers it: nobody edits themselves, and only
    # owners touch owners), with a second owner who then leaves.
    second = MembershipFactory(tenant=center.tenant, role=Role.OWNER).user
    with app.test_request_context(), tenant_scope(center.tenant.id):
        services.change_role(second.id, membership_of(center.tenant, center.owner).id, Role.ADMIN)
    target = membership_of(center.tenant, second).id
    english = app.test_request_context(headers={"Accept-Language": "en"})  # for `match`
    with english, tenant_scope(center.tenant.id):
        with pytest.raises(services.RuleError, match="at least one owner"):
            services.change_role(center.owner.id, target, Role.ADMIN)
        with pytest.raises(services.RuleError, match="at least one owner"):
            services.remove_member(center.admin.id, target)
    assert membership_of(center.tenant, second).role == Role.OWNER


def test_the_last_owner_rule_through_the_pages(client, center):
    # Two owners: one demotes the other, who then cannot demote the last one.
    english = UserFactory(locale="en")  # the assertions read English
    second = MembershipFactory(tenant=center.tenant, role=Role.OWNER, user=english).user
    sign_in(client, center.owner)
    assert client.post_form(_role_url(center, second), {"role": "admin"}).status_code == 303
    other = client.application.test_client()
    sign_in(other, second)
    assert other.get(center.url("members")).status_code == 200  # admin now
    refused = other.post_form(_role_url(center, center.owner), {"role": "admin"})
    assert refused.status_code == 422
    assert "A center keeps at least one owner" in refused.get_data(as_text=True)
    assert other.post_form(_remove_url(center, center.owner)).status_code == 422
    # The sole owner cannot step down either.
    alone = client.post_form(_role_url(center, center.owner), {"role": "admin"})
    assert "A center keeps at least one owner" in alone.get_data(as_text=True)
    assert membership_of(center.tenant, center.owner).role == Role.OWNER


@pytest.mark.parametrize("role", ["", "superuser", "OWNER"])
def test_an_unknown_role_is_a_422(client, center, role):
    sign_in(client, center.owner)
    assert client.post_form(_role_url(center, center.admin), {"role": role}).status_code == 422
    assert membership_of(center.tenant, center.admin).role == Role.ADMIN


def test_unknown_and_foreign_member_ids_are_404_and_change_nothing(client, center):
    other = make_center()
    sign_in(client, center.admin)
    foreign = membership_of(other.tenant, other.case_manager).id
    for path in (f"members/{foreign}/role", f"members/{uuid.uuid4()}/role"):
        assert client.post_form(center.url(path), {"role": "viewer"}).status_code == 404
    for path in (f"members/{foreign}/remove", f"members/{uuid.uuid4()}/remove"):
        assert client.post_form(center.url(path)).status_code == 404
    assert client.post_form(center.url("members/not-a-uuid/remove")).status_code == 404
    assert membership_of(other.tenant, other.case_manager).role == Role.CASE_MANAGER
    # And B's pages themselves are not A's admin's to see.
    assert client.get(other.url("members")).status_code == 404
    assert audit_rows(other.tenant, "member.removed") == []


def test_a_member_of_two_centers_has_a_role_in_each(client, center):
    person = UserFactory()
    other = make_center()
    MembershipFactory(tenant=center.tenant, user=person, role=Role.MEDIATOR)
    MembershipFactory(tenant=other.tenant, user=person, role=Role.ADMIN)
    sign_in(client, person)
    assert client.get(center.url("members")).status_code == 403
    assert client.get(other.url("members")).status_code == 200
