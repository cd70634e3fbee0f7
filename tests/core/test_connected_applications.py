"""Connected applications: a person sees what they allowed through the consent page and
withdraws it; the application's refresh token is then refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import OAuthTokenFactory, UserFactory
from tests.oauth import authorization_code_tokens, register
from tests.tenants.helpers import make_center, sign_in


@pytest.fixture
def page_language() -> str:
    return "en"


@pytest.fixture
def center(app):
    return make_center(legal_name="Centre de médiation de Nantes")


@pytest.fixture
def person(app):
    return UserFactory(locale="en")


def _refresh(client, registered, refresh_token: str):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return client.post("/oauth/token", data=data, auth=registered.auth)


def test_the_page_lists_the_applications_a_person_allowed(client, center, person):
    allowed = register("tenant", center.tenant.id, name="CaseBook Pro")
    register("tenant", center.tenant.id, name="Never Asked")
    sign_in(client, person)
    authorization_code_tokens(client, allowed)

    response = client.get("/account/applications")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "CaseBook Pro" in page and "Never Asked" not in page
    assert "Registered by Centre de médiation de Nantes" in page
    assert (
        "Read and edit your mediator profile, training and certifications, and see the centers "
        "and organisations you belong to"
    ) in page
    assert "Read the referrals" not in page  # registered, but not granted by this person
    assert "/account/applications" in client.get("/account/settings").get_data(as_text=True)


def test_withdrawing_an_access_revokes_its_tokens(client, clock, center, person):
    registered = register("tenant", center.tenant.id, name="CaseBook Pro")
    sign_in(client, person)
    tokens = authorization_code_tokens(client, registered)
    url = f"/account/applications/{registered.client.id}/revoke"
    me = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/v1/me", headers=me).status_code == 200  # the API's cache loads

    response = client.post_form(url)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/applications"
    page = client.get("/account/applications").get_data(as_text=True)
    assert "CaseBook Pro no longer has access to your account." in page
    assert "No application has access to your account." in page

    refused = _refresh(client, registered, tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.json["error"] == "invalid_grant"
    assert client.post_form(url).status_code == 404  # nothing left to withdraw

    # The access token goes within the revocation cache's lifetime (60 s).
    clock.advance(timedelta(seconds=59))
    assert client.get("/api/v1/me", headers=me).status_code == 200
    clock.advance(timedelta(seconds=1))
    assert client.get("/api/v1/me", headers=me).status_code == 401


def test_an_application_not_allowed_by_this_person_is_missing(client, center, person):
    someone_elses = register("tenant", center.tenant.id)
    other = UserFactory(locale="en")
    OAuthTokenFactory(
        client_pk=someone_elses.client.id,
        user_id=other.id,
        grant_type="authorization_code",
        scope="profile",
    )
    never_asked = register("tenant", center.tenant.id)
    sign_in(client, person)
    for registered in (someone_elses, never_asked):
        url = f"/account/applications/{registered.client.id}/revoke"
        assert client.post_form(url).status_code == 404
    assert "Test integration" not in client.get("/account/applications").get_data(as_text=True)


def test_a_person_must_be_signed_in(client, center):
    registered = register("tenant", center.tenant.id)
    page = client.get("/account/applications")
    assert page.status_code in (302, 303) and "/login" in page.headers["Location"]
    url = f"/account/applications/{registered.client.id}/revoke"
    assert client.post_form(url).status_code == 401
