"""The cached revocation check of the resource side.

Each process keeps a snapshot of what is revoked (the ids of revoked, unexpired
access tokens, the disabled clients and the disabled accounts) and re-reads it when it
is older than REVOCATION_CACHE_SECONDS: a revoked token, client or user grant is
refused everywhere within that time, at the cost of three small queries per process
per period instead of one per request.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from core.db import db

REVOCATION_CACHE_SECONDS = 60


@dataclass(frozen=True)
class Snapshot:
    loaded_at: float
    tokens: frozenset[uuid.UUID]
    clients: frozenset[str]
    users: frozenset[uuid.UUID]


_lock = threading.Lock()


def _load(moment: float) -> Snapshot:
    from core.accounts.models import User
    from core.oauth.models import OAuthClient, OAuthToken

    at = datetime.fromtimestamp(moment, UTC)
    session = db.session
    tokens = session.scalars(
        select(OAuthToken.id).where(
            OAuthToken.revoked_at.is_not(None), OAuthToken.access_expires_at > at
        )
    )
    clients = session.scalars(
        select(OAuthClient.client_id).where(OAuthClient.disabled_at.is_not(None))
    )
    users = session.scalars(select(User.id).where(User.is_disabled.is_(True)))
    return Snapshot(moment, frozenset(tokens), frozenset(clients), frozenset(users))


def snapshot(moment: float) -> Snapshot:
    extensions = current_app.extensions
    current: Snapshot | None = extensions.get("oauth_revocations")
    if current is None or moment - current.loaded_at >= REVOCATION_CACHE_SECONDS:
        with _lock:
            current = extensions.get("oauth_revocations")
            if current is None or moment - current.loaded_at >= REVOCATION_CACHE_SECONDS:
                current = extensions["oauth_revocations"] = _load(moment)
    return current


def is_revoked(jti: uuid.UUID, client_id: str, user_id: uuid.UUID | None, moment: float) -> bool:
    found = snapshot(moment)
    return jti in found.tokens or client_id in found.clients or user_id in found.users
