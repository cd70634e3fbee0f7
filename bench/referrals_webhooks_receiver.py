"""The webhook benchmark's receiver: a small threaded HTTP server in a process of its own,
which answers every POST with 200 at once and records when it arrived.

    python bench/referrals_webhooks_receiver.py PORT

- `POST /hooks` (any path but the ones below): recorded as (arrival time, the
  `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, the body), then
  answered `200 ok`. Nothing is checked while it runs: the benchmark verifies the
  signatures afterwards, so the receiver costs the same for the app and the baseline.
- `GET /count`: how many POSTs arrived, as text.
- `GET /dump`: every record, as JSON (the arrival time is `time.time()`, the wall clock
  the benchmark also reads, on the same machine).
- `POST /reset`: forget them.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")

_received: list[list] = []
_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, content: bytes, content_type: str = "text/plain") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        at = time.time()
        if self.path == "/reset":
            with _lock:
                _received.clear()
            self._answer(b"ok")
            return
        record = [at, *(self.headers.get(name) for name in HEADERS), body.decode()]
        with _lock:
            _received.append(record)
        self._answer(b"ok")

    def do_GET(self) -> None:
        if self.path == "/count":
            self._answer(str(len(_received)).encode())
        elif self.path == "/dump":
            with _lock:
                records = list(_received)
            self._answer(json.dumps(records).encode(), "application/json")
        else:
            self.send_error(404)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default listen backlog is 5


def main() -> None:
    server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
