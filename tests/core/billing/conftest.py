"""Shared fixtures of the platform billing tests: billing switched on against the
platform's localstripe (`stripe_platform`), a live server for Stripe's webhooks, and
signed events built from the objects read back from the emulator."""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from core import jobs
from core.billing.cli import sync_plans
from tests.stripe_emulator import StripeEmulator

SECRET_KEY = "sk_test_platform"
WEBHOOK_SECRET = "whsec_test_platform_billing"
WEBHOOK_PATH = "/billing/stripe/webhook"
INVOICE_FOOTER = "Mediation Hub SAS, SIREN 123 456 789, TVA FR40123456789"


@pytest.fixture
def page_language() -> str:
    return "en"


@dataclass
class Billing:
    """Billing switched on for the test's app, against the platform's emulator."""

    app: Flask
    stripe: StripeEmulator
    webhook_secret: str = WEBHOOK_SECRET

    def get(self, path: str) -> dict[str, Any]:
        """A raw object as Stripe returns it (what a real event would carry)."""
        response = requests.get(
            f"{self.stripe.url}/v1/{path}",
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> dict[str, Any]:
        response = requests.post(
            f"{self.stripe.url}/v1/{path}",
            data=data,
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def events(self) -> list[dict[str, Any]]:
        """Every event the emulator recorded, oldest first."""
        found = self.get("events?limit=100")["data"]
        return sorted(found, key=lambda e: (e["created"], e["id"]))


def enable_billing(app: Flask, stripe: StripeEmulator, *, sync: bool = True) -> Billing:
    app.config.update(
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_PUBLISHABLE_KEY="pk_test_platform",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=stripe.url,
        STRIPE_JS_URL=stripe.url + "/js.stripe.com/v3/",
        BILLING_INVOICE_FOOTER=INVOICE_FOOTER,
    )
    if sync:
        with app.app_context():
            sync_plans()
    return Billing(app, stripe)


@pytest.fixture
def billing(app: Flask, stripe_platform: StripeEmulator) -> Iterator[Billing]:
    """Billing on, the plans synced; Stripe's webhook points nowhere unless a test
    registers it (a test's endpoint is forgotten after it)."""
    stripe_platform.unregister_webhook("platform")
    yield enable_billing(app, stripe_platform)
    stripe_platform.unregister_webhook("platform")


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The app on a loopback port (Stripe's webhooks need a real server). Jobs are
    drained by the test's own polling (`wait_until`) on Redis."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    serving.join(timeout=10)


def drain(app: Flask) -> None:
    """Run the queued jobs (they ran inline already in the embedded mode)."""
    if not app.config["JOBS_INLINE"]:
        contextvars.Context().run(jobs.run_pending, app)


def wait_until(app: Flask, condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        drain(app)
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not met within {seconds} s: {condition.__doc__ or condition}")


def signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header, made as Stripe makes it."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={signed.hexdigest()}"


def event_for(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An event as Stripe sends it, around a real object read back from the emulator."""
    return {
        "id": event_id or f"evt_test_{secrets.token_hex(8)}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def post_event(
    client: Any, event: dict[str, Any], secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> Any:
    payload = json.dumps(event).encode()
    return client.post(
        WEBHOOK_PATH,
        data=payload,
        headers={
            "Stripe-Signature": signature(payload, secret, timestamp),
            "Content-Type": "application/json",
        },
    )
