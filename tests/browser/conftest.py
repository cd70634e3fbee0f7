"""A live server on loopback, a job drainer, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import contextvars
import shutil
import threading
from collections.abc import Iterator

import pytest
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty
from werkzeug.serving import make_server

from core import jobs
from tests.conftest import missing_service

TIMEOUT_MS = 10_000  # Playwright's waits: generous on a loaded 2-core machine
BROWSER_LOCALES = {"fr": "fr-FR", "en": "en-GB"}

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _SideThreadWorker(SimpleWorker):
    """The drainer runs beside the server in a side thread, where Python allows no signal
    handler: RQ's SIGALRM job timeout gives way to its timer-based one, and SIGINT/SIGTERM
    stay with pytest."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    stop = threading.Event()
    drainer = None
    if not app.config["JOBS_INLINE"]:
        # On real Redis a worker runs beside the server, as in production.
        def drain() -> None:
            while not stop.wait(0.2):
                contextvars.Context().run(jobs.run_pending, app, _SideThreadWorker)

        drainer = threading.Thread(target=drain, daemon=True)
        drainer.start()
    yield base_url
    stop.set()
    server.shutdown()
    serving.join(timeout=10)
    if drainer:
        drainer.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        missing_service("Chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev extras not installed
        missing_service("Playwright (pip install playwright)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(params=["fr", "en"])
def language(request: pytest.FixtureRequest) -> str:
    """Each browser test runs in French and in English (a module may narrow it)."""
    return request.param


@pytest.fixture
def new_context(browser, language: str):
    """Fresh browser contexts (each its own cookies) that speak the test's language."""
    contexts = []

    def open_context():
        context = browser.new_context(locale=BROWSER_LOCALES[language])
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
