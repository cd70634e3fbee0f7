"""OAuth clients: registration by an owner's admins, secrets, disabling, revocation.

A client belongs to an owner (kind + id: a center or a partner); every function that
reaches a client through an owner filters on both, so an owner never sees another's
client (a foreign id reads as missing). Secrets are shown once, at creation or
rotation, and kept as SHA-256 hashes.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import SplitResult, urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from core import audit
from core.accounts.tokens import hash_token
from core.clock import now
from core.db import db
from core.errors import DomainError
from core.oauth import scopes as scope_catalogue
from core.oauth.models import GRANT_TYPES, OWNER_KINDS, ClientSecret, OAuthClient, OAuthToken

SECRET_GRACE = timedelta(hours=24)
MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI_LENGTH = 500
MAX_CLIENTS_PER_OWNER = 50
# A host name or IP address and an optional port: no user info, nothing else.
ORIGIN_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")  # RFC 8252 section 7.3: native apps


class ClientInvalid(DomainError):
    """A client's registration breaks a rule; `errors` names the fields."""

    status = 422
    code = "invalid-client-registration"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class ClientSpec:
    name: str
    confidential: bool
    grant_types: list[str]
    scopes: list[str]
    redirect_uris: list[str] = field(default_factory=list)
    sandbox: bool = False  # a test client (see OAuthClient.sandbox)


@dataclass(frozen=True)
class Owner:
    kind: str
    id: uuid.UUID


# --- owners (core imports no domain: each registers how to describe its own) -------------

OwnerDescriber = Callable[[uuid.UUID], dict[str, Any] | None]


def register_owner(app: Any, kind: str, describe: OwnerDescriber) -> None:
    """`describe(owner_id)` returns the owner's public facts (name, slug...) or None."""
    app.extensions.setdefault("oauth_owners", {})[kind] = describe


def describe_owner(kind: str, owner_id: uuid.UUID) -> dict[str, Any] | None:
    describe = current_app.extensions.get("oauth_owners", {}).get(kind)
    return describe(owner_id) if describe else None


# --- lookups -----------------------------------------------------------------------------


def find_client(client_id: str | None) -> OAuthClient | None:
    """An enabled client by its public id (the token endpoint's lookup)."""
    if not client_id or len(client_id) > 64:
        return None
    client = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    return client if client is not None and not client.is_disabled else None


def secret_matches(client: OAuthClient, secret: str) -> bool:
    if not secret or len(secret) > 200:
        return False
    moment = now()
    found = db.session.scalar(
        select(ClientSecret).where(
            ClientSecret.client_pk == client.id, ClientSecret.secret_hash == hash_token(secret)
        )
    )
    return found is not None and (found.expires_at is None or found.expires_at > moment)


def clients_of(owner: Owner) -> list[OAuthClient]:
    return list(
        db.session.scalars(
            select(OAuthClient)
            .where(OAuthClient.owner_kind == owner.kind, OAuthClient.owner_id == owner.id)
            .order_by(OAuthClient.created_at.desc(), OAuthClient.id)
        )
    )


def client_of(owner: Owner, client_pk: uuid.UUID) -> OAuthClient | None:
    """The owner's client by its row id; None for another owner's or a missing one."""
    return db.session.scalar(
        select(OAuthClient).where(
            OAuthClient.id == client_pk,
            OAuthClient.owner_kind == owner.kind,
            OAuthClient.owner_id == owner.id,
        )
    )


def live_secrets(client: OAuthClient) -> list[ClientSecret]:
    moment = now()
    return [s for s in client.secrets if s.expires_at is None or s.expires_at > moment]


# --- registration --------------------------------------------------------------------------


