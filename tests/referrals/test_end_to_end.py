"""End to end, with a real OAuth client library (Authlib's requests client) against the
app served on loopback (tests/browser/conftest.py's `live_server`): a partner's software
gets a token, registers a webhook endpoint and sends a case; the center's software
accepts and assigns it; the partner reads the timeline and receives each step's webhook
at a real HTTP receiver, signed per Standard Webhooks (verified with the
`standardwebhooks` verifier), in order. On PostgreSQL + Redis a worker beside the server
delivers them, as in production; in the embedded mode the jobs run inline.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.browser import conftest as browser_conftest
from tests.factories import PartnerFactory, TenantFactory
from tests.oauth import Registered, register
from tests.referrals.helpers import active_mediator, referral_body
from tests.referrals.webhook_helpers import Receiver

live_server = browser_conftest.live_server
TIMEOUT = 10


def session(base: str, registered: Registered, scope: str) -> OAuth2Session:
    """Authlib's client, configured from the server's metadata, with a token."""
    found = requests.get(f"{base}/.well-known/oauth-authorization-server", timeout=TIMEOUT)
    client = OAuth2Session(
        client_id=registered.client_id,
        client_secret=registered.secret,
        token_endpoint=found.json()["token_endpoint"],
        token_endpoint_auth_method="client_secret_basic",
        scope=scope,
    )
    client.fetch_token(grant_type="client_credentials")
    return client


def wait_for(receiver: Receiver, count: int, seconds: float = 20) -> list[Any]:
    deadline = time.monotonic() + seconds
    while len(receiver.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return list(receiver.received)


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()


def test_a_partner_follows_its_case_by_api_and_webhook(app, live_server, receiver):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True  # the receiver listens on loopback
    center, partner = TenantFactory(), PartnerFactory()
    mediator = active_mediator(center)
    partner_scope = "referrals:read referrals:write webhooks:manage"
    partner_client = register("partner", partner.id, scopes=partner_scope.split())
    center_client = register("tenant", center.id, scopes=["referrals:read", "referrals:write"])
    api = f"{live_server}/api/v1"

    software = session(live_server, partner_client, partner_scope)
    endpoint = software.post(
        f"{api}/webhooks/endpoints", json={"url": receiver.url()}, timeout=TIMEOUT
    )
    assert endpoint.status_code == 201, endpoint.text
    secret = endpoint.json()["secret"]
    sent = software.post(
        f"{api}/referrals",
        json=referral_body(center),
        headers={"Idempotency-Key": "e2e-1"},
        timeout=TIMEOUT,
    )
    assert sent.status_code == 201, sent.text
    case_id = sent.json()["id"]

    inbox = session(live_server, center_client, "referrals:read referrals:write")
    for step, body in (("accept", {}), ("assign", {"mediator_id": str(mediator.id)})):
        moved = inbox.post(f"{api}/center/referrals/{case_id}/{step}", json=body, timeout=TIMEOUT)
        assert moved.status_code == 200, (step, moved.text)

    timeline = software.get(f"{api}/referrals/{case_id}/events", timeout=TIMEOUT).json()
    assert [e["status"] for e in timeline["items"]] == ["submitted", "accepted", "assigned"]
    assert timeline["items"][-1]["details"] == {"mediator": mediator.display_name}

    received = wait_for(receiver, 3)
    # Deliveries go side by side, so they may arrive in any order.
    events = {e["type"]: e for e in (delivered.verify(secret) for delivered in received)}
    assert sorted(events) == ["referral.accepted", "referral.assigned", "referral.submitted"]
    assert {e["data"]["referral"]["id"] for e in events.values()} == {case_id}
    assigned = events["referral.assigned"]["data"]["referral"]
    assert assigned["status"] == "assigned"
    assert assigned["mediator"]["name"] == mediator.display_name
    assert len({d.webhook_id for d in received}) == 3  # one message per step
    # The partner's view only: never the case's confidential fields.
    for delivered in received:
        assert b"Garnier" not in delivered.body and b"18500" not in delivered.body
