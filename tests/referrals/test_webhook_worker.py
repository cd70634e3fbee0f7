"""Webhooks delivered by a real worker process (`flask worker`) on PostgreSQL and Redis
to a real HTTP receiver, the retry schedule scaled down by configuration. The test only
commits the case's step: the worker relays the outbox, delivers, retries and sweeps on
its own; no test calls the relay.

- a receiver failing 3 times then succeeding gets 4 attempts of one message (the same
  `webhook-id`, each signature verified by the `standardwebhooks` verifier), the gaps
  between them as the schedule says, and nothing after the success;
- in production mode, a URL whose host resolves to a loopback or private address is
  refused at the delivery, and a redirect is never followed (the receiver it points to
  gets nothing);
- with a private Redis (its own `redis-server`) stopped at the commit, the commit
  stands, the failed queueing is logged, and the event is delivered once Redis is back.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.worker import WorkerStatus
from sqlalchemy import select

from core.app import create_app
from core.db import db
from core.jobs import QUEUES
from core.tenancy import tenant_scope
from referrals import cases
from referrals.webhook_models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookMessage,
)
from referrals.webhook_transport import DEFAULT_SCHEDULE
from tests.conftest import free_port, missing_service
from tests.factories import (
    PartnerFactory,
    ReferralFactory,
    TenantFactory,
    WebhookEndpointFactory,
)
from tests.referrals.webhook_helpers import Receiver

SCALE = 0.003  # the schedule's 5 s, 5 min and 30 min become 15 ms, 0.9 s and 5.4 s
SWEEP = 0.1
JITTER = 0.1
SLACK = 1.0  # a worker's own pace on a busy machine, on top of the sweep's interval


@pytest.fixture
def services(app, owner_engine) -> None:
    if owner_engine.dialect.name != "postgresql":
        missing_service("PostgreSQL (set DATABASE_URL) for the webhook worker tests")
    if app.config["JOBS_INLINE"]:
        missing_service("Redis (set REDIS_URL) for the RQ worker process")


@pytest.fixture
def start_worker(app, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `flask worker` processes (stopped at the end), each once it listens."""
    started: list[subprocess.Popen] = []

    def start(redis_url: str | None = None, **settings: Any) -> subprocess.Popen:
        redis_url = redis_url or app.config["REDIS_URL"]
        env = {
            **os.environ,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "REDIS_URL": redis_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "OAUTH_KEYS_FILE": app.config["OAUTH_KEYS_FILE"],
            "FILES_DIR": app.config["FILES_DIR"],
            "LOG_LEVEL": "WARNING",
            "WEBHOOK_SCHEDULE_SCALE": str(SCALE),
            "WEBHOOK_SWEEP_SECONDS": str(SWEEP),
            "WEBHOOK_TIMEOUT_SECONDS": "5",
            **{name: str(value) for name, value in settings.items()},
        }
        log = (tmp_path / f"worker-{len(started)}.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(worker)
        connection = Redis.from_url(redis_url)
        deadline = time.monotonic() + 60
        while not any(w.pid == worker.pid for w in Worker.all(connection=connection)):
            assert worker.poll() is None, Path(log.name).read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)
        connection.close()
        return worker

    yield start
    for worker in started:
        worker.terminate()
    for worker in started:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def accept(referral_id: Any, center_id: Any) -> None:
    """The center accepts the case; the commit queues the relay of its event."""
    with tenant_scope(center_id):
        cases.accept(referral_id, cases.Actor("center"))
        db.session.commit()


def rows(model: type, *where: Any) -> list[Any]:
    db.session.rollback()
    return list(db.session.scalars(select(model).where(*where)))


def idle(redis_url: str) -> bool:
    """No job waits in the queues, and every worker waits for one."""
    connection = Redis.from_url(redis_url)
    try:
        queues = (Queue(name, connection=connection) for name in QUEUES)
        workers = Worker.all(connection=connection)
        return all(q.is_empty() for q in queues) and all(
            w.get_state() == WorkerStatus.IDLE for w in workers
        )
    finally:
        connection.close()


def wait_until(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def test_a_worker_retries_a_failing_receiver_on_the_scaled_schedule(app, services, start_worker):
    receiver = Receiver(script=[500, 500, 500])
    try:
        center, partner = TenantFactory(), PartnerFactory()
        endpoint = WebhookEndpointFactory(partner_id=partner.id, url=receiver.url())
        referral = ReferralFactory(tenant=center, partner=partner)
        start_worker(WEBHOOKS_ALLOW_PRIVATE=1)
        accept(referral.id, center.id)
        received = receiver.wait_for(4, timeout=30)
        time.sleep(1)  # after the success, nothing more comes
        assert len(receiver.received) == 4, [r.at for r in receiver.received]
    finally:
        receiver.close()

    (message,) = rows(WebhookMessage)
    assert {r.webhook_id for r in received} == {message.webhook_id}
    for request in received:
        assert request.verify(endpoint.secret)["type"] == "referral.accepted"
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(received)]
    planned = [delay * SCALE for delay in DEFAULT_SCHEDULE[1:4]]
    for gap, delay in zip(gaps, planned, strict=True):
        assert delay * (1 - JITTER) <= gap <= delay * (1 + JITTER) + SWEEP + SLACK, (gaps, planned)
    assert gaps == sorted(gaps), gaps

    (delivery,) = rows(WebhookDelivery)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 4
    log = rows(WebhookAttempt, WebhookAttempt.delivery_id == delivery.id)
    assert sorted((a.number, a.status_code) for a in log) == [
        (1, 500),
        (2, 500),
        (3, 500),
        (4, 200),
    ]


