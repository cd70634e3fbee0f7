"""localstripe, the stateful Stripe emulator, run on loopback for the billing tests.

Two processes: one is the platform's Stripe account, the other stands for a center's own
account (one localstripe process keeps one store for every key). `.ci/run` starts both and
exports their addresses; otherwise the session starts its own. Each test starts on an
empty store.

Run as a script (`python -m tests.stripe_emulator PORT`), it serves localstripe on
127.0.0.1 only, keeping its store in memory (the package's own launcher listens on every
interface and pickles its store to a fixed path in /tmp, which two processes would share).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

PLATFORM_ENV = "LOCALSTRIPE_URL"
CENTER_ENV = "LOCALSTRIPE_CENTER_URL"


@dataclass
class StripeEmulator:
    """One localstripe process: its base URL and its configuration endpoints."""

    url: str

    def flush(self) -> None:
        """Empty the store (customers, plans, subscriptions...)."""
        requests.delete(f"{self.url}/_config/data", timeout=10).raise_for_status()

    def register_webhook(
        self, name: str, url: str, secret: str, events: list[str] | None = None
    ) -> None:
        """Send real signed events to `url` (localstripe posts each about 1 s after it)."""
        data: dict[str, object] = {"url": url, "secret": secret}
        if events is not None:
            data["events"] = events
        requests.post(
            f"{self.url}/_config/webhooks/{name}", data=_form(data), timeout=10
        ).raise_for_status()

    def unregister_webhook(self, name: str) -> None:
        """localstripe cannot forget an endpoint: point it at a closed port instead."""
        self.register_webhook(name, "http://127.0.0.1:9/", "whsec_unused", ["none"])


def _form(data: dict[str, object]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        if isinstance(value, list):
            pairs.extend((f"{key}[{i}]", str(item)) for i, item in enumerate(value))
        else:
            pairs.append((key, str(value)))
    return pairs


def _wait_until_up(url: str, process: subprocess.Popen | None) -> bool:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            requests.get(
                f"{url}/v1/plans", headers={"Authorization": "Bearer sk_test_up"}, timeout=1
            )
            return True
        except requests.RequestException:
            time.sleep(0.1)
    return False


def start(port: int) -> tuple[subprocess.Popen, str]:
    """Start one emulator process on 127.0.0.1:port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.stripe_emulator", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    return process, f"http://127.0.0.1:{port}"


def emulators(missing_service) -> Iterator[tuple[StripeEmulator, StripeEmulator]]:
    """The platform's and a center's emulators, from the environment or started here."""
    try:
        import localstripe  # noqa: F401
    except ImportError:
        missing_service("localstripe is not installed (make install-dev)")
    started: list[subprocess.Popen] = []
    urls = []
    from tests.conftest import free_port

    for env in (PLATFORM_ENV, CENTER_ENV):
        url = os.environ.get(env)
        if not url:
            process, url = start(free_port())
            started.append(process)
            if not _wait_until_up(url, process):
                for each in started:
                    each.kill()
                missing_service(f"localstripe did not start on {url}")
        elif not _wait_until_up(url, None):
            missing_service(f"localstripe is not answering at {url} ({env})")
        urls.append(url)
    try:
        yield StripeEmulator(urls[0]), StripeEmulator(urls[1])
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def _stripe_emulators() -> Iterator[tuple[StripeEmulator, StripeEmulator]]:
    from tests.conftest import missing_service

    yield from emulators(missing_service)


@pytest.fixture
def stripe_platform(_stripe_emulators) -> StripeEmulator:
    """The platform's Stripe account (empty at the start of the test)."""
    emulator = _stripe_emulators[0]
    emulator.flush()
    return emulator


@pytest.fixture
def stripe_center(_stripe_emulators) -> StripeEmulator:
    """A center's own Stripe account, a separate process (empty at the start of the test)."""
    emulator = _stripe_emulators[1]
    emulator.flush()
    return emulator


def _serve(port: int) -> None:
    from aiohttp import web
    from localstripe import resources, server

    # Keep the store in memory only: no shared pickle file between processes.
    resources.Store.dump_to_disk = lambda self: None
    web.run_app(server.app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
