"""OAuth 2.0 storage: clients and their secrets, authorization codes, issued tokens.

Global tables (DESIGN.md section 3): a client is owned by a center or a partner,
referenced by kind + id so that core imports no domain; the owner's pages and
services filter on that pair. Nothing secret is stored in clear: client secrets,
codes and refresh tokens are kept as SHA-256 hashes of high-entropy random values.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, IdMixin, utcnow

OWNER_KINDS: tuple[str, ...] = ("tenant", "partner")
GRANT_TYPES: tuple[str, ...] = ("client_credentials", "authorization_code", "refresh_token")


class OAuthClient(IdMixin, Base):
    __tablename__ = "oauth_clients"
    __table_args__ = (Index("ix_oauth_clients_owner", "owner_kind", "owner_id"),)

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    owner_kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[uuid.UUID]
    confidential: Mapped[bool] = mapped_column(default=True)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    disabled_at: Mapped[datetime | None]
    # A test client: what it sends goes to a sandbox, never to a real organisation
    # (a partner's test client's referrals go to the sandbox center: referrals.sandbox).
    sandbox: Mapped[bool] = mapped_column(default=False)

    secrets: Mapped[list[ClientSecret]] = relationship(
        back_populates="client", order_by="ClientSecret.created_at.desc()"
    )

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    # --- Authlib's ClientMixin -------------------------------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Every authorization request must name its redirect URI (see server.py).
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes this client holds (all of its organisation scopes when
        none is asked); None, refused, when that leaves nothing."""
        from core.oauth import scopes

        held = set(self.scopes)
        asked = set(scopes.parse(scope)) if scope else held
        allowed = asked & held
        return scopes.join(allowed) if allowed else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # RFC 9700 section 2.1: exact string comparison, no pattern, no normalisation.
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        from core.oauth.clients import secret_matches

        return self.confidential and secret_matches(self, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.confidential:
            return method in ("client_secret_basic", "client_secret_post")
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


class ClientSecret(IdMixin, Base):
    """One secret of a confidential client. Rotation keeps the previous one valid until
    `expires_at` (the grace period), so an integration can switch without downtime."""

    __tablename__ = "oauth_client_secrets"

    client_pk: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(8))  # the last characters, to tell secrets apart
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]

    client: Mapped[OAuthClient] = relationship(back_populates="secrets")


class AuthorizationCode(IdMixin, Base):
    """A code is single-use: `used_at` is set atomically when it is redeemed, and kept,
    so that a replay is recognised and the tokens it gave are revoked."""

    __tablename__ = "oauth_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(500))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    # Authlib's AuthorizationCodeMixin
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class OAuthToken(IdMixin, Base):
    """One token response: the access token (its JWT `jti` is this row's id) and, for
    user grants, a refresh token. Rows of one authorization share a `family_id` (the
    authorization code's id): a replayed code or a reused refresh token revokes them all."""

    __tablename__ = "oauth_tokens"

    client_pk: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    grant_type: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(500))
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    access_expires_at: Mapped[datetime] = mapped_column(index=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    refresh_expires_at: Mapped[datetime | None]
    refresh_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    client: Mapped[OAuthClient] = relationship(lazy="joined", innerjoin=True)

    # Authlib's TokenMixin
    def check_client(self, client: OAuthClient) -> bool:
        return self.client_pk == client.id

    def get_scope(self) -> str:
        return self.scope
