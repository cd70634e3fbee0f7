"""The webhook benchmark's bare baseline: one RQ job per message, which signs it and
POSTs it, nothing else.

`deliver(url, secret, msg_id, event_type, payload)` builds the body the app sends (the
envelope `{"type", "timestamp", "data"}` as compact JSON), signs it the Standard
Webhooks way with hmac-sha256 (`webhook-id`, `webhook-timestamp`, `webhook-signature:
v1,<base64>` over `id.timestamp.body`, with the `whsec_` secret's key) and POSTs it
with one HTTP request on a new connection, as the app does. No database, no outbox, no
delivery or attempt rows, no destination check, no watchdog thread. A non-2xx answer
raises, so that the job fails where the app would retry.

Run by one non-forking RQ worker (`rq worker -w rq.worker.SimpleWorker`), started by
bench/referrals_webhooks.py with the project's root on its import path.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit


def deliver(url: str, secret: str, msg_id: str, event_type: str, payload: dict[str, Any]) -> int:
    """POST one signed message to `url`; its HTTP status."""
    now = time.time()
    when = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
    document = {"type": event_type, "timestamp": when.replace("+00:00", "Z"), "data": payload}
    body = json.dumps(document, separators=(",", ":"), allow_nan=False).encode("ascii")
    timestamp = str(int(now))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(
            "POST",
            parts.path or "/",
            body=body,
            headers={
                "webhook-id": msg_id,
                "webhook-timestamp": timestamp,
                "webhook-signature": f"v1,{signature}",
                "content-type": "application/json",
            },
        )
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise RuntimeError(f"{url} answered {response.status}")
    return response.status
