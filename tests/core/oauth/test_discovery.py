"""The discovery documents and token responses against their RFCs' required fields:

- the server metadata (RFC 8414) validates with Authlib's validator (https endpoints
  included) and offers exactly what the server does: the code flow with PKCE S256,
  three grants, the scope catalogue; no implicit, no password grant;
- the JWKS (RFC 7517) publishes public RSA signing keys only;
- token responses (RFC 6749 section 5.1) of each grant: access_token, token_type
  Bearer, expires_in at most 900, scope, and `Cache-Control: no-store`;
- access tokens are RFC 9068 JWTs: `typ` at+jwt, the required claims, 15 minutes at
  most, verifiable with the published keys.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from joserfc import jwt
from joserfc.jwk import KeySet

from core.oauth.scopes import SCOPES
from tests.factories import PartnerFactory, UserFactory
from tests.oauth import REDIRECT_URI, Registered, pkce_pair, register
from tests.tenants.helpers import sign_in

BASE = "https://hub.example.org"
MAX_LIFETIME = 900
RFC_8414_REQUIRED = ("issuer", "response_types_supported")
RFC_9068_REQUIRED = ("iss", "exp", "aud", "sub", "client_id", "iat", "jti")
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


@pytest.fixture
def app_config(app_config: dict) -> dict:
    # The production shape: an https base URL (RFC 8414 requires https endpoints).
    return {**app_config, "PUBLIC_BASE_URL": BASE}


@pytest.fixture
def registered(app) -> Registered:
    return register("partner", PartnerFactory().id)


def metadata(client: Any) -> dict[str, Any]:
    answer = client.get("/.well-known/oauth-authorization-server")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    return answer.json


def jwks(client: Any) -> dict[str, Any]:
    answer = client.get("/.well-known/jwks.json")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    return answer.json


def segment(token: str, index: int) -> dict[str, Any]:
    raw = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


def token_responses(client: Any, registered: Registered) -> dict[str, Any]:
    """The token endpoint's answer to each grant."""
    found = {
        "client_credentials": client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=registered.auth
        )
    }
    sign_in(client, UserFactory())
    verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "profile referrals:read",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    answer = client.post(
        "/oauth/authorize",
        query_string=query,
        data={"csrf_token": client.csrf_token(), "decision": "allow"},
    )
    code = answer.headers["Location"].split("code=")[1].split("&")[0]
    found["authorization_code"] = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=registered.auth,
    )
    refresh_token = found["authorization_code"].json["refresh_token"]
    found["refresh_token"] = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=registered.auth,
    )
    return found


# --- RFC 8414 metadata ---------------------------------------------------------------------------


def test_the_metadata_validates_and_has_the_required_fields(client):
    document = metadata(client)

    AuthorizationServerMetadata(document).validate()
    for name in RFC_8414_REQUIRED:
        assert document.get(name), f"{name} is required"
    # RFC 8414 section 3: the issuer is the URL the document was fetched under.
    assert document["issuer"] == BASE
    # Required by the grants offered (sections 2 and 3.3 of RFC 8414).
    assert document["authorization_endpoint"] == f"{BASE}/oauth/authorize"
    assert document["token_endpoint"] == f"{BASE}/oauth/token"
    assert document["jwks_uri"] == f"{BASE}/.well-known/jwks.json"
    assert document["revocation_endpoint"] == f"{BASE}/oauth/revoke"
    assert document["introspection_endpoint"] == f"{BASE}/oauth/introspect"


def test_the_metadata_offers_exactly_what_the_server_does(client):
    document = metadata(client)

    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert sorted(document["grant_types_supported"]) == sorted(
        ["authorization_code", "client_credentials", "refresh_token"]
    )
    assert "implicit" not in document["grant_types_supported"]
    assert "password" not in document["grant_types_supported"]
    assert "token" not in " ".join(document["response_types_supported"]).split()
    assert document["scopes_supported"] == list(SCOPES)
    assert "none" not in document["introspection_endpoint_auth_methods_supported"]
    # Each endpoint it names answers on this server.
    for name in ("jwks_uri",):
        assert client.get(document[name].removeprefix(BASE)).status_code == 200
    for name in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        answer = client.post(document[name].removeprefix(BASE), data={})
        assert answer.status_code in (400, 401), (name, answer.status_code)
        assert "error" in answer.json


# --- the JWKS ---------------------------------------------------------------------------------


def test_the_jwks_publishes_public_rsa_signing_keys_only(client):
    keys = jwks(client)["keys"]

    assert keys
    for key in keys:
        for name in ("kty", "kid", "n", "e", "alg", "use"):
            assert key.get(name), f"{name} missing from {key.get('kid')}"
        assert key["kty"] == "RSA"
        assert key["alg"] == "RS256"
        assert key["use"] == "sig"
        leaked = [name for name in PRIVATE_MEMBERS if name in key]
        assert not leaked, f"private members published: {leaked}"
    assert len({key["kid"] for key in keys}) == len(keys)


# --- token responses and access tokens -------------------------------------------------


@pytest.mark.parametrize("grant", ["client_credentials", "authorization_code", "refresh_token"])
def test_the_token_response_has_the_rfc_6749_fields(client, registered, grant):
    answer = token_responses(client, registered)[grant]

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Pragma"] == "no-cache"
    body = answer.json
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int)
    assert 0 < body["expires_in"] <= MAX_LIFETIME
    assert isinstance(body["scope"], str) and body["scope"]
    if grant == "client_credentials":
        assert "refresh_token" not in body  # RFC 6749 section 4.4.3
        assert body["scope"] == " ".join(registered.client.scopes[:-1])  # all but profile
    else:
        assert body["refresh_token"]
        assert body["scope"] == "referrals:read profile"


@pytest.mark.parametrize("grant", ["client_credentials", "authorization_code", "refresh_token"])
def test_the_access_token_is_an_rfc_9068_jwt(client, registered, grant):
    body = token_responses(client, registered)[grant].json
    token = body["access_token"]

    header, claims = segment(token, 0), segment(token, 1)
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "RS256"
    for name in RFC_9068_REQUIRED:
        assert name in claims, f"{name} is required"
    assert claims["iss"] == metadata(client)["issuer"]
    assert claims["aud"] == f"{BASE}/api"
    assert claims["client_id"] == registered.client_id
    assert claims["scope"] == body["scope"]
    assert 0 < claims["exp"] - claims["iat"] <= MAX_LIFETIME
    assert claims["exp"] - claims["iat"] == body["expires_in"]
    if grant == "client_credentials":
        assert claims["sub"] == registered.client_id  # RFC 9068 section 2.2: no person
    else:
        assert claims["sub"] != registered.client_id
    # Verifiable with the published keys alone.
    published = KeySet.import_key_set(jwks(client))
    assert header["kid"] in {key.kid for key in published.keys}
    assert jwt.decode(token, published, algorithms=["RS256"]).claims == claims


def test_introspection_reports_at_most_15_minutes(client, registered):
    token = token_responses(client, registered)["client_credentials"].json["access_token"]
    answer = client.post("/oauth/introspect", data={"token": token}, auth=registered.auth)
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.json["active"] is True
    assert 0 < answer.json["exp"] - answer.json["iat"] <= MAX_LIFETIME
