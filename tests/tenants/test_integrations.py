"""A center's API clients: registration with the secret shown once, field errors,
secret rotation with its grace period, disabling, and who may see what."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from core.db import Base, db
from core.oauth.clients import SECRET_GRACE
from core.oauth.models import OAuthClient
from tests.bad_input import PageErrors
from tests.oauth import register
from tests.tenants.helpers import audit_actions, make_center, sign_in

SECRET = re.compile(r'id="client-secret"[^>]*>([^<]+)<')
CLIENT_ID = re.compile(r'id="client-id"[^>]*>([^<]+)<')

SERVER_CLIENT = {
    "name": "CaseBook Pro",
    "client_type": "confidential",
    "grant_types": ["client_credentials"],
    "scopes": ["referrals:read", "mediators:read"],
    "redirect_uris": "",
}


@pytest.fixture
def center(app):
    return make_center()


def _token(client, client_id: str, secret: str):
    data = {"grant_type": "client_credentials"}
    return client.post("/oauth/token", data=data, auth=(client_id, secret))


def _clients_of(center) -> list[OAuthClient]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(OAuthClient).where(OAuthClient.owner_id == center.tenant.id))
    )


def _every_stored_value(engine) -> str:
    with engine.connect() as conn:
        rows = [
            str(dict(row))
            for table in Base.metadata.sorted_tables
            for row in conn.execute(table.select()).mappings()
        ]
    return "\n".join(rows)


def _create(client, center, **changes):
    return client.post_form(center.url("integrations/new"), {**SERVER_CLIENT, **changes})


def test_a_new_client_shows_its_secret_once_and_stores_only_a_hash(client, center, owner_engine):
    sign_in(client, center.admin)
    assert client.get(center.url("integrations/new")).status_code == 200

    response = _create(client, center)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "it will not be shown again" in page
    secret, client_id = SECRET.search(page).group(1), CLIENT_ID.search(page).group(1)
    (registered,) = _clients_of(center)
    assert registered.client_id == client_id
    assert registered.created_by == center.admin.id
    assert registered.scopes == ["referrals:read", "mediators:read"]
    assert "oauth_client.created" in audit_actions(center.tenant)

    stored = _every_stored_value(owner_engine)
    assert client_id in stored
    assert secret not in stored and secret[4:] not in stored
    assert _token(client, client_id, secret).status_code == 200

    listing = client.get(center.url("integrations")).get_data(as_text=True)
    assert "CaseBook Pro" in listing and client_id in listing
    assert secret[-4:] in listing and secret not in listing
    assert "/.well-known/oauth-authorization-server" in listing and "/api/openapi.json" in listing
    detail = client.get(center.url(f"integrations/{registered.id}")).get_data(as_text=True)
    assert client_id in detail and secret not in detail


def test_a_public_client_has_no_secret_to_show(client, center):
    sign_in(client, center.owner)
    response = _create(
        client,
        center,
        name="Mobile app",
        client_type="public",
        grant_types=["authorization_code", "refresh_token"],
        scopes=["profile", "referrals:read"],
        redirect_uris="https://app.example.org/callback\r\nhttp://127.0.0.1:8400/done",
    )
    (registered,) = _clients_of(center)
    assert response.status_code == 303
    assert response.headers["Location"] == center.url(f"integrations/{registered.id}")
    assert not registered.confidential and registered.secrets == []
    assert registered.redirect_uris == [
        "https://app.example.org/callback",
        "http://127.0.0.1:8400/done",
    ]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Mobile app is registered." in page
    assert "Create a new secret" not in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {
                "grant_types": ["authorization_code"],
                "scopes": ["profile"],
                "redirect_uris": "http://app.example.org/callback",
            },
            "redirect_uris",
            "is not accepted: use an absolute https:// URL",
        ),
        (
            {"grant_types": ["authorization_code"], "scopes": ["profile"]},
            "redirect_uris",
            "needs at least one redirect URI",
        ),
        ({"client_type": "public"}, "grant_types", "need a confidential client"),
        ({"scopes": ["profile"]}, "scopes", "needs the authorization code grant"),
        ({"scopes": []}, "scopes", "Choose at least one scope"),
        ({"name": "   "}, "name", "This field is required"),
    ],
)
def test_a_refused_registration_shows_the_error_on_its_field(
    client, center, changes, field, message
):
    sign_in(client, center.owner)
    response = _create(client, center, **changes)
    assert response.status_code == 422
    shown = PageErrors(response.get_data(as_text=True)).field_error(field)
    assert shown is not None and message in shown
    assert _clients_of(center) == []


def test_a_rotated_secret_stays_valid_for_the_grace_period_only(client, center, clock):
    registered = register("tenant", center.tenant.id)
    old = registered.secret
    sign_in(client, center.owner)

    response = client.post_form(center.url(f"integrations/{registered.client.id}/rotate-secret"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "it will not be shown again" in page
    assert "The previous secret stays valid for 24 hours" in page
    new = SECRET.search(page).group(1)
    assert new != old
    assert "oauth_client.secret_rotated" in audit_actions(center.tenant)

    assert _token(client, registered.client_id, old).status_code == 200
    assert _token(client, registered.client_id, new).status_code == 200
    detail = client.get(center.url(f"integrations/{registered.client.id}"))
    assert old[-4:] in detail.get_data(as_text=True)  # still live, with its end shown

    clock.advance(SECRET_GRACE + timedelta(seconds=1))
    refused = _token(client, registered.client_id, old)
    assert refused.status_code == 401
    assert refused.json["error"] == "invalid_client"
    assert _token(client, registered.client_id, new).status_code == 200


def test_a_disabled_client_gets_no_token_until_it_is_enabled(client, center):
    registered = register("tenant", center.tenant.id)
    sign_in(client, center.admin)
    detail = center.url(f"integrations/{registered.client.id}")

    response = client.post_form(f"{detail}/disable")
    assert response.status_code == 303
    assert response.headers["Location"] == detail
    assert "can no longer get tokens" in client.get(detail).get_data(as_text=True)
    refused = _token(client, registered.client_id, registered.secret)
    assert refused.status_code in (400, 401)
    assert refused.json["error"] == "invalid_client"

    response = client.post_form(f"{detail}/enable")
    assert response.status_code == 303
    assert _token(client, registered.client_id, registered.secret).status_code == 200
    actions = audit_actions(center.tenant)
    assert "oauth_client.disabled" in actions and "oauth_client.enabled" in actions


def test_a_public_client_has_no_secret_to_rotate(client, center):
    registered = register("tenant", center.tenant.id, confidential=False)
    sign_in(client, center.owner)
    response = client.post_form(center.url(f"integrations/{registered.client.id}/rotate-secret"))
    assert response.status_code == 422
    assert "A public client has no secret." in response.get_data(as_text=True)


def test_case_managers_are_refused_the_integration_pages(client, center):
    registered = register("tenant", center.tenant.id)
    sign_in(client, center.case_manager)
    detail = center.url(f"integrations/{registered.client.id}")
    for url in (center.url("integrations"), center.url("integrations/new"), detail):
        assert client.get(url).status_code == 403, url
    for action in ("rotate-secret", "disable"):
        assert client.post_form(f"{detail}/{action}").status_code == 403
    assert client.post_form(center.url("integrations/new"), SERVER_CLIENT).status_code == 403
    assert _clients_of(center) == [registered.client]
    assert "Connect your software" not in client.get(center.url()).get_data(as_text=True)


def test_another_centers_clients_are_missing(client, center, owner_engine):
    registered = register("tenant", center.tenant.id)
    other = make_center()
    sign_in(client, other.owner)
    # This center's pages, and its client seen from the other center's own workspace.
    assert client.get(center.url("integrations")).status_code == 404
    foreign = other.url(f"integrations/{registered.client.id}")
    assert client.get(foreign).status_code == 404
    for action in ("rotate-secret", "disable"):
        assert client.post_form(f"{foreign}/{action}").status_code == 404
    assert registered.client.name not in client.get(other.url("integrations")).get_data(
        as_text=True
    )
    with owner_engine.connect() as conn:
        disabled = conn.execute(text("SELECT disabled_at FROM oauth_clients")).scalar_one()
    assert disabled is None
    assert _token(client, registered.client_id, registered.secret).status_code == 200


def test_the_form_and_the_registration_rules_show_their_errors_together(client, center):
    sign_in(client, center.owner)
    response = _create(client, center, client_type="public", scopes=["not-a-scope"])
    assert response.status_code == 422
    page = PageErrors(response.get_data(as_text=True))
    assert "not a valid choice" in page.field_error("scopes")
    assert "need a confidential client" in page.field_error("grant_types")


def test_a_redirect_uri_that_is_not_a_url_is_a_field_error(client, center):
    sign_in(client, center.owner)
    response = _create(
        client,
        center,
        grant_types=["authorization_code"],
        scopes=["profile"],
        redirect_uris="https://[not-an-address/callback",
    )
    assert response.status_code == 422
    shown = PageErrors(response.get_data(as_text=True)).field_error("redirect_uris")
    assert shown is not None and "is not accepted" in shown