def check_spec(owner_kind: str, spec: ClientSpec) -> dict[str, str]:
    """Each rule the registration breaks, by field (empty: valid)."""
    errors: dict[str, str] = {}
    name = spec.name.strip()
    if not name or len(name) > 100:
        errors["name"] = _("Give the application a name of 1 to 100 characters.")
    grants = set(spec.grant_types)
    if not grants or not grants <= set(GRANT_TYPES):
        errors["grant_types"] = _("Choose at least one grant type.")
    elif "client_credentials" in grants and not spec.confidential:
        errors["grant_types"] = _(
            "Client credentials need a confidential client: a public one has no secret."
        )
    elif "refresh_token" in grants and "authorization_code" not in grants:
        errors["grant_types"] = _("Refresh tokens come with the authorization code grant.")
    allowed = set(scope_catalogue.scopes_for(owner_kind))
    chosen = set(spec.scopes)
    if not chosen or not chosen <= allowed:
        errors["scopes"] = _("Choose at least one scope among those offered.")
    elif "profile" in chosen and "authorization_code" not in grants:
        errors["scopes"] = _("The profile scope needs the authorization code grant.")
    uri_error = _check_redirect_uris(spec.redirect_uris, "authorization_code" in grants)
    if uri_error:
        errors["redirect_uris"] = uri_error
    return errors


def _check_redirect_uris(uris: list[str], needed: bool) -> str | None:
    if needed and not uris:
        return _("The authorization code grant needs at least one redirect URI.")
    if len(uris) > MAX_REDIRECT_URIS:
        return _("At most %(count)d redirect URIs.", count=MAX_REDIRECT_URIS)
    for uri in uris:
        parts = _split(uri) if len(uri) <= MAX_REDIRECT_URI_LENGTH else None
        loopback = parts is not None and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
        if (
            parts is None
            or not parts.netloc
            or parts.fragment
            or (parts.scheme != "https" and not loopback)
        ):
            return _(
                "%(uri)s is not accepted: use an absolute https:// URL without a fragment "
                "(http:// only on 127.0.0.1 or localhost).",
                uri=uri[:100],
            )
    return None


def _split(uri: str) -> SplitResult | None:
    """The URI's parts; None when it is not a URL at all: blanks or control characters,
    a broken IPv6 host such as "https://[x/", a port that is not a number."""
    if any(c.isspace() or ord(c) < 32 for c in uri):
        return None
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return None
    # The host goes into the consent page's Content-Security-Policy: plain names only.
    return parts if ORIGIN_HOST.fullmatch(parts.netloc) else None


def new_secret(client: OAuthClient) -> str:
    secret = "mhs_" + secrets.token_urlsafe(32)
    db.session.add(ClientSecret(client=client, secret_hash=hash_token(secret), hint=secret[-4:]))
    return secret


def register_client(
    owner: Owner, spec: ClientSpec, created_by: uuid.UUID | None
) -> tuple[OAuthClient, str | None]:
    """Create a client; returns it and its secret (None for a public client), which is
    shown once and never again."""
    if owner.kind not in OWNER_KINDS:
        raise ValueError(f"unknown owner kind {owner.kind!r}")
    errors = check_spec(owner.kind, spec)
    if errors:
        raise ClientInvalid(errors)
    count = db.session.scalar(
        select(func.count())
        .select_from(OAuthClient)
        .where(OAuthClient.owner_kind == owner.kind, OAuthClient.owner_id == owner.id)
    )
    if count >= MAX_CLIENTS_PER_OWNER:
        raise DomainError(
            _("At most %(count)d applications per organisation.", count=MAX_CLIENTS_PER_OWNER),
            status=409,
            code="too-many-clients",
        )
    client = OAuthClient(
        client_id="mhc_" + secrets.token_urlsafe(18),
        name=spec.name.strip(),
        owner_kind=owner.kind,
        owner_id=owner.id,
        confidential=spec.confidential,
        grant_types=[g for g in GRANT_TYPES if g in spec.grant_types],
        scopes=scope_catalogue.join(spec.scopes).split(),
        redirect_uris=list(dict.fromkeys(spec.redirect_uris)),
        created_by=created_by,
        sandbox=spec.sandbox,
    )
    db.session.add(client)
    secret = new_secret(client) if spec.confidential else None
    _audit(client, "oauth_client.created")
    return client, secret


