"""Webhooks of referred cases, in one process: the partner's endpoints over the API, the
outbox written in each step's transaction, signed deliveries to a real HTTP receiver,
the retry schedule (the test moves the app's clock and runs the workers' sweep), 410,
manual redelivery, secret rotation, and isolation between partners.

Jobs run inline on the embedded default; on Redis, a non-forking worker drains the
queues after each request (tests/conftest.py) and after each service call here
(`settle`). The real worker process is in test_webhook_worker.py.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import func, select
from standardwebhooks import WebhookVerificationError

from core import jobs
from core.db import db
from core.tenancy import tenant_scope
from referrals import cases, webhook_jobs, webhook_transport
from referrals.webhook_models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from tests.conftest import missing_service
from tests.factories import (
    PartnerFactory,
    ReferralFactory,
    TenantFactory,
    WebhookEndpointFactory,
)
from tests.mediator_api import assert_problem
from tests.referrals.helpers import active_mediator, center_token, referral_body
from tests.referrals.webhook_helpers import (
    WEBHOOKS,
    Receiver,
    register_endpoint,
    webhook_token,
)

REFERRALS, CENTER = "/api/v1/referrals", "/api/v1/center/referrals"


@pytest.fixture
def app_config(app_config):
    """Receivers listen on the loopback interface: the development setting allows it."""
    return {**app_config, "WEBHOOKS_ALLOW_PRIVATE": True}


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def sides(app):
    """A center, a partner, the partner's token (referrals and webhooks), the center's."""
    center, partner = TenantFactory(), PartnerFactory()
    return center, partner, webhook_token(app, partner.id), center_token(app, center.id)


def settle(app) -> None:
    """Run what the service calls of the test queued (inline jobs ran already)."""
    if not app.config["JOBS_INLINE"]:
        jobs.run_pending(app)


def sweep(app) -> None:
    """What a worker runs every WEBHOOK_SWEEP_SECONDS, then the jobs it queued."""
    webhook_jobs.sweep()
    settle(app)


def fresh(model, *where) -> list:
    db.session.rollback()  # a new read: SQLite reads as of its transaction's start
    return list(db.session.scalars(select(model).where(*where)))


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def deliveries(client, headers, **query) -> list[dict]:
    response = client.get(f"{WEBHOOKS}/deliveries", query_string=query, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["items"]


def move(app, referral_id, step: str, center_id) -> None:
    """A center's step through the service, committed (no request: nothing drains)."""
    with tenant_scope(center_id):
        getattr(cases, step)(referral_id, cases.Actor("center"))
        db.session.commit()
    settle(app)


# --- endpoints ----------------------------------------------------------------------------


def test_a_partner_registers_an_endpoint_and_sees_its_secret_only_then(app, client, sides):
    _center, _partner, headers, _ = sides
    created = register_endpoint(
        client,
        headers,
        "https://hooks.cabinet.example/mediation",
        description="Case software",
        event_types=["referral.declined", "referral.accepted", "referral.declined"],
    )
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["referral.accepted", "referral.declined"]
    assert created["enabled"] and created["disabled_reason"] is None
    assert created["previous_secret_expires_at"] is None
    path = f"{WEBHOOKS}/endpoints/{created['id']}"
    shown = client.get(path, headers=headers).json
    assert shown == {name: value for name, value in created.items() if name != "secret"}
    assert client.get(f"{WEBHOOKS}/endpoints", headers=headers).json["items"] == [shown]

    paused = client.patch(path, json={"enabled": False, "event_types": []}, headers=headers)
    assert paused.status_code == 200, paused.json
    assert paused.json["enabled"] is False and paused.json["event_types"] == []
    assert paused.json["disabled_reason"] == "Disabled by the partner."
    resumed = client.patch(path, json={"enabled": True, "description": None}, headers=headers)
    assert resumed.json["enabled"] and resumed.json["disabled_reason"] is None
    assert resumed.json["description"] is None and "secret" not in resumed.json

    assert client.delete(path, headers=headers).status_code == 204
    assert_problem(client.get(path, headers=headers), 404)
    assert count(WebhookEndpoint) == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.cabinet.example/mediation",  # https only
        "ftp://hooks.cabinet.example/mediation",
        "https://user:secret@hooks.cabinet.example/",
        "https:///no-host",
        "https://hooks.cabinet.example:99999/",
        "https://hooks.cabinet.example/with space",
        "https://10.1.2.3/hooks",
        "https://192.168.1.20/hooks",
        "https://127.0.0.1/hooks",
        "https://[::1]/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://[::1/hooks",
    ],
)
def test_in_production_a_url_that_cannot_receive_webhooks_is_refused(app, client, sides, url):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    _center, _partner, headers, _ = sides
    response = client.post(f"{WEBHOOKS}/endpoints", json={"url": url}, headers=headers)
    assert_problem(response, 422)
    assert list(response.json["errors"]["json"]) == ["url"], response.json
    assert count(WebhookEndpoint) == 0


