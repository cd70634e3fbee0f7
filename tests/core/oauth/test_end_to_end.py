"""End to end: a real OAuth client library (Authlib's requests client) against the app
served by a real HTTP server on loopback (tests/browser/conftest.py's `live_server`,
no browser needed). The client configures itself from the server's metadata.

- client credentials: a token, then the API with it;
- the authorization code grant with PKCE (S256) through the consent page, a person
  signed in through the real /login form of a plain HTTP session, for a confidential
  and a public client: tokens, then /api/v1/me as that person;
- refresh rotation: a new refresh token each time, the used one refused after;
- revocation (RFC 7009) of the access token, then of the refresh token;
- introspection (RFC 7662) of live, revoked and foreign tokens.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.browser import conftest as browser_conftest
from tests.factories import (
    DEFAULT_PASSWORD,
    PartnerFactory,
    PartnerMembershipFactory,
    UserFactory,
)
from tests.oauth import REDIRECT_URI, Registered, register

live_server = browser_conftest.live_server  # the fixture: the app served on loopback
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TIMEOUT = 10


@dataclass
class World:
    """What the live server will be asked about: rows created, and committed, before
    the first request (the server runs the app in its own threads)."""

    partner: Any
    person: Any
    confidential: Registered
    public: Registered


@pytest.fixture
def world(app) -> World:
    partner = PartnerFactory()
    person = UserFactory(locale="en")
    PartnerMembershipFactory(partner=partner, user=person)
    return World(
        partner,
        person,
        register("partner", partner.id, name="Confidential integration"),
        register("partner", partner.id, confidential=False, name="Native app"),
    )


def metadata(base: str) -> dict[str, Any]:
    response = requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=TIMEOUT)
    assert response.status_code == 200
    return response.json()


def oauth_session(base: str, registered: Registered, **kwargs: Any) -> OAuth2Session:
    """Authlib's client, configured from the server's metadata."""
    found = metadata(base)
    auth_method = "client_secret_basic" if registered.secret else "none"
    return OAuth2Session(
        client_id=registered.client_id,
        client_secret=registered.secret,
        token_endpoint=found["token_endpoint"],
        revocation_endpoint=found["revocation_endpoint"],
        token_endpoint_auth_method=auth_method,
        revocation_endpoint_auth_method=auth_method,
        code_challenge_method="S256",
        redirect_uri=REDIRECT_URI,
        default_timeout=TIMEOUT,
        **kwargs,
    )


def signed_in_browser(base: str, person: Any) -> requests.Session:
    """A plain HTTP session signed in through the real /login form."""
    browser = requests.Session()
    page = browser.get(f"{base}/login", timeout=TIMEOUT)
    assert page.status_code == 200
    token = CSRF.search(page.text).group(1)
    answer = browser.post(
        f"{base}/login",
        data={"csrf_token": token, "email": person.email, "password": DEFAULT_PASSWORD},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 303, answer.text[:500]
    assert browser.get(f"{base}/account/workspaces", timeout=TIMEOUT).status_code == 200
    return browser


def consent(base: str, browser: requests.Session, session: OAuth2Session, scope: str) -> dict:
    """The authorization code grant with PKCE: the authorization URL the library builds,
    the consent page read and allowed, the redirect taken (not followed: it goes to the
    client), the code exchanged with the verifier."""
    verifier = generate_token(48)
    url, state = session.create_authorization_url(
        metadata(base)["authorization_endpoint"], code_verifier=verifier, scope=scope
    )
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [create_s256_code_challenge(verifier)]

    page = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    assert "wants to access your account" in page.text
    assert f'<code class="small text-muted">{scope}</code>' in page.text
    answer = browser.post(
        url,
        data={"csrf_token": CSRF.search(page.text).group(1), "decision": "allow"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302, answer.text[:500]
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    assert parse_qs(urlsplit(location).query)["state"] == [state]
    return session.fetch_token(authorization_response=location, state=state, code_verifier=verifier)


def get(base: str, path: str, access_token: str) -> requests.Response:
    return requests.get(
        f"{base}{path}", headers={"Authorization": f"Bearer {access_token}"}, timeout=TIMEOUT
    )


# --- client credentials --------------------------------------------------------------------


def test_client_credentials(live_server, world):
    session = oauth_session(live_server, world.confidential, scope="referrals:read")
    token = session.fetch_token(grant_type="client_credentials")

    assert token["token_type"] == "Bearer"
    assert token["scope"] == "referrals:read"
    assert 0 < token["expires_in"] <= 900
    assert "refresh_token" not in token  # RFC 6749 section 4.4.3
    answer = session.get(f"{live_server}/api/v1/organisation")
    assert answer.status_code == 200, answer.text
    assert answer.json()["organisation"]["id"] == str(world.partner.id)
    assert answer.json()["client"] == {
        "client_id": world.confidential.client_id,
        "name": "Confidential integration",
        "granted_scopes": ["referrals:read"],
        "registered_scopes": world.confidential.client.scopes,
    }
    # No person behind it: the route that acts for one refuses it.
    assert session.get(f"{live_server}/api/v1/me").status_code == 403


def test_client_credentials_with_a_wrong_secret_is_refused(live_server, world):
    session = oauth_session(live_server, world.confidential)
    session.client_secret = "mhs_not-the-secret"
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(grant_type="client_credentials")
    assert refused.value.error == "invalid_client"


# --- authorization code with PKCE, through the consent page ---------------------------------


@pytest.mark.parametrize("kind", ["confidential", "public"])
def test_authorization_code_with_pkce_through_the_consent_page(live_server, world, kind):
    registered = getattr(world, kind)
    browser = signed_in_browser(live_server, world.person)
    session = oauth_session(live_server, registered)

    token = consent(live_server, browser, session, "profile")

    assert token["token_type"] == "Bearer"
    assert token["scope"] == "profile"
    assert 0 < token["expires_in"] <= 900
    assert token["refresh_token"]
    me = session.get(f"{live_server}/api/v1/me")
    assert me.status_code == 200, me.text
    assert me.json()["id"] == str(world.person.id)
    assert me.json()["email"] == world.person.email
    assert [(m["kind"], m["id"]) for m in me.json()["memberships"]] == [
        ("partner", str(world.partner.id))
    ]
    # The browser's session cookie is no substitute for the token.
    assert browser.get(f"{live_server}/api/v1/me", timeout=TIMEOUT).status_code == 401


def test_denying_consent_redirects_with_access_denied_and_no_code(live_server, world):
    browser = signed_in_browser(live_server, world.person)
    session = oauth_session(live_server, world.confidential)
    url, state = session.create_authorization_url(
        metadata(live_server)["authorization_endpoint"],
        code_verifier=generate_token(48),
        scope="profile",
    )
    page = browser.get(url, timeout=TIMEOUT)
    answer = browser.post(
        url,
        data={"csrf_token": CSRF.search(page.text).group(1), "decision": "deny"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == [state]
    assert "code" not in query


# --- refresh rotation ------------------------------------------------------------------------


def test_refresh_rotates_the_refresh_token_and_refuses_the_used_one(live_server, world):
    browser = signed_in_browser(live_server, world.person)
    session = oauth_session(live_server, world.confidential)
    first = dict(consent(live_server, browser, session, "profile"))

    second = dict(session.refresh_token(refresh_token=first["refresh_token"]))

    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert 0 < second["expires_in"] <= 900
    assert second["scope"] == "profile"
    assert get(live_server, "/api/v1/me", second["access_token"]).status_code == 200
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(refresh_token=first["refresh_token"])
    assert refused.value.error == "invalid_grant"


# --- revocation ------------------------------------------------------------------------------


def test_revoking_an_access_token(live_server, world, clock):
    session = oauth_session(live_server, world.confidential, scope="referrals:read")
    token = dict(session.fetch_token(grant_type="client_credentials"))
    assert get(live_server, "/api/v1/organisation", token["access_token"]).status_code == 200

    answer = session.revoke_token(
        session.metadata["revocation_endpoint"],
        token=token["access_token"],
        token_type_hint="access_token",
    )

    assert answer.status_code == 200
    clock.advance(timedelta(seconds=60))  # the resource side's revocation cache
    refused = get(live_server, "/api/v1/organisation", token["access_token"])
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    # Another token of the same client is untouched.
    other = dict(session.fetch_token(grant_type="client_credentials"))
    assert get(live_server, "/api/v1/organisation", other["access_token"]).status_code == 200


def test_revoking_a_refresh_token_ends_the_grant(live_server, world, clock):
    browser = signed_in_browser(live_server, world.person)
    session = oauth_session(live_server, world.confidential)
    token = dict(consent(live_server, browser, session, "profile"))
    assert get(live_server, "/api/v1/me", token["access_token"]).status_code == 200

    answer = session.revoke_token(
        session.metadata["revocation_endpoint"],
        token=token["refresh_token"],
        token_type_hint="refresh_token",
    )

    assert answer.status_code == 200
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_grant"
    # The access token of the same grant goes with it (RFC 7009 section 2.1).
    clock.advance(timedelta(seconds=60))
    assert get(live_server, "/api/v1/me", token["access_token"]).status_code == 401


def test_a_public_client_revokes_its_refresh_token(live_server, world):
    browser = signed_in_browser(live_server, world.person)
    session = oauth_session(live_server, world.public)
    token = dict(consent(live_server, browser, session, "profile"))

    answer = session.revoke_token(
        session.metadata["revocation_endpoint"], token=token["refresh_token"]
    )

    assert answer.status_code == 200
    with pytest.raises(OAuthError) as refused:
        session.refresh_token(refresh_token=token["refresh_token"])
    assert refused.value.error == "invalid_grant"


# --- introspection ---------------------------------------------------------------------------


def test_introspection_of_live_revoked_and_unknown_tokens(live_server, world):
    endpoint = metadata(live_server)["introspection_endpoint"]
    browser = signed_in_browser(live_server, world.person)
    session = oauth_session(live_server, world.confidential)
    token = dict(consent(live_server, browser, session, "profile"))

    access = session.introspect_token(endpoint, token=token["access_token"]).json()
    assert access["active"] is True
    assert access["client_id"] == world.confidential.client_id
    assert access["sub"] == str(world.person.id)
    assert access["scope"] == "profile"
    assert access["token_type"] == "Bearer"
    assert access["iss"] == live_server
    assert access["aud"] == f"{live_server}/api"
    assert 0 < access["exp"] - access["iat"] <= 900
    uuid.UUID(access["jti"])
    refresh = session.introspect_token(
        endpoint, token=token["refresh_token"], token_type_hint="refresh_token"
    ).json()
    assert refresh["active"] is True
    assert refresh["token_type"] == "refresh_token"

    session.revoke_token(
        session.metadata["revocation_endpoint"],
        token=token["access_token"],
        token_type_hint="access_token",
    )
    # The authorization server reads its own rows: no cache delay.
    for value in (token["access_token"], token["refresh_token"], "not-a-token-of-ours"):
        answer = session.introspect_token(endpoint, token=value)
        assert answer.status_code == 200
        assert answer.json() == {"active": False}
