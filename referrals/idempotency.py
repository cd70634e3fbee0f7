"""`Idempotency-Key` on the API's creating writes (DESIGN.md section 5), per client.

The write and its recorded answer are committed together, in the request's one
transaction, so a retry with the same key and body gets the first answer again
(`Idempotent-Replayed: true`), and the same key with another body a 422. While a
request runs, its key is held in Redis (`SET NX`, expiring on its own should the
process die), so a concurrent duplicate gets 409 at once; the unique index on (client,
key) stands behind it: should two requests ever both run, the second's commit fails and
it answers the first's recorded answer, its own write undone. A write that fails
records nothing: the client may retry it. Keys are kept 24 hours: an older one is
claimed afresh.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Response, request
from flask_babel import gettext as _
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest

from core import jobs
from core.db import db, utcnow
from core.errors import Conflict, DomainError
from core.oauth.resource import current_token
from referrals.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY = 255
KEPT = timedelta(hours=24)
LOCKS = "mediation_hub:idempotency"
HELD_SECONDS = 120  # longer than a request may run (gunicorn's timeout is 30 s)

log = logging.getLogger(__name__)


class KeyReused(DomainError):
    status = 422
    code = "idempotency-key-reused"


class KeyInFlight(Conflict):
    code = "idempotency-key-in-flight"


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _recorded(client_id: str, key: str, fingerprint: str) -> Response | None:
    """The first answer given with this key, to give again; None when the key is new
    (or older than KEPT, then dropped so that it may be recorded afresh)."""
    found = db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.client_id == client_id, IdempotencyRecord.key == key
        )
    )
    if found is None:
        return None
    if found.created_at < utcnow() - KEPT:
        db.session.delete(found)
        db.session.flush()  # now: a flush would insert the new record before deleting
        return None
    if found.request_hash != fingerprint:
        raise KeyReused(
            _("This Idempotency-Key was used with another request in the last 24 hours.")
        )
    return Response(
        found.response_body,
        status=found.response_status,
        mimetype="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


@contextmanager
def _held(client_id: str, key: str) -> Iterator[None]:
    """The key held while its request runs: a concurrent duplicate gets 409."""
    name = f"{LOCKS}:{client_id}:{key}"
    redis = jobs.redis_connection()
    if not redis.set(name, 1, nx=True, ex=HELD_SECONDS):
        raise KeyInFlight(_("A request with this Idempotency-Key is still being processed."))
    try:
        yield
    finally:
        try:
            redis.delete(name)
        except RedisError:  # it expires on its own; the answer stands
            log.warning("could not free an Idempotency-Key", extra={"client_id": client_id})


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
        with _held(token.client_id, key):
            return _once(functools.partial(view, *args, **kwargs), token.client_id, key)

    return wrapper


def _once(write: Callable[[], Response], client_id: str, key: str) -> Response:
    """The write run once for this key, committed with its answer; or the first answer."""
    fingerprint = _fingerprint()
    replay = _recorded(client_id, key, fingerprint)
    if replay is not None:
        return replay
    response = write()
    if response.status_code >= 500:
        db.session.rollback()
        return response
    db.session.add(
        IdempotencyRecord(
            client_id=client_id,
            key=key,
            request_hash=fingerprint,
            response_status=response.status_code,
            response_body=response.get_data(as_text=True),
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        # Another request with this key committed first (its hold had expired): this
        # one's write is undone, and the first answer given.
        db.session.rollback()
        replay = _recorded(client_id, key, fingerprint)
        if replay is None:
            raise
        return replay
    return response
