"""`Idempotency-Key` on the API's creating writes (DESIGN.md section 5), per client.

The key is claimed (committed) before the write runs, so a concurrent duplicate finds
it taken and gets 409; the write and its answer are then committed together, so a
retry with the same key and body gets the first answer again (`Idempotent-Replayed:
true`), and the same key with another body a 422. A write that fails releases its key
(it changed nothing; the client may retry it). Keys are kept 24 hours: an older one is
claimed afresh.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Response, request
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest

from core.db import db, utcnow
from core.errors import Conflict, DomainError
from core.oauth.resource import current_token
from referrals.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY = 255
KEPT = timedelta(hours=24)


class KeyReused(DomainError):
    status = 422
    code = "idempotency-key-reused"


class KeyInFlight(Conflict):
    code = "idempotency-key-in-flight"


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _claim(client_id: str, key: str, fingerprint: str) -> IdempotencyRecord | Response:
    """The new record holding the key, or the answer to give instead of running."""
    for _attempt in range(2):
        record = IdempotencyRecord(client_id=client_id, key=key, request_hash=fingerprint)
        db.session.add(record)
        try:
            db.session.commit()
            return record
        except IntegrityError:
            db.session.rollback()
        found = db.session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.client_id == client_id, IdempotencyRecord.key == key
            )
        )
        if found is None:
            continue  # released meanwhile: claim it
        if found.created_at < utcnow() - KEPT:
            db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == found.id))
            db.session.commit()
            continue
        if found.request_hash != fingerprint:
            raise KeyReused(
                _("This Idempotency-Key was used with another request in the last 24 hours.")
            )
        if found.response_status is None:
            raise KeyInFlight(_("A request with this Idempotency-Key is still being processed."))
        return Response(
            found.response_body,
            status=found.response_status,
            mimetype="application/json",
            headers={"Idempotent-Replayed": "true"},
        )
    raise KeyInFlight(_("A request with this Idempotency-Key is still being processed."))


def _release(record_id: Any) -> None:
    db.session.rollback()
    db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    db.session.commit()


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    """Honour `Idempotency-Key` on a write whose view flushes but does not commit: the
    wrapper commits the write (with its recorded answer, when a key was given)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        token = current_token()
        if key is None or token is None:
            response = view(*args, **kwargs)
            db.session.commit()
            return response
        if not 1 <= len(key) <= MAX_KEY or not key.isascii() or not key.isprintable():
            raise BadRequest(
                _("An Idempotency-Key is 1 to %(max)d printable ASCII characters.", max=MAX_KEY)
            )
        claimed = _claim(token.client_id, key, _fingerprint())
        if isinstance(claimed, Response):
            return claimed
        record_id = claimed.id
        try:
            response = view(*args, **kwargs)
        except BaseException:
            _release(record_id)
            raise
        if response.status_code >= 500:
            _release(record_id)
            return response
        claimed.response_status = response.status_code
        claimed.response_body = response.get_data(as_text=True)
        db.session.commit()
        return response

    return wrapper
