"""Helpers for the webhook tests: a real HTTP receiver on the loopback interface (a
`http.server` in a thread) that records what reaches it and answers a script of
statuses, and the partner's side set up through the real API."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

from tests.referrals.helpers import partner_token

WEBHOOKS = "/api/v1/webhooks"
SCOPES = "referrals:read referrals:write webhooks:manage"


@dataclass(frozen=True)
class Delivered:
    at: float  # time.monotonic() when it arrived
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> Any:
        """The body, once its signature is checked with `secret` (raises otherwise)."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """Answers the statuses of `script` in turn, then `default`; a 3xx answer points
    to `location`."""

    def __init__(self, script: list[int] | None = None, default: int = 200) -> None:
        self.script = list(script or [])
        self.default = default
        self.location = "http://127.0.0.1:9/elsewhere"
        self.received: list[Delivered] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver._lock:
                    receiver.received.append(Delivered(time.monotonic(), self.path, headers, body))
                    status = receiver.script.pop(0) if receiver.script else receiver.default
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hooks", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def wait_for(self, count: int, timeout: float = 10) -> list[Delivered]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def webhook_token(app: Any, partner_id: Any) -> dict[str, str]:
    """A partner client's token that may manage webhooks (and referrals)."""
    return partner_token(app, partner_id, SCOPES)


def register_endpoint(client: Any, headers: dict[str, str], url: str, **fields: Any) -> Any:
    """A new endpoint through the API: its JSON, the secret included."""
    response = client.post(f"{WEBHOOKS}/endpoints", json={"url": url, **fields}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json
