"""A partner's API clients: registration with the organisation's scopes and the secret
shown once, a token from the real token endpoint, rotation with its grace period,
disabling and enabling, and who may see what (administrators only; another partner's
client, or a center's, is missing)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from core.db import Base, db
from core.oauth.clients import SECRET_GRACE
from core.oauth.models import OAuthClient
from core.oauth.scopes import organisation_scopes
from tests.bad_input import PageErrors
from tests.oauth import register
from tests.referrals.partner_helpers import make_partner, security_events
from tests.tenants.helpers import make_center, sign_in

SECRET = re.compile(r'id="client-secret"[^>]*>([^<]+)<')
CLIENT_ID = re.compile(r'id="client-id"[^>]*>([^<]+)<')

SERVER_CLIENT = {
    "name": "Logiciel du cabinet",
    "client_type": "confidential",
    "grant_types": ["client_credentials"],
    "scopes": ["referrals:read", "referrals:write", "webhooks:manage"],
    "redirect_uris": "",
}


@pytest.fixture
def org(app):
    return make_partner(name="Association Médiation Ouest")


def _token(client, client_id: str, secret: str, scope: str | None = None):
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    return client.post("/oauth/token", data=data, auth=(client_id, secret))


def _clients_of(org) -> list[OAuthClient]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(OAuthClient).where(OAuthClient.owner_id == org.partner.id))
    )


def _every_stored_value(engine) -> str:
    with engine.connect() as conn:
        rows = [
            str(dict(row))
            for table in Base.metadata.sorted_tables
            for row in conn.execute(table.select()).mappings()
        ]
    return "\n".join(rows)


def _create(client, org, **changes):
    return client.post_form(org.url("integrations/new"), {**SERVER_CLIENT, **changes})


def test_a_new_client_gets_tokens_with_partner_scopes_and_its_secret_shows_once(
    client, org, owner_engine
):
    sign_in(client, org.admin)
    form = client.get(org.url("integrations/new")).get_data(as_text=True)
    offered = set(re.findall(r'name="scopes"[^>]*value="([^"]+)"', form))
    assert offered == set(organisation_scopes("partner"))
    assert "mediators:read" not in offered and "profile" not in offered

    response = _create(client, org)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "it will not be shown again" in page
    secret, client_id = SECRET.search(page).group(1), CLIENT_ID.search(page).group(1)
    (registered,) = _clients_of(org)
    assert (registered.owner_kind, registered.client_id) == ("partner", client_id)
    assert registered.created_by == org.admin.id
    assert registered.scopes == ["referrals:read", "referrals:write", "webhooks:manage"]
    assert [e.action for e in security_events(org.partner, "oauth_client.")] == [
        "oauth_client.created"
    ]

    stored = _every_stored_value(owner_engine)
    assert client_id in stored and secret not in stored and secret[4:] not in stored

    token = _token(client, client_id, secret, "referrals:read referrals:write")
    assert token.status_code == 200, token.get_data(as_text=True)
    assert token.json["scope"] == "referrals:read referrals:write"
    listed = client.get(
        "/api/v1/referrals", headers={"Authorization": f"Bearer {token.json['access_token']}"}
    )
    assert listed.status_code == 200
    refused = _token(client, client_id, secret, "mediators:read")
    assert refused.status_code == 400 and refused.json["error"] == "invalid_scope"

    listing = client.get(org.url("integrations")).get_data(as_text=True)
    assert "Logiciel du cabinet" in listing and client_id in listing
    assert secret[-4:] in listing and secret not in listing
    detail = client.get(org.url(f"integrations/{registered.id}")).get_data(as_text=True)
    assert client_id in detail and secret not in detail


def test_a_public_client_has_no_secret_to_show_or_rotate(client, org):
    sign_in(client, org.admin)
    response = _create(
        client,
        org,
        name="Application mobile",
        client_type="public",
        grant_types=["authorization_code", "refresh_token"],
        scopes=["referrals:read"],
        redirect_uris="https://app.example.org/callback",
    )
    (registered,) = _clients_of(org)
    assert response.status_code == 303
    assert response.headers["Location"] == org.url(f"integrations/{registered.id}")
    assert not registered.confidential and registered.secrets == []
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Application mobile is registered." in page and "Create a new secret" not in page
    rotated = client.post_form(org.url(f"integrations/{registered.id}/rotate-secret"))
    assert rotated.status_code == 422
    assert "A public client has no secret." in rotated.get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"scopes": ["mediators:read"]}, "scopes", "is not a valid choice"),
        ({"scopes": ["profile"]}, "scopes", "is not a valid choice"),
        ({"scopes": []}, "scopes", "Choose at least one scope"),
        ({"client_type": "public"}, "grant_types", "need a confidential client"),
        (
            {"grant_types": ["authorization_code"], "redirect_uris": "http://example.org/cb"},
            "redirect_uris",
            "is not accepted: use an absolute https:// URL",
        ),
        ({"name": "   "}, "name", "This field is required"),
        ({"name": "x" * 101}, "name", "Field cannot be longer than 100 characters"),
    ],
)
def test_a_refused_registration_shows_the_error_on_its_field_and_writes_nothing(
    client, org, changes, field, message
):
    sign_in(client, org.admin)
    response = _create(client, org, **changes)
    assert response.status_code == 422
    shown = PageErrors(response.get_data(as_text=True)).field_error(field)
    assert shown is not None and message in shown, shown
    assert _clients_of(org) == []
    assert security_events(org.partner, "oauth_client.") == []


def test_a_rotated_secret_stays_valid_for_the_grace_period_only(client, org, clock):
    registered = register("partner", org.partner.id, scopes=["referrals:read"])
    old = registered.secret
    sign_in(client, org.admin)
    response = client.post_form(org.url(f"integrations/{registered.client.id}/rotate-secret"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The previous secret stays valid for 24 hours" in page
    new = SECRET.search(page).group(1)
    assert new != old
    assert _token(client, registered.client_id, old).status_code == 200
    assert _token(client, registered.client_id, new).status_code == 200
    clock.advance(SECRET_GRACE + timedelta(seconds=1))
    assert _token(client, registered.client_id, old).status_code == 401
    assert _token(client, registered.client_id, new).status_code == 200
    assert "oauth_client.secret_rotated" in [e.action for e in security_events(org.partner)]


def test_a_disabled_client_gets_no_token_until_it_is_enabled(client, org):
    registered = register("partner", org.partner.id, scopes=["referrals:read"])
    sign_in(client, org.admin)
    detail = org.url(f"integrations/{registered.client.id}")
    response = client.post_form(f"{detail}/disable")
    assert response.status_code == 303 and response.headers["Location"] == detail
    assert "can no longer get tokens" in client.get(detail).get_data(as_text=True)
    refused = _token(client, registered.client_id, registered.secret)
    assert refused.status_code in (400, 401) and refused.json["error"] == "invalid_client"
    assert client.post_form(f"{detail}/enable").status_code == 303
    assert _token(client, registered.client_id, registered.secret).status_code == 200
    actions = [e.action for e in security_events(org.partner, "oauth_client.")]
    assert "oauth_client.disabled" in actions and "oauth_client.enabled" in actions


def test_referrers_are_refused_the_integration_pages(client, org):
    registered = register("partner", org.partner.id, scopes=["referrals:read"])
    sign_in(client, org.referrer)
    detail = org.url(f"integrations/{registered.client.id}")
    for url in (org.url("integrations"), org.url("integrations/new"), detail):
        assert client.get(url).status_code == 403, url
    for action in ("rotate-secret", "disable", "enable"):
        assert client.post_form(f"{detail}/{action}").status_code == 403, action
    assert client.post_form(org.url("integrations/new"), SERVER_CLIENT).status_code == 403
    assert _clients_of(org) == [registered.client]
    assert registered.client.disabled_at is None
    dashboard = client.get(org.url()).get_data(as_text=True)
    assert "/integrations" not in dashboard and org.url("members") in dashboard


def test_another_partners_clients_and_a_centers_are_missing(client, org, owner_engine):
    registered = register("partner", org.partner.id, scopes=["referrals:read"])
    center_client = register("tenant", make_center().tenant.id).client
    other = make_partner()
    sign_in(client, other.admin)
    assert client.get(org.url("integrations")).status_code == 404
    assert client.post_form(org.url("integrations/new"), SERVER_CLIENT).status_code == 404
    for foreign in (registered.client.id, center_client.id):
        for base in (org, other):
            url = base.url(f"integrations/{foreign}")
            assert client.get(url).status_code == 404, url
            for action in ("rotate-secret", "disable", "enable"):
                assert client.post_form(f"{url}/{action}").status_code == 404, (url, action)
    assert registered.client.name not in client.get(other.url("integrations")).get_data(
        as_text=True
    )
    with owner_engine.connect() as conn:
        disabled = conn.execute(text("SELECT disabled_at FROM oauth_clients")).scalars().all()
    assert disabled == [None, None]
    assert _token(client, registered.client_id, registered.secret).status_code == 200


def test_the_administrators_navigation_leads_to_the_pages(client, org):
    sign_in(client, org.admin)
    dashboard = client.get(org.url()).get_data(as_text=True)
    assert f'href="{org.url("integrations")}"' in dashboard
    assert f'href="{org.url("members")}"' in dashboard
    empty = client.get(org.url("integrations")).get_data(as_text=True)
    assert "The organisation has no API client yet." in empty