def test_development_allows_http_and_loopback_but_never_metadata(app, client, sides):
    _center, _partner, headers, _ = sides
    register_endpoint(client, headers, "http://127.0.0.1:8400/hooks")
    metadata = {"url": "http://169.254.169.254/latest/meta-data"}
    assert_problem(client.post(f"{WEBHOOKS}/endpoints", json=metadata, headers=headers), 422)


def test_event_types_come_from_the_list_and_a_partner_has_at_most_ten(app, client, sides):
    _center, _partner, headers, _ = sides
    unknown = {"url": "https://hooks.cabinet.example/", "event_types": ["referral.lost"]}
    assert_problem(client.post(f"{WEBHOOKS}/endpoints", json=unknown, headers=headers), 422)
    for n in range(10):
        register_endpoint(client, headers, f"https://hooks{n}.cabinet.example/")
    eleventh = {"url": "https://hooks10.cabinet.example/"}
    response = client.post(f"{WEBHOOKS}/endpoints", json=eleventh, headers=headers)
    assert_problem(response, 409)
    assert response.json["type"].endswith("too-many-endpoints")
    assert count(WebhookEndpoint) == 10


# --- the outbox and the deliveries ------------------------------------------------------


def test_each_step_is_delivered_signed_with_the_partners_view_of_the_case(
    app, client, sides, receiver
):
    center, _partner, headers, as_center = sides
    mediator = active_mediator(center)
    endpoint = register_endpoint(client, headers, receiver.url())
    case = client.post(REFERRALS, json=referral_body(center), headers=headers).json
    for step, body in (
        ("acknowledge", {}),
        ("accept", {}),
        ("assign", {"mediator_id": str(mediator.id)}),
        ("schedule", {"scheduled_at": "2026-12-10T14:00:00+01:00"}),
        ("outcome", {"outcome": "partial_agreement"}),
        ("close", {}),
    ):
        moved = client.post(f"{CENTER}/{case['id']}/{step}", json=body, headers=as_center)
        assert moved.status_code == 200, (step, moved.json)

    received = receiver.wait_for(7)
    assert [r.verify(endpoint["secret"])["type"] for r in received] == [
        "referral.submitted",
        "referral.acknowledged",
        "referral.accepted",
        "referral.assigned",
        "referral.scheduled",
        "referral.concluded",
        "referral.closed",
    ]
    assert len({r.webhook_id for r in received}) == 7
    assert all(r.webhook_id.startswith("msg_") for r in received)
    assert {r.headers["content-type"] for r in received} == {"application/json"}
    last = received[-1].json["data"]
    assert last["referral"] == {
        "id": case["id"],
        "status": "closed",
        "reference": "CAB-2026-0042",
        "center": {"id": str(center.id), "slug": center.slug, "name": center.legal_name},
        "mediator": {"id": str(mediator.id), "name": "Marc Lefèvre"},
        "outcome": "partial_agreement",
        "scheduled_at": "2026-12-10T13:00:00+00:00",
        "decline_reason": None,
    }
    assert last["event"]["kind"] == "close" and set(last["event"]) == {"id", "kind", "at"}
    assert received[0].json["data"]["event"]["kind"] == "created"
    # Never the confidential fields of the case: summary, parties, amount.
    for request in received:
        text = request.body.decode()
        assert all(word not in text for word in ("Désaccord", "Garnier", "Delta", "18500"))

    logged = deliveries(client, headers)
    assert len(logged) == 7 and {d["status"] for d in logged} == {"succeeded"}
    assert {d["message"]["id"] for d in logged} == {r.webhook_id for r in received}
    assert {d["attempts"] for d in logged} == {1}


