"""The authorization server (Authlib), configured to RFC 9700 rather than its defaults.

What differs from Authlib's defaults, and why:
- access tokens are 15-minute JWTs (RFC 9068), not 10-day opaque strings;
- PKCE is required of every client, confidential ones too, with S256 only
  (RFC 9700 section 2.1.1), and a token request with a verifier for a code issued
  without a challenge is refused (section 4.8);
- every authorization request names its redirect URI, compared as an exact string;
- a code is redeemed once, atomically; a replay revokes what the code gave;
- refresh tokens rotate on every use; presenting a rotated one revokes the whole
  family; a family lives 30 days at most whatever the rotations;
- no implicit and no password grant is registered.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnsupportedTokenTypeError,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask, g
from flask import request as flask_request
from sqlalchemy import select, update

from core.accounts.models import User
from core.accounts.tokens import hash_token
from core.clock import now
from core.db import db
from core.oauth import scopes as scope_catalogue
from core.oauth.clients import find_client, revoke_family
from core.oauth.models import AuthorizationCode, OAuthClient, OAuthToken
from core.oauth.tokens import (
    InvalidToken,
    audience,
    decode_access_token,
    encode_access_token,
    issuer,
)

ACCESS_TOKEN_LIFETIME = 900  # 15 minutes (DESIGN.md section 5)
CODE_LIFETIME = 600  # 10 minutes (RFC 6749 section 4.1.2)
REFRESH_FAMILY_LIFETIME = timedelta(days=30)
CLIENT_AUTH = ["client_secret_basic", "client_secret_post"]


def _active_user(user_id: uuid.UUID | None) -> User | None:
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.is_active else None


# --- tokens ----------------------------------------------------------------------------


def generate_token(
    grant_type: str,
    client: OAuthClient,
    user: User | None = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict[str, Any]:
    """Authlib's token generator: a JWT access token and, for user grants, an opaque
    refresh token. The row `save_token` writes takes the JWT's `jti` as its id."""
    issued_at = now()
    jti = uuid.uuid4()
    lifetime = min(expires_in or ACCESS_TOKEN_LIFETIME, ACCESS_TOKEN_LIFETIME)
    scope = scope or ""
    token: dict[str, Any] = {
        "token_type": "Bearer",
        "access_token": encode_access_token(
            jti=jti,
            client_id=client.client_id,
            owner_kind=client.owner_kind,
            owner_id=client.owner_id,
            user_id=user.id if user else None,
            scope=scope,
            issued_at=issued_at,
            lifetime=lifetime,
            sandbox=client.sandbox,
        ),
        "expires_in": lifetime,
        "scope": scope,
    }
    refresh = None
    if include_refresh_token and user is not None and client.check_grant_type("refresh_token"):
        refresh = token["refresh_token"] = uuid.uuid4().hex + uuid.uuid4().hex
    g.oauth_issued = {"jti": jti, "issued_at": issued_at, "lifetime": lifetime, "refresh": refresh}
    return token


def save_token(token: dict[str, Any], request: Any) -> None:
    issued = g.pop("oauth_issued")
    client: OAuthClient = request.client
    user = request.user
    grant_type = request.payload.grant_type
    family_id = issued["jti"]
    refresh_expires = None
    if grant_type == "authorization_code":
        family_id = request.authorization_code.id
    elif grant_type == "refresh_token":
        family_id = request.refresh_token.family_id
        refresh_expires = request.refresh_token.refresh_expires_at
    if issued["refresh"] and refresh_expires is None:
        refresh_expires = issued["issued_at"] + REFRESH_FAMILY_LIFETIME
    db.session.add(
        OAuthToken(
            id=issued["jti"],
            client_pk=client.id,
            user_id=user.id if user else None,
            grant_type=grant_type,
            scope=token.get("scope", ""),
            family_id=family_id,
            issued_at=issued["issued_at"],
            access_expires_at=issued["issued_at"] + timedelta(seconds=issued["lifetime"]),
            refresh_token_hash=hash_token(issued["refresh"]) if issued["refresh"] else None,
            refresh_expires_at=refresh_expires if issued["refresh"] else None,
        )
    )


