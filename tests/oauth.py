"""Helpers for the OAuth tests: real clients registered through the service, PKCE pairs,
and tokens obtained from the real token endpoint."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from core.api import Blueprint
from core.db import db
from core.oauth.clients import ClientSpec, Owner, register_client
from core.oauth.models import OAuthClient
from core.oauth.resource import api_access
from core.oauth.scopes import organisation_scopes
from core.tenancy import tenant_scope

REDIRECT_URI = "https://app.example.org/callback"
ALL_GRANTS = ["client_credentials", "authorization_code", "refresh_token"]


@dataclass
class Registered:
    client: OAuthClient
    secret: str | None

    @property
    def client_id(self) -> str:
        return self.client.client_id

    @property
    def auth(self) -> tuple[str, str]:
        assert self.secret is not None, "a public client has no secret"
        return (self.client.client_id, self.secret)


def register(
    owner_kind: str,
    owner_id: uuid.UUID,
    *,
    scopes: list[str] | None = None,
    grant_types: list[str] | None = None,
    confidential: bool = True,
    redirect_uris: list[str] | None = None,
    name: str = "Test integration",
) -> Registered:
    """A client registered through core.oauth.clients, as an owner's admin would."""
    grants = grant_types or (ALL_GRANTS if confidential else ALL_GRANTS[1:])
    wanted = scopes or [*organisation_scopes(owner_kind), "profile"]
    uris = redirect_uris if redirect_uris is not None else [REDIRECT_URI]
    spec = ClientSpec(name, confidential, grants, wanted, uris)
    with tenant_scope(owner_id if owner_kind == "tenant" else None):
        client, secret = register_client(Owner(owner_kind, owner_id), spec, None)
        db.session.commit()
    return Registered(client, secret)


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def client_credentials_token(client: Any, registered: Registered, scope: str | None = None) -> str:
    """An access token from the real token endpoint (`client` is a Flask test client)."""
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = client.post("/oauth/token", data=data, auth=registered.auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["access_token"]


def authorization_code_tokens(
    client: Any, registered: Registered, scope: str = "profile"
) -> dict[str, Any]:
    """Tokens from the authorization code grant with PKCE, through the consent page;
    `client` must be signed in as the person who consents."""
    verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": registered.client.redirect_uris[0],
        "scope": scope,
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    assert client.get("/oauth/authorize", query_string=query).status_code == 200
    answer = client.post(
        "/oauth/authorize",
        query_string=query,
        data={"csrf_token": client.csrf_token(), "decision": "allow"},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": query["redirect_uri"],
        "code_verifier": verifier,
    }
    if registered.secret:
        response = client.post("/oauth/token", data=data, auth=registered.auth)
    else:
        response = client.post("/oauth/token", data={**data, "client_id": registered.client_id})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


PUBLIC_PROBE = "/api/v1/public-probe/answer"


def add_public_probe(app: Any) -> str:
    """Register a public API route built like the real ones (none is public yet), for
    the checks no real route needs yet; returns its URL."""
    probe = Blueprint("public_probe", __name__, url_prefix="/api/v1/public-probe")

    @probe.route("/answer")
    @api_access(public=True)
    @probe.response(200)
    def answer() -> dict[str, Any]:
        return {"answered": True}

    app.extensions["rest_api"].register_blueprint(probe)
    return PUBLIC_PROBE


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
