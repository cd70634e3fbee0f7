"""Background jobs on RQ, with named queues and recurring jobs declared as data.

`@job("mail")` turns a function taking primitive ids into a job; `fn.delay(...)`
enqueues it after the current transaction commits (dropped on rollback), so a worker
never runs before the data it needs exists. Each run gets a fresh app context and
session and re-enters the tenant scope of the `tenant_id` it was given. In the
embedded mode (no REDIS_URL) an in-process fake Redis backs RQ and jobs run inline.

A job that cannot be queued at the commit (Redis unreachable) is logged, and the commit
stands. Work that must survive that keeps its own row (an outbox) and registers a
periodic task (`every`), which the workers (`Worker`) run every few seconds.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.db import db
from core.tenancy import tenant_scope

log = logging.getLogger(__name__)

QUEUES: tuple[str, ...] = ("default", "mail", "webhooks")
_PENDING = "mediation_hub_pending_jobs"
_WAITING = "mediation_hub:waiting"
_WAITING_TTL = 60


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


def job(queue_name: str = "default", *, timeout: int = 300, coalesce: bool = False) -> Callable:
    """Declare a job. Arguments must be primitives (ids, strings, numbers).

    A `coalesce` job takes no arguments and does whatever work is waiting (a drain):
    at most one run of it waits in the queue, so `delay()` while one waits queues
    nothing, and each run lets the next be queued as soon as it starts."""
    if queue_name not in QUEUES:
        raise ValueError(f"unknown queue {queue_name!r}")

    def decorator(fn: Callable) -> Callable:
        waiting_key = f"{_WAITING}:{fn.__module__}.{fn.__qualname__}" if coalesce else None

        @functools.wraps(fn)
        def run(*args: Any, tenant_id: str | None = None, **kwargs: Any) -> Any:
            app = current_app._get_current_object()
            if waiting_key is not None:
                _stop_waiting(waiting_key)
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
        run.waiting_key = waiting_key  # type: ignore[attr-defined]
        return run

    return decorator


def enqueue(queue_name: str, func: Callable, args: tuple, kwargs: dict, timeout: int) -> None:
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(_PENDING, []).append((queue_name, func, args, kwargs, timeout))
    else:
        _enqueue_now(queue_name, func, args, kwargs, timeout)


def _enqueue_now(queue_name: str, func: Callable, args: tuple, kwargs: dict, timeout: int) -> None:
    waiting_key = getattr(func, "waiting_key", None)
    # A run lost before it starts (its worker killed) holds the key until it expires.
    if waiting_key is not None and not redis_connection().set(
        waiting_key, 1, nx=True, ex=_WAITING_TTL
    ):
        return  # a run waits already: it will do this work too
    queue(queue_name).enqueue(func, *args, job_timeout=timeout, **kwargs)


def _stop_waiting(waiting_key: str) -> None:
    try:
        redis_connection().delete(waiting_key)
    except RedisError:
        log.warning("could not clear a waiting job's key", extra={"key": waiting_key})


def _flush_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    for queue_name, func, args, kwargs, timeout in pending:
        try:
            _enqueue_now(queue_name, func, args, kwargs, timeout)
        except RedisError:
            # The transaction is committed: raising now would report saved work as
            # failed. Work that must not be lost keeps its own record in the database
            # (the webhook outbox), which a periodic task (`every`) picks up again.
            log.exception(
                "job not queued: Redis is unreachable",
                extra={"job": getattr(func, "__name__", str(func)), "queue": queue_name},
            )


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class Periodic:
    """A task the workers run between jobs every `app.config[interval_key]` seconds:
    intervals of seconds, finer than the cron scheduler's, for sweeps that pick up work
    whose job was never queued or must run again later (webhook retries)."""

    name: str
    func: Callable[[], Any]  # a @job function, called without arguments
    interval_key: str


def every(app: Flask, name: str, func: Callable[[], Any], interval_key: str) -> None:
    """Have the workers (`Worker`) run `func` every `app.config[interval_key]` seconds."""
    app.extensions.setdefault("periodic_jobs", {})[name] = Periodic(name, func, interval_key)


# A blocking wait for a job rounds to whole milliseconds in Redis, and 0 waits for ever.
_SHORTEST_WAIT = 0.05


class Worker(SimpleWorker):
    """The project's worker: each job runs in this process (no fork per job), and
    between jobs it runs the periodic tasks that are due (`every`). Idle, it waits for a
    job no longer than until the next task is due, so tasks run on time without a job
    to wake it. Each interval, one worker runs each task: the first to take the task's
    lock in Redis."""

    def __init__(self, *args: Any, app: Flask | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._app = app
        self._next_run: dict[str, float] = {}

    @property
    def flask_app(self) -> Flask:
        if self._app is None:
            self._app = current_app._get_current_object()
        return self._app

    def _tasks(self) -> dict[str, Periodic]:
        return self.flask_app.extensions.get("periodic_jobs", {})

    def dequeue_job_and_maintain_ttl(
        self, timeout: float | None, max_idle_time: int | None = None
    ) -> Any:
        if timeout is None or not self._tasks():  # burst (no waiting), or no task to run
            self.run_periodic()
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        idle_until = None if max_idle_time is None else time.monotonic() + max_idle_time
        while True:
            self.run_periodic()
            wait = min(timeout, self._until_next_task())
            if idle_until is not None:
                left = idle_until - time.monotonic()
                if left <= 0:
                    return None
                wait = min(wait, left)
            wait = max(wait, _SHORTEST_WAIT)
            # Given a `max_idle_time`, RQ stops waiting then and answers None; while
            # Redis is unreachable it keeps retrying inside, and so does this loop.
            found = super().dequeue_job_and_maintain_ttl(wait, max_idle_time=wait)  # type: ignore[arg-type]
            if found is not None:
                return found

    def _until_next_task(self) -> float:
        now = time.monotonic()
        return min((self._next_run.get(name, now) - now for name in self._tasks()), default=60)

    def run_periodic(self) -> None:
        """Run each periodic task that is due, unless another worker has this interval;
        a failure is logged and the task runs again at its next interval."""
        app = self.flask_app
        now = time.monotonic()
        for task in list(self._tasks().values()):  # tasks may be added meanwhile
            if self._next_run.get(task.name, 0.0) > now:
                continue
            interval = float(app.config[task.interval_key])
            self._next_run[task.name] = now + interval
            lock = f"mediation_hub:periodic:{task.name}"
            try:
                if self.connection.set(lock, self.name, nx=True, px=max(int(interval * 1000), 1)):
                    with app.app_context():
                        task.func()
            except Exception:
                log.exception("periodic task failed", extra={"task": task.name})


def start_embedded_worker(app: Flask) -> threading.Event:
    """The embedded mode's stand-in for a worker process (jobs run inline at each
    commit, but nothing else would run the periodic tasks): a daemon thread of the app's
    own process runs them when due, so sandbox cases move on and webhook retries go out
    under `make run` too. Set the returned event to stop it."""
    with app.app_context():
        worker = Worker([queue("default")], connection=redis_connection(), app=app)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            worker.run_periodic()
            stop.wait(max(worker._until_next_task(), _SHORTEST_WAIT))

    threading.Thread(target=run, name="embedded-worker", daemon=True).start()
    return stop


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
