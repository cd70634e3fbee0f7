"""Background jobs on RQ, with named queues and recurring jobs declared as data.

`@job("mail")` turns a function taking primitive ids into a job; `fn.delay(...)`
enqueues it after the current transaction commits (dropped on rollback), so a worker
never runs before the data it needs exists. Each run gets a fresh app context and
session and re-enters the tenant scope of the `tenant_id` it was given. In the
embedded mode (no REDIS_URL) an in-process fake Redis backs RQ and jobs run inline.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.db import db
from core.tenancy import tenant_scope

log = logging.getLogger(__name__)

QUEUES: tuple[str, ...] = ("default", "mail", "webhooks")
_PENDING = "mediation_hub_pending_jobs"


@dataclass(frozen=True)
class Recurring:
    """A recurring job, declared as data and run by RQ's cron scheduler."""

    func: str  # dotted path of a @job function
    queue: str = "default"
    cron: str | None = None
    interval: int | None = None


# Recurring jobs of the platform; domains append theirs at start-up.
RECURRING: list[Recurring] = [
    Recurring("core.accounts.jobs.purge_expired_sessions", cron="17 * * * *"),
    Recurring("core.accounts.jobs.purge_used_tokens", cron="23 3 * * *"),
    Recurring("core.oauth.jobs.purge_expired_grants", cron="41 3 * * *"),
    Recurring("core.credentials.reminders.jobs.send_reminders", cron="7 6 * * *"),
]


def redis_connection() -> Redis:
    return current_app.extensions["redis"]


def queue(name: str) -> Queue:
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(
        name, connection=redis_connection(), is_async=not current_app.config["JOBS_INLINE"]
    )


def job(queue_name: str = "default", *, timeout: int = 300) -> Callable:
    """Declare a job. Arguments must be primitives (ids, strings, numbers)."""
    if queue_name not in QUEUES:
        raise ValueError(f"unknown queue {queue_name!r}")

    def decorator(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args: Any, tenant_id: str | None = None, **kwargs: Any) -> Any:
            app = current_app._get_current_object()
            with app.app_context(), tenant_scope(tenant_id):
                try:
                    result = fn(*args, **kwargs)
                    db.session.commit()
                    return result
                except Exception:
                    db.session.rollback()
                    raise

        def delay(*args: Any, **kwargs: Any) -> None:
            enqueue(queue_name, run, args, kwargs, timeout)

        run.delay = delay  # type: ignore[attr-defined]
        run.queue_name = queue_name  # type: ignore[attr-defined]
        return run

    return decorator


def enqueue(queue_name: str, func: Callable, args: tuple, kwargs: dict, timeout: int) -> None:
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(_PENDING, []).append((queue_name, func, args, kwargs, timeout))
    else:
        queue(queue_name).enqueue(func, *args, job_timeout=timeout, **kwargs)


def _flush_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    for queue_name, func, args, kwargs, timeout in pending:
        queue(queue_name).enqueue(func, *args, job_timeout=timeout, **kwargs)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def run_pending(app: Flask, worker_class: type[SimpleWorker] = SimpleWorker) -> int:
    """Drain every queue with a non-forking worker (the `worker --burst` path)."""
    with app.app_context():
        queues = [queue(name) for name in QUEUES]
        if all(q.is_empty() for q in queues):
            return 0  # a worker costs a registration round trip; nothing to do
        worker = worker_class(queues, connection=redis_connection())
        worker.work(burst=True, logging_level="WARNING")
        return worker.successful_job_count


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url:
        app.extensions["redis"] = Redis.from_url(url)
    else:
        import fakeredis

        app.extensions["redis"] = fakeredis.FakeRedis()
    if not event.contains(Session, "after_commit", _flush_pending):
        event.listen(Session, "after_commit", _flush_pending)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _drop_pending(s))