# --- grants ----------------------------------------------------------------------------


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH

    def validate_token_request(self) -> None:
        super().validate_token_request()
        # Authlib issues whatever was asked; we grant what the client holds, without
        # the scopes that act for a person.
        granted = self.request.client.get_allowed_scope(self.request.payload.scope)
        organisation = set(scope_catalogue.organisation_scopes(self.request.client.owner_kind))
        granted_set = set(scope_catalogue.parse(granted)) & organisation
        if not granted_set:
            raise InvalidScopeError()
        self.request.scope = scope_catalogue.join(granted_set)

    def create_token_response(self) -> tuple[int, dict[str, Any], list]:
        token = self.generate_token(scope=self.request.scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class RequiredS256(CodeChallenge):
    """PKCE for every client, S256 only."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "A 'code_challenge' (PKCE, S256) is required.", redirect_uri=redirect_uri
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError(
                "'code_challenge_method' must be S256.", redirect_uri=redirect_uri
            )
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        code = grant.request.authorization_code
        verifier = grant.request.form.get("code_verifier")
        if not code.code_challenge and verifier:
            raise InvalidRequestError("The authorization request had no 'code_challenge'.")
        if not verifier:
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [*CLIENT_AUTH, "none"]

    @staticmethod
    def validate_authorization_redirect_uri(request: Any, client: OAuthClient) -> str:
        uri = request.payload.redirect_uri
        if not uri:
            raise InvalidRequestError("Missing 'redirect_uri' in request.")
        if not client.check_redirect_uri(uri):
            raise InvalidRequestError("The 'redirect_uri' is not registered for this client.")
        return uri

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        issued = now()
        db.session.add(
            AuthorizationCode(
                code_hash=hash_token(code),
                client_pk=request.client.id,
                user_id=request.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                created_at=issued,
                expires_at=issued + timedelta(seconds=CODE_LIFETIME),
            )
        )

    def query_authorization_code(self, code: str, client: OAuthClient) -> Any:
        row = db.session.scalar(
            select(AuthorizationCode).where(
                AuthorizationCode.code_hash == hash_token(code),
                AuthorizationCode.client_pk == client.id,
            )
        )
        if row is None:
            return None
        claimed = db.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.id == row.id, AuthorizationCode.used_at.is_(None))
            .values(used_at=now())
        ).rowcount
        if not claimed:
            # RFC 6749 section 4.1.2: a code used twice revokes what it gave.
            revoke_family(row.id, reason="authorization code replayed")
            db.session.commit()
            return None
        db.session.commit()
        if row.expires_at <= now():
            return None
        return row

    def delete_authorization_code(self, authorization_code: Any) -> None:
        """Kept, marked used (query_authorization_code), to recognise a replay."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> User | None:
        return _active_user(authorization_code.user_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [*CLIENT_AUTH, "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthToken | None:
        row = db.session.scalar(
            select(OAuthToken).where(OAuthToken.refresh_token_hash == hash_token(refresh_token))
        )
        if row is None or row.revoked_at is not None:
            return None
        if row.client_pk != self.request.client.id:
            return None
        claimed = db.session.execute(
            update(OAuthToken)
            .where(OAuthToken.id == row.id, OAuthToken.refresh_used_at.is_(None))
            .values(refresh_used_at=now())
        ).rowcount
        if not claimed:
            # A rotated refresh token came back: it leaked, or the client is confused.
            revoke_family(row.family_id, reason="rotated refresh token reused")
            db.session.commit()
            return None
        db.session.commit()
        if row.refresh_expires_at is None or row.refresh_expires_at <= now():
            return None
        return row

    def authenticate_user(self, refresh_token: OAuthToken) -> User | None:
        return _active_user(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: OAuthToken) -> None:
        """Done already: authenticate_refresh_token marked it used, atomically."""


# --- revocation and introspection --------------------------------------------------------


def _query_token(token_string: str, hint: str | None) -> OAuthToken | None:
    """The row of an access token (its verified JWT's jti) or of a refresh token."""
    if len(token_string) > 4096:
        return None
    if hint != "refresh_token" and token_string.count(".") == 2:
        try:
            claims = decode_access_token(token_string, now().timestamp())
        except InvalidToken:
            claims = None
        if claims is not None:
            return db.session.get(OAuthToken, claims.jti)
    return db.session.scalar(
        select(OAuthToken).where(OAuthToken.refresh_token_hash == hash_token(token_string))
    )


class UnsupportedTokenType(OAuth2Error):
    """RFC 7009 section 2.2.1's error with the 400 of RFC 6749 section 5.2 (Authlib's
    answers 401, the status of a client that failed to authenticate)."""

    error = "unsupported_token_type"
    status_code = 400


def _presented_refresh_token(token: OAuthToken) -> bool:
    """Whether the client presented this row's refresh token (else its access token)."""
    presented = flask_request.form.get("token", "")
    return token.refresh_token_hash is not None and token.refresh_token_hash == hash_token(
        presented
    )


class TokenTypeHint400:
    """Revocation and introspection answer an unknown `token_type_hint` with a 400."""

    def check_params(self, request: Any, client: Any) -> None:
        try:
            super().check_params(request, client)  # type: ignore[misc]
        except UnsupportedTokenTypeError:
            raise UnsupportedTokenType() from None


class Revocation(TokenTypeHint400, RevocationEndpoint):
    CLIENT_AUTH_METHODS = [*CLIENT_AUTH, "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _query_token(token_string, token_type_hint)

    def revoke_token(self, token: OAuthToken, request: Any) -> None:
        # A refresh token takes its whole family with it (RFC 7009 section 2.1 allows
        # it). An access token goes with the refresh token of its response, which
        # shares its row: RFC 7009 section 2.1 allows that too, and a client revoking
        # what it holds wants the grant gone.
        if _presented_refresh_token(token):
            revoke_family(token.family_id, reason="refresh token revoked by the client")
        else:
            token.revoked_at = token.revoked_at or now()


class Introspection(TokenTypeHint400, IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        return _query_token(token_string, token_type_hint)

    def check_permission(self, token: OAuthToken, client: OAuthClient, request: Any) -> bool:
        # A client introspects its own tokens only.
        return token.client_pk == client.id

    def create_introspection_payload(self, token: OAuthToken | None) -> dict[str, Any]:
        # Liveness is judged in introspect_token, on our own columns.
        return self.introspect_token(token) if token is not None else {"active": False}

    def introspect_token(self, token: OAuthToken) -> dict[str, Any]:
        moment = now()
        is_refresh = _presented_refresh_token(token)
        expires = token.refresh_expires_at if is_refresh else token.access_expires_at
        live = token.revoked_at is None and expires is not None and expires > moment
        if is_refresh:
            live = live and token.refresh_used_at is None
        if not live:
            return {"active": False}
        client = token.client
        return {
            "active": True,
            "scope": token.scope,
            "client_id": client.client_id,
            "token_type": "refresh_token" if is_refresh else "Bearer",
            "exp": int(expires.timestamp()),
            "iat": int(token.issued_at.timestamp()),
            "sub": str(token.user_id) if token.user_id else client.client_id,
            "aud": audience(),
            "iss": issuer(),
            "jti": str(token.id),
        }


# --- the server --------------------------------------------------------------------------


class Server(AuthorizationServer):
    def query_client(self, client_id: str) -> OAuthClient | None:
        return find_client(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        save_token(token, request)


def create_server(app: Flask) -> Server:
    server = Server()
    server.init_app(app)
    server.register_token_generator("default", generate_token)
    server.scopes_supported = list(scope_catalogue.SCOPES)
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(AuthorizationCodeGrant, [RequiredS256()])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    app.extensions["oauth_server"] = server
    return server
