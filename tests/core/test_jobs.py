"""Jobs: queued after commit, re-entering the tenant scope, run by a real RQ worker."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from sqlalchemy import func, select

from core import jobs, mail
from core.app import create_app
from core.cli import build_cron_scheduler
from core.db import db
from core.jobs import job, redis_connection
from tenants.models import Membership
from tests.conftest import missing_service
from tests.factories import MembershipFactory, TenantFactory


@job("default")
def count_members(key: str) -> None:
    """Store how many memberships the job's tenant scope sees."""
    count = db.session.scalar(select(func.count()).select_from(Membership))
    redis_connection().set(key, count)


def _seed():
    a, b = TenantFactory(), TenantFactory()
    MembershipFactory.create_batch(2, tenant=a)
    MembershipFactory.create_batch(3, tenant=b)
    return a, b


def _drain(app):
    if not app.config["JOBS_INLINE"]:
        jobs.run_pending(app)


def test_a_job_reenters_the_tenant_scope_it_was_given(app):
    a, b = _seed()
    count_members.delay("seen-by-a", tenant_id=str(a.id))
    count_members.delay("seen-by-b", tenant_id=str(b.id))
    _drain(app)
    assert int(redis_connection().get("seen-by-a")) == 2
    assert int(redis_connection().get("seen-by-b")) == 3


def test_jobs_wait_for_the_commit_and_are_dropped_on_rollback(app):
    a, _b = _seed()
    db.session.execute(select(1))  # inside a transaction now
    count_members.delay("after-rollback", tenant_id=str(a.id))
    db.session.rollback()
    _drain(app)
    assert redis_connection().get("after-rollback") is None

    db.session.execute(select(1))
    count_members.delay("after-commit", tenant_id=str(a.id))
    _drain(app)
    assert redis_connection().get("after-commit") is None  # not before the commit
    db.session.commit()
    _drain(app)
    assert int(redis_connection().get("after-commit")) == 2


def test_the_worker_command_runs_queued_jobs_in_another_process(app):
    if app.config["JOBS_INLINE"]:
        missing_service("Redis (set REDIS_URL) for the RQ worker process")
    a, _b = _seed()
    count_members.delay("from-worker-process", tenant_id=str(a.id))
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(redis_connection().get("from-worker-process")) == 2


def test_mail_goes_out_over_smtp(app, mailbox):
    mail.send_email.delay(to="marie@example.org", subject="Bonjour", body="Un message\n")
    _drain(app)
    message = mailbox.last_to("marie@example.org")
    assert message["Subject"] == "Bonjour"
    assert mailbox.body(message).strip() == "Un message"


def test_recurring_jobs_are_declared_as_data_and_registered(app):
    scheduler = build_cron_scheduler()
    registered = {f"{j.func.__module__}.{j.func.__name__}" for j in scheduler.get_jobs()}
    assert registered == {r.func for r in jobs.RECURRING}
    assert all(callable(getattr(j.func, "delay", None)) for j in scheduler.get_jobs())


def test_the_embedded_worker_runs_the_periodic_tasks_in_the_app_s_own_process(app_config):
    """`make run` has no worker process: a thread of the app runs the periodic tasks."""
    plain = create_app(app_config)
    assert "embedded_worker" not in plain.extensions  # off by default
    db.dispose(plain)
    embedded = create_app(
        {
            **app_config,
            "REDIS_URL": None,
            "JOBS_INLINE": True,
            "EMBEDDED_WORKER": True,
            "TICK_SECONDS": 0.05,
            "WEBHOOK_SWEEP_SECONDS": 0.05,  # the thread wakes at the shortest interval
        }
    )
    ran: list[str] = []
    jobs.every(
        embedded, "tick", lambda: ran.append(threading.current_thread().name), "TICK_SECONDS"
    )
    try:
        deadline = time.monotonic() + 10
        while len(ran) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(ran) >= 3 and set(ran) == {"embedded-worker"}
    finally:
        embedded.extensions["embedded_worker"].set()
        db.dispose(embedded)