def test_a_decline_carries_its_reason(app, client, sides, receiver):
    center, _partner, headers, as_center = sides
    endpoint = register_endpoint(client, headers, receiver.url(), event_types=["referral.declined"])
    case = client.post(REFERRALS, json=referral_body(center), headers=headers).json
    reason = {"reason": "Aucun médiateur disponible en décembre."}
    client.post(f"{CENTER}/{case['id']}/decline", json=reason, headers=as_center)
    (declined,) = receiver.wait_for(1)
    data = declined.verify(endpoint["secret"])["data"]
    assert data["referral"]["status"] == "declined"
    assert data["referral"]["decline_reason"] == reason["reason"]


def test_only_events_a_partner_takes_are_written(app, client, sides, receiver):
    center, partner, headers, _ = sides
    register_endpoint(client, headers, receiver.url(), event_types=["referral.accepted"])
    referral = ReferralFactory(tenant=center, partner=partner)
    move(app, referral.id, "acknowledge", center.id)
    assert count(WebhookMessage) == 0  # not taken: not even written
    move(app, referral.id, "accept", center.id)
    assert [m.event_type for m in fresh(WebhookMessage)] == ["referral.accepted"]
    assert [r.json["type"] for r in receiver.wait_for(1)] == ["referral.accepted"]

    # A partner without an endpoint, or whose endpoints are disabled: nothing written.
    quiet = PartnerFactory()
    WebhookEndpointFactory(partner_id=quiet.id, url=receiver.url(), enabled=False)
    move(app, ReferralFactory(tenant=center, partner=quiet).id, "accept", center.id)
    move(app, ReferralFactory(tenant=center).id, "accept", center.id)
    assert count(WebhookMessage) == 1 and len(receiver.received) == 1


def test_the_message_is_written_in_the_steps_transaction(app, sides, receiver):
    center, partner, _headers, _ = sides
    WebhookEndpointFactory(partner_id=partner.id, url=receiver.url())
    referral_id, center_id = ReferralFactory(tenant=center, partner=partner).id, center.id
    with tenant_scope(center_id):
        cases.accept(referral_id, cases.Actor("center"))
    assert [type(row) for row in db.session.new].count(WebhookMessage) == 1
    db.session.rollback()  # the step fails after all: its message goes with it
    settle(app)
    assert count(WebhookMessage) == 0 and count(WebhookDelivery) == 0
    assert receiver.received == []

    move(app, referral_id, "accept", center_id)
    (message,) = fresh(WebhookMessage)
    assert message.event_type == "referral.accepted" and message.relayed_at is not None
    assert [r.webhook_id for r in receiver.wait_for(1)] == [message.webhook_id]


def test_a_step_refused_writes_no_message(app, client, sides, receiver):
    center, partner, headers, as_center = sides
    register_endpoint(client, headers, receiver.url())
    referral = ReferralFactory(tenant=center, partner=partner)
    assert_problem(client.post(f"{CENTER}/{referral.id}/close", json={}, headers=as_center), 409)
    assert count(WebhookMessage) == 0 and receiver.received == []


