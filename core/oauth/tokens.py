"""Access tokens: JWTs per RFC 9068, signed with the platform key, checked locally.

The resource side needs no network call: a token is verified against the published
keys and its claims, then against the revocation snapshot (core.oauth.revocation),
which is at most REVOCATION_CACHE_SECONDS old.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from joserfc import jwt
from joserfc.errors import JoseError

from core.clock import now
from core.oauth.keys import ALGORITHM, KeyStore
from core.oauth.revocation import is_revoked

JWT_TYPE = "at+jwt"  # the `typ` header of RFC 9068 access tokens
MAX_TOKEN_LENGTH = 4096
CLOCK_SKEW = 30  # seconds of `iat` in the future tolerated from another web pod


class InvalidToken(Exception):
    """The bearer token is not one we accept; `reason` is for logs, never for clients."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AccessToken:
    """What a verified access token says."""

    jti: uuid.UUID
    client_id: str
    owner_kind: str
    owner_id: uuid.UUID
    user_id: uuid.UUID | None
    scopes: frozenset[str]
    expires_at: int
    sandbox: bool = False  # a test client's (OAuthClient.sandbox, fixed at registration)


def key_store(app: Flask | None = None) -> KeyStore:
    return (app or current_app).extensions["oauth_keys"]


def issuer() -> str:
    """The `iss` of our tokens and metadata: configured, or the public base URL."""
    config = current_app.config
    return config.get("OAUTH_ISSUER") or config["PUBLIC_BASE_URL"]


def audience() -> str:
    """The `aud` of our access tokens: the REST API, as a resource indicator (RFC 8707)."""
    config = current_app.config
    return config.get("OAUTH_AUDIENCE") or config["PUBLIC_BASE_URL"] + "/api"


def encode_access_token(
    *,
    jti: uuid.UUID,
    client_id: str,
    owner_kind: str,
    owner_id: uuid.UUID,
    user_id: uuid.UUID | None,
    scope: str,
    issued_at: datetime,
    lifetime: int,
    sandbox: bool = False,
) -> str:
    iat = int(issued_at.timestamp())
    claims = {
        "iss": issuer(),
        "aud": audience(),
        # RFC 9068 section 2.2: without a resource owner, `sub` names the client.
        "sub": str(user_id) if user_id else client_id,
        "client_id": client_id,
        "iat": iat,
        "exp": iat + lifetime,
        "jti": str(jti),
        "scope": scope,
        "owner_kind": owner_kind,
        "owner_id": str(owner_id),
    }
    if user_id:
        claims["user_id"] = str(user_id)
    if sandbox:  # said in the token, so that no request reads the client for it
        claims["sandbox"] = True
    key = key_store().signing_key(issued_at.timestamp())
    header = {"alg": ALGORITHM, "typ": JWT_TYPE, "kid": key.kid}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


def verify_access_token(raw: str) -> AccessToken:
    """The token's claims once its signature, type, issuer, audience, lifetime and
    revocation are checked; raises InvalidToken otherwise."""
    moment = now().timestamp()
    found = decode_access_token(raw, moment)
    if is_revoked(found.jti, found.client_id, found.user_id, moment):
        raise InvalidToken("revoked")
    return found


def decode_access_token(raw: str, moment: float) -> AccessToken:
    """The token's claims once all but revocation is checked (introspection and
    revocation read the authoritative rows instead of the cached snapshot)."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        raise InvalidToken("empty or oversized token")
    try:
        token = jwt.decode(raw, key_store().verifying_keys(moment), algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        # Bad signature, unknown key, malformed segments or JSON.
        raise InvalidToken(f"undecodable: {type(exc).__name__}") from None
    if token.header.get("typ") != JWT_TYPE:
        raise InvalidToken("not an RFC 9068 access token")
    return _checked_claims(token.claims, moment)


def _checked_claims(claims: dict[str, Any], moment: float) -> AccessToken:
    if claims.get("iss") != issuer():
        raise InvalidToken("wrong issuer")
    aud = claims.get("aud")
    if audience() not in (aud if isinstance(aud, list) else [aud]):
        raise InvalidToken("wrong audience")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int) or not isinstance(iat, int):
        raise InvalidToken("no lifetime")
    if exp <= moment:
        raise InvalidToken("expired")
    if iat > moment + CLOCK_SKEW:
        raise InvalidToken("issued in the future")
    try:
        user = claims.get("user_id")
        return AccessToken(
            jti=uuid.UUID(claims["jti"]),
            client_id=str(claims["client_id"]),
            owner_kind=str(claims["owner_kind"]),
            owner_id=uuid.UUID(claims["owner_id"]),
            user_id=uuid.UUID(user) if user else None,
            scopes=frozenset(str(claims["scope"]).split()),
            expires_at=exp,
            sandbox=claims.get("sandbox") is True,
        )
    except (KeyError, ValueError, TypeError, AttributeError):
        raise InvalidToken("missing or malformed claims") from None
