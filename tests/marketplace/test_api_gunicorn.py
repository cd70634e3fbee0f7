"""Over-long searches through a real server: the app under gunicorn (1 sync worker) on
loopback. A 10 kB query string is refused by gunicorn (its request line limit) or by
the app, with a 4xx; a 3 kB `q`, which fits gunicorn's request line, reaches the app and
is refused there (a search is at most 200 characters): 400 problem+json from the API.
Never a 5xx."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT
from tests.conftest import free_port, missing_service

GUNICORN = PROJECT_ROOT / ".venv" / "bin" / "gunicorn"
API = "/api/v1/marketplace/mediators"
PAGE = "/marketplace"


class Answer:
    def __init__(self, status: int, content_type: str, body: bytes) -> None:
        self.status = status
        self.content_type = content_type
        self.body = body

    def __repr__(self) -> str:
        return f"{self.status} {self.content_type} {self.body[:300]!r}"


def get(port: int, path: str) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Accept-Language": "en"})
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        connection.close()


@pytest.fixture
def server(database_url: str, oauth_keys_file: str, tmp_path: Path) -> Iterator[int]:
    """The app under gunicorn, on a free port; stopped by its own pid."""
    if importlib.util.find_spec("gunicorn") is None or not GUNICORN.exists():
        missing_service("gunicorn")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="gunicorn-test-secret-key",
        OAUTH_KEYS_FILE=oauth_keys_file,
        FILES_DIR=str(tmp_path / "files"),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        LOG_LEVEL="WARNING",
        API_RATE_ANONYMOUS="1000/60",
    )
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    command = [
        str(GUNICORN),
        "--workers",
        "1",
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ]
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command, env=env, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.read_text()[-2000:]}")
            try:
                if get(port, "/healthz").status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn not ready in 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def test_over_long_searches_get_a_4xx_never_a_5xx(server):
    port = server
    assert get(port, API).status == 200  # the server answers searches at all

    for path in (API, PAGE):
        answer = get(port, f"{path}?q={'m' * 10_000}")
        assert 400 <= answer.status < 500, (path, answer)

    # 3 kB fit gunicorn's request line (4094 bytes): the app itself refuses the search.
    answer = get(port, f"{API}?q={'m' * 3_000}")
    assert answer.status == 400, answer
    assert answer.content_type.startswith("application/problem+json"), answer
    problem = json.loads(answer.body)
    assert problem["status"] == 400
    assert "q" in problem["errors"]["query"], problem
    assert "200" in problem["errors"]["query"]["q"][0]

    answer = get(port, f"{PAGE}?q={'m' * 3_000}")
    assert 400 <= answer.status < 500, answer
    answer = get(port, f"{API}?q=mediation&{'specialty=family&' * 150}")
    assert 400 <= answer.status < 500, answer  # more values than a filter takes