def test_events_committed_while_a_relay_waits_queue_no_other_job(app, sides, receiver):
    if app.config["JOBS_INLINE"]:
        missing_service("Redis (set REDIS_URL): inline jobs leave no queue to look at")
    center, partner, _headers, _ = sides
    WebhookEndpointFactory(partner_id=partner.id, url=receiver.url())
    referral = ReferralFactory(tenant=center, partner=partner)
    for step in ("acknowledge", "accept"):
        with tenant_scope(center.id):
            getattr(cases, step)(referral.id, cases.Actor("center"))
            db.session.commit()
    assert len(Queue("webhooks", connection=jobs.redis_connection())) == 1
    settle(app)  # the one run relays both
    # Sent side by side: they may arrive in either order (each carries its time).
    assert sorted(r.json["type"] for r in receiver.wait_for(2)) == [
        "referral.accepted",
        "referral.acknowledged",
    ]


# --- retries, 410, redelivery -----------------------------------------------------------


def test_a_failing_receiver_is_retried_on_the_schedule_then_the_delivery_fails(
    app, client, sides, clock
):
    center, partner, headers, _ = sides
    failing = Receiver(default=503)
    try:
        register_endpoint(client, headers, failing.url())
        client.post(REFERRALS, json=referral_body(center), headers=headers)
        assert len(failing.wait_for(1)) == 1
        waits = []
        for number in range(2, len(webhook_transport.DEFAULT_SCHEDULE) + 1):
            (delivery,) = fresh(WebhookDelivery)
            assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == number - 1
            wait = delivery.next_attempt_at - clock.now()
            waits.append(wait.total_seconds())
            clock.advance(wait - timedelta(seconds=1))
            sweep(app)
            assert len(failing.received) == number - 1, f"attempt {number} came early"
            clock.advance(timedelta(seconds=2))
            sweep(app)
            assert len(failing.wait_for(number)) == number, f"attempt {number} did not come"
        (delivery,) = fresh(WebhookDelivery)
        assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
        assert delivery.attempts == 8 and delivery.last_status_code == 503
    finally:
        failing.close()
    headers = webhook_token(app, partner.id)  # days later: a new token
    for wait, planned in zip(waits, webhook_transport.DEFAULT_SCHEDULE[1:], strict=True):
        assert planned * 0.9 <= wait <= planned * 1.1
    # Growing up to 10 hours, twice the last: more than a day in all.
    assert waits[:-1] == sorted(waits[:-1]) and sum(waits) > 24 * 3600
    assert len({r.webhook_id for r in failing.received}) == 1  # the same id every time
    log = client.get(f"{WEBHOOKS}/deliveries/{delivery.id}", headers=headers).json["log"]
    assert [(a["number"], a["status_code"], a["manual"]) for a in log] == [
        (n, 503, False) for n in range(1, 9)
    ]
    clock.advance(timedelta(days=3))
    sweep(app)
    assert len(failing.received) == 8


def test_a_410_disables_the_endpoint_and_abandons_what_waits_for_it(app, client, sides, clock):
    center, partner, headers, _ = sides
    gone = Receiver(script=[500, 410])
    try:
        endpoint = register_endpoint(client, headers, gone.url())
        referral = ReferralFactory(tenant=center, partner=partner)
        move(app, referral.id, "acknowledge", center.id)  # 500: a retry is planned
        clock.advance(timedelta(seconds=1))
        move(app, referral.id, "accept", center.id)  # 410
        assert len(gone.wait_for(2)) == 2
        shown = client.get(f"{WEBHOOKS}/endpoints/{endpoint['id']}", headers=headers).json
        assert shown["enabled"] is False and "410" in shown["disabled_reason"]
        assert {d["status"] for d in deliveries(client, headers)} == {"abandoned"}
        clock.advance(timedelta(days=2))
        sweep(app)
        move(app, ReferralFactory(tenant=center, partner=partner).id, "accept", center.id)
        assert len(gone.received) == 2 and count(WebhookMessage) == 2  # disabled: none
        headers = webhook_token(app, partner.id)  # days later: a new token

        # Resumed by the partner, who asks for the lost message again.
        first = deliveries(client, headers, status="abandoned")[-1]
        again = f"{WEBHOOKS}/deliveries/{first['id']}/redeliver"
        assert_problem(client.post(again, json={}, headers=headers), 409)
        path = f"{WEBHOOKS}/endpoints/{endpoint['id']}"
        client.patch(path, json={"enabled": True}, headers=headers)
        answer = client.post(again, json={}, headers=headers)
        assert answer.status_code == 202, answer.json
        assert len(gone.wait_for(3)) == 3
        assert gone.received[2].webhook_id == gone.received[0].webhook_id
    finally:
        gone.close()
    shown = client.get(f"{WEBHOOKS}/deliveries/{first['id']}", headers=headers).json
    assert shown["status"] == "succeeded" and shown["attempts"] == 1
    assert [(a["status_code"], a["manual"]) for a in shown["log"]] == [(500, False), (200, True)]