def rotate_secret(client: OAuthClient) -> str:
    """A new secret; the current one stays valid for SECRET_GRACE, older ones end now."""
    if not client.confidential:
        raise DomainError(_("A public client has no secret."), status=409, code="public-client")
    moment = now()
    for old in live_secrets(client):
        grace_end = moment + SECRET_GRACE if old.expires_at is None else moment
        old.expires_at = min(grace_end, old.expires_at or grace_end)
    secret = new_secret(client)
    _audit(client, "oauth_client.secret_rotated")
    return secret


def disable_client(client: OAuthClient) -> None:
    """The client can no longer get tokens; the ones it holds are refused within the
    revocation cache's lifetime (core.oauth.revocation)."""
    if client.disabled_at is None:
        client.disabled_at = now()
        _revoke(OAuthToken.client_pk == client.id)
        _audit(client, "oauth_client.disabled")


def enable_client(client: OAuthClient) -> None:
    if client.disabled_at is not None:
        client.disabled_at = None
        _audit(client, "oauth_client.enabled")


# --- revocation ----------------------------------------------------------------------------


def _revoke(*criteria: Any) -> int:
    return db.session.execute(
        update(OAuthToken)
        .where(OAuthToken.revoked_at.is_(None), *criteria)
        .values(revoked_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount


def revoke_family(family_id: uuid.UUID, *, reason: str) -> int:
    """Revoke every token of one authorization (a code and its refresh chain)."""
    count = _revoke(OAuthToken.family_id == family_id)
    audit.record_security(
        "oauth.family_revoked", details={"family_id": str(family_id), "reason": reason}
    )
    return count


def revoke_user_grants(user_id: uuid.UUID, client: OAuthClient | None = None) -> int:
    """Withdraw what a person granted (to one client, or to all)."""
    criteria = [OAuthToken.user_id == user_id]
    if client is not None:
        criteria.append(OAuthToken.client_pk == client.id)
    count = _revoke(*criteria)
    audit.record_security(
        "oauth.grants_revoked",
        user_id=user_id,
        details={"client_id": client.client_id if client else None, "tokens": count},
    )
    return count


def _live_grants(user_id: uuid.UUID) -> tuple[Any, ...]:
    """A person's live grants: a refresh token not yet used or expired, or an unexpired
    access token."""
    moment = now()
    return (
        OAuthToken.user_id == user_id,
        OAuthToken.revoked_at.is_(None),
        (OAuthToken.access_expires_at > moment)
        | ((OAuthToken.refresh_used_at.is_(None)) & (OAuthToken.refresh_expires_at > moment)),
    )


def authorized_clients(user_id: uuid.UUID) -> list[OAuthClient]:
    """The applications holding a live grant of this person."""
    live = select(OAuthToken.client_pk).where(*_live_grants(user_id))
    return list(
        db.session.scalars(
            select(OAuthClient).where(OAuthClient.id.in_(live)).order_by(OAuthClient.name)
        )
    )


def granted_scopes(user_id: uuid.UUID, client: OAuthClient) -> list[str]:
    """What this person's live grants to the client allow, in the catalogue's order."""
    scopes = db.session.scalars(
        select(OAuthToken.scope).where(*_live_grants(user_id), OAuthToken.client_pk == client.id)
    )
    return scope_catalogue.parse(scope_catalogue.join(s for found in scopes for s in found.split()))


def _audit(client: OAuthClient, action: str) -> None:
    details = {"client_id": client.client_id, "name": client.name}
    if client.owner_kind == "tenant":
        audit.record(action, object_type="oauth_client", object_id=client.id, details=details)
    else:
        audit.record_security(action, details={**details, "partner_id": str(client.owner_id)})
