"""The cached revocation check of the resource side.

Each process keeps a snapshot of what is revoked (the ids of revoked, unexpired
access tokens and the disabled clients) and re-reads it when it is older than
REVOCATION_CACHE_SECONDS: a revoked token, client or user grant is refused everywhere
within that time, at the cost of one small query per process per period instead of
one per request.
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


_lock = threading.Lock()


def _load(moment: float) -> Snapshot:
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
    return Snapshot(moment, frozenset(tokens), frozenset(clients))


def snapshot(moment: float) -> Snapshot:
    extensions = current_app.extensions
    current: Snapshot | None = extensions.get("oauth_revocations")
    if current is None or moment - current.loaded_at >= REVOCATION_CACHE_SECONDS:
        with _lock:
            current = extensions.get("oauth_revocations")
            if current is None or moment - current.loaded_at >= REVOCATION_CACHE_SECONDS:
                current = extensions["oauth_revocations"] = _load(moment)
    return current


def is_revoked(jti: uuid.UUID, client_id: str, moment: float) -> bool:
    found = snapshot(moment)
    return jti in found.tokens or client_id in found.clients