def test_a_manual_redelivery_sends_the_same_message_again(app, client, sides, receiver):
    center, _partner, headers, _ = sides
    endpoint = register_endpoint(client, headers, receiver.url())
    client.post(REFERRALS, json=referral_body(center), headers=headers)
    (delivery,) = deliveries(client, headers)
    assert delivery["status"] == "succeeded"
    url = f"{WEBHOOKS}/deliveries/{delivery['id']}/redeliver"
    assert client.post(url, json={}, headers=headers).status_code == 202
    first, second = receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id == delivery["message"]["id"]
    assert second.verify(endpoint["secret"]) == first.verify(endpoint["secret"]) | {
        "timestamp": second.json["timestamp"]
    }
    shown = client.get(f"{WEBHOOKS}/deliveries/{delivery['id']}", headers=headers).json
    assert [(a["number"], a["manual"]) for a in shown["log"]] == [(1, False), (2, True)]
    assert shown["payload"]["referral"]["status"] == "submitted"


# --- signatures ---------------------------------------------------------------------------


def test_after_a_rotation_both_secrets_sign_for_24_hours(app, client, sides, receiver, clock):
    center, partner, headers, _ = sides
    endpoint = register_endpoint(client, headers, receiver.url())
    path = f"{WEBHOOKS}/endpoints/{endpoint['id']}"
    rotated = client.post(f"{path}/rotate-secret", json={}, headers=headers)
    assert rotated.status_code == 200, rotated.json
    new_secret, old_secret = rotated.json["secret"], endpoint["secret"]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    assert rotated.json["previous_secret_expires_at"] is not None
    assert "secret" not in client.get(path, headers=headers).json

    referral = ReferralFactory(tenant=center, partner=partner)
    move(app, referral.id, "acknowledge", center.id)
    (both,) = receiver.wait_for(1)
    assert len(both.headers["webhook-signature"].split(" ")) == 2
    assert both.verify(new_secret) == both.verify(old_secret)

    clock.advance(timedelta(hours=24, minutes=1))
    move(app, referral.id, "accept", center.id)
    _, one = receiver.wait_for(2)
    assert len(one.headers["webhook-signature"].split(" ")) == 1
    assert one.verify(new_secret)["type"] == "referral.accepted"
    with pytest.raises(WebhookVerificationError):
        one.verify(old_secret)
    headers = webhook_token(app, partner.id)  # a day later: a new token
    assert client.get(path, headers=headers).json["previous_secret_expires_at"] is None


# --- destinations -------------------------------------------------------------------------


def test_in_production_a_host_resolving_to_a_private_address_gets_nothing(
    app, client, sides, receiver
):
    """Saved when it looked fine: refused at the delivery, where the host is resolved."""
    center, partner, headers, _ = sides
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    WebhookEndpointFactory(
        partner_id=partner.id, url=receiver.url(scheme="https", host="localhost")
    )
    move(app, ReferralFactory(tenant=center, partner=partner).id, "accept", center.id)
    (delivery,) = deliveries(client, headers)
    assert delivery["status"] == "pending" and delivery["last_status_code"] is None
    assert "resolves to 127.0.0.1, a loopback address" in delivery["last_error"]
    assert receiver.received == []