def test_in_production_a_worker_sends_nothing_to_private_addresses(app, services, start_worker):
    receiver = Receiver()
    try:
        center, partner = TenantFactory(), PartnerFactory()
        # Saved when they looked fine (a host name is resolved only at the delivery).
        for url in (
            receiver.url(scheme="https", host="localhost"),
            "https://10.20.30.40/hooks",
        ):
            WebhookEndpointFactory(partner_id=partner.id, url=url)
        referral = ReferralFactory(tenant=center, partner=partner)
        start_worker(WEBHOOKS_ALLOW_PRIVATE=0)
        accept(referral.id, center.id)
        wait_until(lambda: len([d for d in rows(WebhookDelivery) if d.last_error]) == 2)
        time.sleep(0.5)
        assert receiver.received == []
    finally:
        receiver.close()
    errors = sorted(d.last_error for d in rows(WebhookDelivery))
    assert "resolves to 10.20.30.40, a private address" in errors[0]
    assert "resolves to 127.0.0.1, a loopback address" in errors[1]
    assert all(d.status == DeliveryStatus.PENDING for d in rows(WebhookDelivery))
    assert {a.status_code for a in rows(WebhookAttempt)} == {None}


def test_a_worker_never_follows_a_redirect(app, services, start_worker):
    inside, redirecting = Receiver(), Receiver(default=307)
    redirecting.location = inside.url("/admin")
    try:
        center, partner = TenantFactory(), PartnerFactory()
        WebhookEndpointFactory(partner_id=partner.id, url=redirecting.url())
        referral = ReferralFactory(tenant=center, partner=partner)
        start_worker(WEBHOOKS_ALLOW_PRIVATE=1)
        accept(referral.id, center.id)
        assert len(redirecting.wait_for(2, timeout=20)) >= 2  # retried, not followed
        wait_until(lambda: len(rows(WebhookAttempt)) >= 2)
        time.sleep(0.5)
        assert inside.received == []
        # Read before the receivers close: later attempts find nobody there.
        (first, second) = sorted(rows(WebhookAttempt), key=lambda a: a.number)[:2]
    finally:
        inside.close()
        redirecting.close()
    for attempt in (first, second):
        assert attempt.status_code == 307, attempt.error
        assert "redirects are not followed" in attempt.error


class PrivateRedis:
    """A `redis-server` of the test's own, without persistence, stopped and started
    again on the same port."""

    def __init__(self, server: str, port: int, log: Path) -> None:
        self.command = [server, "--port", str(port), "--bind", "127.0.0.1"]
        self.command += ["--save", "", "--appendonly", "no"]
        self.url = f"redis://127.0.0.1:{port}/0"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        output = self.log.open("a")
        self.process = subprocess.Popen(self.command, stdout=output, stderr=subprocess.STDOUT)
        connection = Redis.from_url(self.url)
        wait_until(lambda: self._answers(connection), timeout=10)
        connection.close()

    def _answers(self, connection: Redis) -> bool:
        try:
            return bool(connection.ping())
        except RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def test_an_event_committed_while_redis_is_down_is_delivered_once_it_is_back(
    app, app_config, services, start_worker, caplog, tmp_path
):
    server = shutil.which("redis-server")
    if server is None:
        missing_service("redis-server, for a Redis of the test's own")
    redis = PrivateRedis(server, free_port(), tmp_path / "redis.log")
    redis.start()
    receiver = Receiver()
    private = create_app({**app_config, "REDIS_URL": redis.url, "JOBS_INLINE": False})
    worker = start_worker(redis.url, WEBHOOKS_ALLOW_PRIVATE=1)
    try:
        with private.app_context():
            center, partner = TenantFactory(), PartnerFactory()
            endpoint = WebhookEndpointFactory(partner_id=partner.id, url=receiver.url())
            referral_id, center_id = ReferralFactory(tenant=center, partner=partner).id, center.id
            # Stopped while the worker waits for jobs (RQ's worker quits if its Redis
            # goes away in the middle of a job: it is then restarted, as any process).
            wait_until(lambda: idle(redis.url))
            redis.stop()
            with caplog.at_level(logging.ERROR, logger="core.jobs"):
                accept(referral_id, center_id)  # the commit stands
            assert "job not queued: Redis is unreachable" in caplog.text
            (message,) = rows(WebhookMessage)
            assert message.event_type == "referral.accepted" and message.relayed_at is None
            redis.start()
            (delivered,) = receiver.wait_for(1, timeout=20)
            assert delivered.webhook_id == message.webhook_id
            assert delivered.verify(endpoint.secret)["data"]["referral"]["status"] == "accepted"
            time.sleep(0.5)
            assert len(receiver.received) == 1
    finally:
        worker.terminate()  # while its Redis still answers, for a clean stop
        worker.wait(timeout=30)
        receiver.close()
        db.dispose(private)
        redis.stop()
