"""A worker killed in the middle of the reminders run: the next run sends the rest and
repeats at most the one message in flight. A real `flask worker` process on Redis and
PostgreSQL, and an SMTP server that kills it (SIGKILL) as the 5th message arrives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from core.credentials.reminders import service
from core.credentials.reminders.jobs import send_reminders
from core.db import db
from tests.conftest import MailCapture, free_port, missing_service
from tests.core.credentials.reminder_helpers import certification

DUE = 10
KILL_AT = 5


class KillingCapture(MailCapture):
    """Accepts each message, and kills the sending process as the `kill_at`th arrives:
    the server has it, the sender never hears so and cannot mark it sent."""

    def __init__(self, kill_at: int | None) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.victim: int | None = None
        self.killed = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if self.kill_at is not None and len(self.messages) == self.kill_at and self.victim:
            os.kill(self.victim, signal.SIGKILL)
            self.killed.set()
        return answer


def _worker(app, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"],
        "OAUTH_KEYS_FILE": app.config["OAUTH_KEYS_FILE"],
        "FILES_DIR": app.config["FILES_DIR"],
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _sent_and_recorded(owner_engine) -> tuple[int, int]:
    with owner_engine.connect() as conn:
        row = conn.execute(text("SELECT count(sent_at), count(*) FROM reminders")).one()
    return row[0], row[1]


@pytest.fixture
def services(app, owner_engine):
    if owner_engine.dialect.name != "postgresql":
        missing_service("PostgreSQL (set DATABASE_URL) for the worker crash test")
    if app.config["JOBS_INLINE"]:
        missing_service("Redis (set REDIS_URL) for the RQ worker process")


def test_a_worker_killed_mid_run_leaves_at_most_one_repeat(app, owner_engine, services):
    # The worker reads the system clock: due today, whatever day this runs.
    on = service.today()
    emails = {certification(on, 20).profile.user.email for _ in range(DUE)}

    capture = KillingCapture(kill_at=KILL_AT)
    port = free_port()
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        send_reminders.delay()
        db.session.commit()
        worker = _worker(app, port)
        capture.victim = worker.pid
        _out, err = worker.communicate(timeout=120)
        assert capture.killed.is_set(), f"the worker ended on its own: {err[-2000:]}"
        assert worker.returncode == -signal.SIGKILL
        assert len(capture.messages) == KILL_AT
        # Recorded before sending: all ten; marked sent after: the four acknowledged.
        assert _sent_and_recorded(owner_engine) == (KILL_AT - 1, DUE)

        capture.kill_at = None
        send_reminders.delay()
        db.session.commit()
        again = _worker(app, port)
        _out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err[-2000:]
    finally:
        controller.stop()

    deliveries = Counter(m["To"] for m in capture.messages)
    assert set(deliveries) == emails  # every reminder delivered
    assert sum(deliveries.values()) <= DUE + 1  # at most the one in flight repeated
    assert sum(1 for n in deliveries.values() if n > 1) <= 1
    assert _sent_and_recorded(owner_engine) == (DUE, DUE)