def test_a_redirect_is_not_followed(app, client, sides, receiver):
    center, partner, headers, _ = sides
    inside = Receiver()
    try:
        redirecting = Receiver(default=307)
        redirecting.location = inside.url("/internal")
        WebhookEndpointFactory(partner_id=partner.id, url=redirecting.url())
        move(app, ReferralFactory(tenant=center, partner=partner).id, "accept", center.id)
        assert len(redirecting.wait_for(1)) == 1
        redirecting.close()
        (delivery,) = deliveries(client, headers)
        assert delivery["status"] == "pending" and delivery["last_status_code"] == 307
        assert "redirects are not followed" in delivery["last_error"]
        assert inside.received == []
    finally:
        inside.close()


# --- isolation ----------------------------------------------------------------------------


def test_partner_a_gets_404_on_partner_b_s_endpoints_and_deliveries(app, client, sides, receiver):
    center, _partner_b, as_b, _ = sides
    as_a = webhook_token(app, PartnerFactory().id)
    theirs = register_endpoint(client, as_b, receiver.url())
    mine = register_endpoint(client, as_a, receiver.url("/a"))
    client.post(REFERRALS, json=referral_body(center), headers=as_b)
    (their_delivery,) = deliveries(client, as_b)
    before = (
        fresh(WebhookEndpoint, WebhookEndpoint.id == uuid.UUID(theirs["id"]))[0].secret,
        count(WebhookAttempt),
    )

    assert [e["id"] for e in client.get(f"{WEBHOOKS}/endpoints", headers=as_a).json["items"]] == [
        mine["id"]
    ]
    assert deliveries(client, as_a) == []
    assert deliveries(client, as_a, endpoint=theirs["id"]) == []
    endpoint = f"{WEBHOOKS}/endpoints/{theirs['id']}"
    delivery = f"{WEBHOOKS}/deliveries/{their_delivery['id']}"
    for method, url, body in (
        ("GET", endpoint, None),
        ("PATCH", endpoint, {"enabled": False}),
        ("DELETE", endpoint, None),
        ("POST", f"{endpoint}/rotate-secret", {}),
        ("GET", delivery, None),
        ("POST", f"{delivery}/redeliver", {}),
    ):
        assert_problem(client.open(url, method=method, json=body, headers=as_a), 404)
    (row,) = fresh(WebhookEndpoint, WebhookEndpoint.id == uuid.UUID(theirs["id"]))
    assert (row.secret, count(WebhookAttempt)) == before and row.enabled
    assert len(receiver.received) == 1


def test_deliveries_are_listed_newest_first_by_page_with_filters(
    app, client, sides, receiver, clock
):
    center, partner, headers, _ = sides
    one = register_endpoint(client, headers, receiver.url("/one"))
    two = register_endpoint(
        client, headers, receiver.url("/two"), event_types=["referral.accepted"]
    )
    referral = ReferralFactory(tenant=center, partner=partner)
    for step in ("acknowledge", "accept"):
        clock.advance(timedelta(seconds=1))
        move(app, referral.id, step, center.id)
    whole = deliveries(client, headers)
    assert len(whole) == 3 and len(receiver.wait_for(3)) == 3
    assert [d["message"]["event_type"] for d in whole][-1] == "referral.acknowledged"
    first = client.get(f"{WEBHOOKS}/deliveries", query_string={"limit": 2}, headers=headers).json
    second = client.get(
        f"{WEBHOOKS}/deliveries",
        query_string={"limit": 2, "cursor": first["next_cursor"]},
        headers=headers,
    ).json
    assert first["items"] + second["items"] == whole and second["next_cursor"] is None
    assert [d["endpoint_id"] for d in deliveries(client, headers, endpoint=two["id"])] == [
        two["id"]
    ]
    assert len(deliveries(client, headers, endpoint=one["id"], status="succeeded")) == 2
    assert deliveries(client, headers, status="failed") == []
    for bad in ({"limit": 101}, {"cursor": "nonsense"}):
        assert_problem(client.get(f"{WEBHOOKS}/deliveries", query_string=bad, headers=headers), 400)
    bad_status = client.get(
        f"{WEBHOOKS}/deliveries", query_string={"status": "lost"}, headers=headers
    )
    assert_problem(bad_status, 422)
