"""Benchmark: referral webhooks delivered by one worker process (`flask worker`) to a
local receiver, beside a bare RQ job that signs and POSTs the same payloads, and the
latency from a case's step to its webhook's arrival.

    .venv/bin/python bench/referrals_webhooks.py [--events 3000] [--rate 20] [--duration 20]

1. A database of its own, `bench_webhooks` on 127.0.0.1:5432 (user postgres), dropped,
   created and migrated with `core.migrate.upgrade`; one live center, one partner with
   one enabled webhook endpoint (every event) pointing at the receiver, and N + R x D
   submitted cases, written with the models, then ANALYZE. The receiver
   (bench/referrals_webhooks_receiver.py) is an HTTP server in a process of its own.
2. Throughput, the app: with no worker running, the center acknowledges N cases through
   `referrals.cases.acknowledge` in its tenant scope, committing every 100 steps, so
   the outbox rows and the relay jobs are what production writes; then ONE
   `flask --app wsgi worker` process (Redis db 10, WEBHOOKS_ALLOW_PRIVATE=1 for the
   loopback receiver, the other settings the defaults) is started, and timed from the
   moment it registers in Redis (taking jobs from then on) until the receiver has all N;
   the time from its spawn is printed too (it includes importing the app).
3. Throughput, the baseline: N RQ jobs of bench/referrals_webhooks_baseline.py's
   `deliver` (hmac-sha256 signature and one POST; the same payloads, read from the app's
   outbox) queued on Redis db 11, then ONE `rq worker -w rq.worker.SimpleWorker`
   process started and timed the same way.
4. Latency: a new app worker, started and left idle; the center takes a step every 1/R
   s for D s (one commit each); per event, the time from the call to COMMIT to the
   arrival at the receiver.

Also printed, to show where the time goes: the CPU per event of the worker (its start
left out), of PostgreSQL's backends and of the receiver; the app's database work per
event (pg_stat_database); the relay's batches as its rows date them (claim, record,
next claim); one POST after another in this process without RQ or a database, with the
baseline's function and with the app's transport; the relay's claim under EXPLAIN
ANALYZE with the messages waiting, and at the end with 100,000 more (rolled back).

Every arrival is checked afterwards: one per message, each signature verified with
the `standardwebhooks` library. Exit status: 0 when every event arrived and the targets
were met (the app at least 0.3x the baseline's events/s and at least 135 events/s; the
latency's p95 at most 1 s), 1 when an event was missing, duplicated or badly signed, 3
when a target was missed. Every figure goes to /tmp/bench_referrals_webhooks.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path, where bench/referrals.py would
# shadow the `referrals` package: the project's root goes there instead.
sys.path[0] = str(ROOT)

import psycopg  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Queue, Worker  # noqa: E402
from rq.worker import WorkerStatus  # noqa: E402

from bench.marketplace_load import free_port, load_average  # noqa: E402

NAME = "bench_webhooks"
PG = "127.0.0.1:5432"
ADMIN_URL = f"postgresql://postgres@{PG}/postgres"
LIBPQ_URL = f"postgresql://postgres@{PG}/{NAME}"
SQLALCHEMY_URL = f"postgresql+psycopg://postgres@{PG}/{NAME}"
APP_REDIS = "redis://127.0.0.1:6379/10"
BASELINE_REDIS = "redis://127.0.0.1:6379/11"
BASELINE_QUEUE = "bench-webhooks"
BASELINE_JOB = "bench.referrals_webhooks_baseline.deliver"
RECEIVER = ROOT / "bench/referrals_webhooks_receiver.py"
BATCH = 100  # steps per commit in the throughput phase
POLL = 0.05  # seconds between two looks at the receiver's count
SENDERS = 4  # referrals.webhook_jobs.SENDERS: attempts in flight in one worker
TARGET_RATIO = 0.3
TARGET_RATE = 135.0
TARGET_P95 = 1.0  # seconds


@dataclass
class Setup:
    app: Any  # the in-process app: seeding and the case steps
    center_id: uuid.UUID
    partner_id: uuid.UUID
    secret: str  # the endpoint's signing secret
    url: str  # the endpoint's URL (the receiver)
    cases: list[uuid.UUID]


def app_config(workdir: Path, secret_key: str) -> dict[str, Any]:
    return {
        "DATABASE_URL": SQLALCHEMY_URL,
        "REDIS_URL": APP_REDIS,
        "JOBS_INLINE": False,
        "SECRET_KEY": secret_key,
        "OAUTH_KEYS_FILE": str(workdir / "oauth_keys.json"),
        "FILES_DIR": str(workdir / "files"),
        "LOG_LEVEL": "WARNING",
        "WEBHOOKS_ALLOW_PRIVATE": True,
    }


# --- the receiver ---------------------------------------------------------------------------


class Receiver:
    """The receiver's process (started and stopped by this script, by its own pid)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "receiver.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                [sys.executable, str(RECEIVER), str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.count()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"the receiver did not start: see {self.log}")
                time.sleep(0.1)

    def _call(self, path: str, method: str = "GET") -> bytes:
        data = b"" if method == "POST" else None
        request = urllib.request.Request(self.url + path, data=data, method=method)  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.read()

    def count(self) -> int:
        return int(self._call("/count"))

    def dump(self) -> list[list]:
        return json.loads(self._call("/dump"))

    def reset(self) -> None:
        self._call("/reset", "POST")

    def stop(self) -> None:
        stop(self.process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- CPU and database counters -----------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def backends_cpu() -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to the benchmark's database."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        pids = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [NAME]
        ).fetchall()
    return {pid: cpu_seconds(pid) for (pid,) in pids}


def database_counters() -> dict[str, int]:
    """pg_stat_database's counters of the benchmark's database, once no backend is
    connected to it (a backend reports its counters when it ends at the latest)."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [NAME]
            ).fetchone()[0]
            if not busy:
                break
            time.sleep(0.1)
        time.sleep(0.2)
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT xact_commit, tup_returned, tup_fetched, tup_inserted, tup_updated "
            "FROM pg_stat_database WHERE datname = %s",
            [NAME],
        ).fetchone()
    return dict(zip(("commits", "returned", "fetched", "inserted", "updated"), row, strict=True))


# --- the database ----------------------------------------------------------------------------


def prepare(workdir: Path, secret_key: str, receiver_url: str, count: int) -> Setup:
    """Create and migrate the database; seed a center, a partner with its endpoint, and
    `count` submitted cases."""
    from core import migrate
    from core.app import create_app
    from core.clock import now
    from core.db import db
    from core.tenancy import tenant_scope
    from referrals.models import Partner, PartnerKind, Referral, ReferralStatus, Urgency
    from referrals.webhook_models import WebhookEndpoint
    from referrals.webhook_transport import new_secret
    from tenants.models import Tenant, TenantStatus

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{NAME}"')
    migrate.upgrade(SQLALCHEMY_URL)
    app = create_app(app_config(workdir, secret_key))
    center_id = uuid.uuid4()
    url = receiver_url + "/hooks"
    with app.app_context():
        with tenant_scope(center_id):  # RLS: a center is written in its own scope
            db.session.add(
                Tenant(
                    id=center_id,
                    slug="centre-mediation-lyon",
                    legal_name="Centre de médiation de Lyon",
                    registration_number="81234567800017",
                    city="Lyon",
                    status=TenantStatus.ACTIVE,
                    accepts_referrals=True,
                    activated_at=now(),
                )
            )
            db.session.commit()
        partner = Partner(slug="cabinet-roux", name="Cabinet Roux", kind=PartnerKind.LAW_FIRM)
        db.session.add(partner)
        db.session.flush()
        secret = new_secret()
        db.session.add(
            WebhookEndpoint(partner_id=partner.id, url=url, event_types=[], secret=secret)
        )
        db.session.commit()
        partner_id = partner.id
        ids = [uuid.uuid4() for _ in range(count)]
        with tenant_scope(center_id):
            for start in range(0, count, 1000):
                at = now()
                db.session.add_all(
                    Referral(
                        id=referral_id,
                        tenant_id=center_id,
                        partner_id=partner_id,
                        reference=f"DOSSIER-{start + i:06}",
                        dispute_type="commercial",
                        summary="Litige sur le paiement de factures entre deux sociétés.",
                        urgency=Urgency.STANDARD,
                        language="fr",
                        parties_informed_at=at,
                        contact_consented_at=at,
                        status=ReferralStatus.SUBMITTED,
                        steps=1,  # as sent (its `created` event is not written)
                    )
                    for i, referral_id in enumerate(ids[start : start + 1000])
                )
                db.session.commit()
    db.engine_for(app).dispose()  # its backends end and report their counters
    # The statistics autovacuum would have by now: without them the planner reads a
    # case by its center's index (every case of the center) rather than by its key.
    # Only the tables written here: an empty table analyzed is known to be empty, and
    # the plans cached then (the foreign key checks') read it whole once it has filled.
    with psycopg.connect(LIBPQ_URL, autocommit=True) as conn:
        conn.execute("ANALYZE tenants, partners, webhook_endpoints, referrals")
    return Setup(app, center_id, partner_id, secret, url, ids)


def acknowledge(setup: Setup, ids: list[uuid.UUID]) -> float:
    """The center acknowledges each case, through the service, BATCH steps a commit;
    the seconds it took."""
    from core.db import db
    from core.tenancy import tenant_scope
    from referrals import cases

    started = time.perf_counter()
    with setup.app.app_context(), tenant_scope(setup.center_id):
        for start in range(0, len(ids), BATCH):
            for referral_id in ids[start : start + BATCH]:
                cases.acknowledge(referral_id, cases.Actor("center"))
            db.session.commit()
    spent = time.perf_counter() - started
    db.engine_for(setup.app).dispose()  # its backends end and report their counters
    return spent


def outbox() -> list[tuple[str, str, dict]]:
    """(webhook-id, event type, payload) of every message, oldest first."""
    with psycopg.connect(LIBPQ_URL) as conn:
        rows = conn.execute(
            "SELECT id, event_type, payload FROM webhook_messages ORDER BY created_at, id"
        ).fetchall()
    return [(f"msg_{row_id.hex}", event_type, payload) for row_id, event_type, payload in rows]


def claim_plan(backlog: int = 0) -> dict[str, Any]:
    """How the relay's claim reads the waiting messages: the SELECT of
    webhook_jobs._relay_batch under EXPLAIN ANALYZE, with `backlog` more messages
    waiting (written in the same transaction, which is rolled back)."""
    with psycopg.connect(LIBPQ_URL) as conn:
        if backlog:
            conn.execute(
                "INSERT INTO webhook_messages (id, partner_id, event_type, payload, created_at) "
                "SELECT gen_random_uuid(), partner_id, event_type, payload, created_at "
                "FROM (SELECT * FROM webhook_messages LIMIT 1) AS one, "
                "generate_series(1, %s)",
                [backlog],
            )
        waiting = conn.execute(
            "SELECT count(*) FROM webhook_messages WHERE relayed_at IS NULL"
        ).fetchone()[0]
        ((plan,),) = conn.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM webhook_messages "
            "WHERE relayed_at IS NULL ORDER BY created_at LIMIT 25 FOR UPDATE SKIP LOCKED"
        ).fetchall()
        conn.rollback()
    node = plan[0]["Plan"]
    while node.get("Plans") and "Scan" not in node["Node Type"]:
        node = node["Plans"][0]
    return {
        "waiting": waiting,
        "ms": plan[0]["Execution Time"],
        "scan": node["Node Type"],
        "rows": node["Actual Rows"],
    }


def batches() -> dict[str, float]:
    """The relay's batches, read back from the rows: each batch's deliveries share the
    time of its claim (`created_at`), and its attempts the time `_record` started, once
    every POST of the batch had its answer. Medians, in ms."""
    with psycopg.connect(LIBPQ_URL) as conn:
        rows = conn.execute(
            "SELECT d.created_at, min(a.created_at), count(*), sum(a.duration_ms) "
            "FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id "
            "GROUP BY d.created_at ORDER BY d.created_at"
        ).fetchall()
    if len(rows) < 2:
        return {}
    claims = [row[0].timestamp() for row in rows]
    records = [row[1].timestamp() for row in rows]
    cycles = list(zip(claims, records, claims[1:], strict=False))  # claim, record, next
    return {
        "batches": len(rows),
        "size": statistics.median(row[2] for row in rows),
        "claim_to_record_ms": 1000 * statistics.median(r - c for c, r, _n in cycles),
        "record_to_next_ms": 1000 * statistics.median(n - r for _c, r, n in cycles),
        "attempts_ms": statistics.median(row[3] for row in rows),
        "cycle_ms": 1000 * statistics.median(n - c for c, _r, n in cycles),
    }


def deliveries() -> dict[str, int]:
    with psycopg.connect(LIBPQ_URL) as conn:
        rows = conn.execute(
            "SELECT status::text, count(*) FROM webhook_deliveries GROUP BY 1"
        ).fetchall()
        attempts, median_ms = conn.execute(
            "SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) "
            "FROM webhook_attempts"
        ).fetchone()
    return {**dict(rows), "attempts": attempts, "attempt_median_ms": median_ms or 0}


# --- the workers -------------------------------------------------------------------------------


def app_worker(workdir: Path, secret_key: str, label: str) -> subprocess.Popen:
    """ONE `flask --app wsgi worker` process, as deployed."""
    config = app_config(workdir, secret_key)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
    env.update({k: str(config[k]) for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")})
    env.update(
        OAUTH_KEYS_FILE=config["OAUTH_KEYS_FILE"],
        FILES_DIR=config["FILES_DIR"],
        LOG_LEVEL="WARNING",
        WEBHOOKS_ALLOW_PRIVATE="1",
    )
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
    with (workdir / f"{label}.log").open("w") as log:
        return subprocess.Popen(  # noqa: S603 (our own command line)
            command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )


def baseline_worker(workdir: Path) -> subprocess.Popen:
    """ONE non-forking RQ worker on the baseline's queue."""
    rq = Path(sys.executable).parent / "rq"
    command = [str(rq), "worker", "-w", "rq.worker.SimpleWorker", "-u", BASELINE_REDIS]
    command += ["-P", str(ROOT), "--logging_level", "WARNING", BASELINE_QUEUE]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
    with (workdir / "baseline.log").open("w") as log:
        return subprocess.Popen(  # noqa: S603 (our own command line)
            command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )


def born(process: subprocess.Popen, redis_url: str, timeout: float = 60) -> float:
    """When the worker registered itself in Redis (it takes jobs from then on)."""
    connection = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                sys.exit(f"the worker exited ({process.returncode}): see its log")
            for worker in Worker.all(connection=connection):
                if worker.pid == process.pid and worker.birth_date is not None:
                    birth = worker.birth_date
                    return (birth if birth.tzinfo else birth.replace(tzinfo=UTC)).timestamp()
            time.sleep(0.02)
    finally:
        connection.close()
    sys.exit(f"the worker did not register within {timeout} s")


def idle(redis_url: str) -> bool:
    """No job waits and every worker waits for one."""
    connection = Redis.from_url(redis_url)
    try:
        queues = (Queue(name, connection=connection) for name in ("default", "mail", "webhooks"))
        workers = Worker.all(connection=connection)
        return all(q.is_empty() for q in queues) and all(
            w.get_state() == WorkerStatus.IDLE for w in workers
        )
    finally:
        connection.close()


def wait_for(receiver: Receiver, count: int, process: subprocess.Popen, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    got = receiver.count()
    while got < count and time.monotonic() < deadline and process.poll() is None:
        time.sleep(POLL)
        got = receiver.count()
    return got


def timed_run(
    receiver: Receiver, start: Any, redis_url: str, count: int, timeout: float
) -> tuple[dict, list[list]]:
    """Start one worker (`start()`), wait until the receiver has `count` POSTs; the
    timings (wall clock) and CPU of that run, and what arrived."""
    receiver.reset()
    receiver_cpu = cpu_seconds(receiver.process.pid)
    backends = backends_cpu()
    spawned = time.time()
    process = start()
    try:
        ready = born(process, redis_url)
        startup_cpu = cpu_seconds(process.pid)  # importing, the app, registering
        got = wait_for(receiver, count, process, timeout)
        worker_cpu = cpu_seconds(process.pid) - startup_cpu
        after = backends_cpu()
    finally:
        stop(process)
    records = receiver.dump()
    arrivals = sorted(r[0] for r in records)
    last = arrivals[-1] if arrivals else time.time()
    run = {
        "events": count,
        "received": got,
        "spawned": spawned,
        "ready": ready,
        "first": arrivals[0] if arrivals else None,
        "last": last,
        "startup_s": ready - spawned,
        "startup_cpu_s": startup_cpu,
        "first_after_ready_s": arrivals[0] - ready if arrivals else None,
        "from_ready_s": last - ready,
        "from_spawn_s": last - spawned,
        "rate_from_ready": count / (last - ready) if got >= count else 0.0,
        "rate_from_spawn": count / (last - spawned) if got >= count else 0.0,
        "rate_first_to_last": (count - 1) / (last - arrivals[0]) if len(arrivals) > 1 else 0.0,
        "cpu_ms": {
            "worker": 1000 * worker_cpu / max(got, 1),
            "postgres": 1000
            * sum(s - backends.get(pid, 0.0) for pid, s in after.items())
            / max(got, 1),
            "receiver": 1000 * (cpu_seconds(receiver.process.pid) - receiver_cpu) / max(got, 1),
        },
    }
    return run, records


def checked(records: list[list], expected: set[str], secret: str) -> dict:
    """One arrival per expected webhook-id, each signature valid."""
    from standardwebhooks import Webhook, WebhookVerificationError

    verifier = Webhook(secret)
    ids = [r[1] for r in records]
    bad = 0
    for _at, msg_id, timestamp, signature, body in records:
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": signature,
        }
        try:
            verifier.verify(body, headers)
        except WebhookVerificationError:
            bad += 1
    found = {
        "arrived": len(ids),
        "distinct": len(set(ids)),
        "missing": len(expected - set(ids)),
        "unexpected": len(set(ids) - expected),
        "bad_signatures": bad,
    }
    found["ok"] = (
        found["arrived"] == found["distinct"] == len(expected) and not found["missing"] and not bad
    )
    return found


# --- the three measures --------------------------------------------------------------------


def throughput_app(args, setup: Setup, receiver: Receiver, workdir: Path, secret_key: str):
    ids = setup.cases[: args.events]
    seconds = acknowledge(setup, ids)
    queued = Queue("webhooks", connection=Redis.from_url(APP_REDIS)).count
    messages = outbox()
    plan = [claim_plan()]
    print(
        f"  wrote {len(ids):,} steps through cases.acknowledge in {seconds:.1f} s "
        f"({len(ids) / seconds:.0f} steps/s, {BATCH} a commit): {len(messages):,} outbox "
        f"messages, {queued} relay job(s) waiting in the queue",
        flush=True,
    )
    before = database_counters()
    run, records = timed_run(
        receiver,
        lambda: app_worker(workdir, secret_key, "worker-throughput"),
        APP_REDIS,
        len(ids),
        args.timeout,
    )
    counters = database_counters()
    run["db_per_event"] = {k: (counters[k] - before[k]) / len(ids) for k in counters}
    run["write_s"] = seconds
    run["claim_plan"] = plan
    run["check"] = checked(records, {m[0] for m in messages}, setup.secret)
    run["deliveries"] = deliveries()
    run["batches"] = batches()
    return run, messages


def throughput_baseline(args, setup: Setup, receiver: Receiver, workdir: Path, messages):
    connection = Redis.from_url(BASELINE_REDIS)
    queue = Queue(BASELINE_QUEUE, connection=connection)
    ids = [f"msg_{uuid.uuid4().hex}" for _ in messages]
    jobs = [
        Queue.prepare_data(BASELINE_JOB, args=(setup.url, setup.secret, msg_id, event, payload))
        for msg_id, (_id, event, payload) in zip(ids, messages, strict=True)
    ]
    for start in range(0, len(jobs), 500):
        queue.enqueue_many(jobs[start : start + 500])
    print(f"  queued {queue.count:,} baseline jobs", flush=True)
    connection.close()
    run, records = timed_run(
        receiver, lambda: baseline_worker(workdir), BASELINE_REDIS, len(ids), args.timeout
    )
    run["check"] = checked(records, set(ids), setup.secret)
    return run


def loops(setup: Setup, receiver: Receiver, messages) -> dict[str, dict]:
    """For reference, in this process, one POST after another, no RQ and no database:
    the baseline's function, and the app's transport (webhook_transport.deliver)."""
    from bench.referrals_webhooks_baseline import deliver as bare
    from referrals.webhook_transport import deliver

    def app(event: str, payload: dict) -> None:
        msg_id = f"msg_{uuid.uuid4().hex}"
        sent = deliver(
            setup.url,
            secrets=[setup.secret],
            msg_id=msg_id,
            event_type=event,
            payload=payload,
            allow_private=True,
        )
        if not sent.ok:
            raise RuntimeError(sent.error)

    found = {}
    for name, post in (
        ("bare", lambda e, p: bare(setup.url, setup.secret, f"msg_{uuid.uuid4().hex}", e, p)),
        ("transport", app),
    ):
        receiver.reset()
        started, cpu = time.perf_counter(), time.process_time()
        for _id, event, payload in messages:
            post(event, payload)
        spent, cpu = time.perf_counter() - started, time.process_time() - cpu
        got = receiver.count()
        found[name] = {"rate": got / spent, "cpu_ms": 1000 * cpu / max(got, 1)}
    return found


def latency(args, setup: Setup, receiver: Receiver, workdir: Path, secret_key: str) -> dict:
    from core.db import db
    from core.tenancy import tenant_scope
    from referrals import cases

    ids = setup.cases[args.events :]
    receiver.reset()
    process = app_worker(workdir, secret_key, "worker-latency")
    committed: dict[str, tuple[float, float]] = {}
    try:
        born(process, APP_REDIS)
        deadline = time.monotonic() + 30
        while not idle(APP_REDIS) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # idle, waiting for a job
        period = 1 / args.rate
        with setup.app.app_context(), tenant_scope(setup.center_id):
            started = time.perf_counter()
            for i, referral_id in enumerate(ids):
                pause = started + i * period - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                cases.acknowledge(referral_id, cases.Actor("center"))
                at = time.time()
                db.session.commit()
                committed[str(referral_id)] = (at, time.time())
            spent = time.perf_counter() - started
        got = wait_for(receiver, len(ids), process, args.timeout)
    finally:
        stop(process)
    records = receiver.dump()
    arrived = {}
    for at, _msg_id, _ts, _sig, body in records:
        referral_id = json.loads(body)["data"]["referral"]["id"]
        arrived.setdefault(referral_id, at)
    latencies = sorted(arrived[r] - committed[r][0] for r in committed if r in arrived)
    commits = sorted(end - begin for begin, end in committed.values())
    return {
        "steps": len(ids),
        "received": got,
        "rate_asked": args.rate,
        "rate_done": len(ids) / spent if spent else 0.0,
        "missing": len(ids) - len(arrived),
        "duplicates": len(records) - len(arrived),
        "latency_s": {
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "max": latencies[-1] if latencies else 0.0,
            "mean": statistics.mean(latencies) if latencies else 0.0,
        },
        "commit_s": {"p50": percentile(commits, 0.5), "p95": percentile(commits, 0.95)},
    }


def percentile(values: list[float], q: float) -> float:
    """The q-quantile of sorted `values` (nearest rank)."""
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, round(q * len(values) + 0.5) - 1))]


# --- the report ------------------------------------------------------------------------------


def report(args, app_run: dict, base_run: dict, lat: dict) -> int:
    base_rate = base_run["rate_from_ready"] or float("nan")  # nan: not all arrived
    ratio = app_run["rate_from_ready"] / base_rate
    ratio_spawn = app_run["rate_from_spawn"] / (base_run["rate_from_spawn"] or float("nan"))
    print(f"\nThroughput, {args.events:,} events, one worker process each (wall clock):")
    print(
        f"  {'':<22}{'events/s':>10}{'x base':>8}{'from spawn':>12}{'first-last':>12}"
        f"{'startup s':>11}   CPU ms per event: worker + PostgreSQL + receiver"
    )
    for name, run in (("flask worker (app)", app_run), ("bare RQ job", base_run)):
        cpu = run["cpu_ms"]
        print(
            f"  {name:<22}{run['rate_from_ready']:10.1f}"
            f"{run['rate_from_ready'] / base_rate:8.2f}"
            f"{run['rate_from_spawn']:12.1f}{run['rate_first_to_last']:12.1f}"
            f"{run['startup_s']:11.2f}   {cpu['worker']:.2f} + {cpu['postgres']:.2f} + "
            f"{cpu['receiver']:.2f} = {sum(cpu.values()):.2f}"
        )
    db_use = app_run["db_per_event"]
    print(
        f"  app, per event in PostgreSQL (the worker's and the sweep's): "
        f"{db_use['commits']:.2f} commits, {db_use['inserted']:.2f} rows inserted, "
        f"{db_use['updated']:.2f} updated, {db_use['fetched']:.2f} fetched; deliveries "
        f"{app_run['deliveries']}"
    )
    loops = base_run["loops"]
    print(
        "  for reference, one POST after another in one thread, no RQ, no database: the "
        f"baseline's function {loops['bare']['rate']:.0f} events/s "
        f"({loops['bare']['cpu_ms']:.2f} ms of CPU an event), the app's "
        f"webhook_transport.deliver {loops['transport']['rate']:.0f} events/s "
        f"({loops['transport']['cpu_ms']:.2f} ms)"
    )
    batch = app_run["batches"]
    if batch:
        print(
            f"  the app's relay: {batch['batches']} batches of {batch['size']:.0f} "
            f"(medians): claim to record {batch['claim_to_record_ms']:.0f} ms (the 25 "
            f"attempts took {batch['attempts_ms']:.0f} ms together, {SENDERS} at a time), "
            f"record to the next claim {batch['record_to_next_ms']:.0f} ms, a cycle "
            f"{batch['cycle_ms']:.0f} ms"
        )
    for name, run in (("app", app_run), ("baseline", base_run)):
        print(
            f"  {name}: worker startup {run['startup_s']:.2f} s ({run['startup_cpu_s']:.2f} s "
            f"of CPU, not counted above), first arrival {run['first_after_ready_s']:.2f} s "
            f"after it registered; arrivals {run['check']}"
        )
    for plan in app_run["claim_plan"]:
        print(
            f"  the relay's claim of 25 with {plan['waiting']:,} messages waiting: "
            f"{plan['scan']} of {plan['rows']:,} rows, {plan['ms']:.1f} ms"
        )
    lat_s = lat["latency_s"]
    print(
        f"\nLatency, commit to arrival: {lat['steps']} steps at {lat['rate_done']:.1f}/s "
        f"(asked {lat['rate_asked']}/s), {lat['steps'] - lat['missing']} arrived, "
        f"{lat['duplicates']} duplicates:\n  p50 {lat_s['p50'] * 1000:.0f} ms, p95 "
        f"{lat_s['p95'] * 1000:.0f} ms, p99 {lat_s['p99'] * 1000:.0f} ms, max "
        f"{lat_s['max'] * 1000:.0f} ms, mean {lat_s['mean'] * 1000:.0f} ms (the COMMIT "
        f"itself: p50 {lat['commit_s']['p50'] * 1000:.1f} ms, p95 "
        f"{lat['commit_s']['p95'] * 1000:.1f} ms)"
    )
    out = Path(tempfile.gettempdir()) / "bench_referrals_webhooks.json"
    record = {"args": vars(args), "app": app_run, "baseline": base_run, "latency": lat}
    out.write_text(json.dumps(record, indent=2, default=str))
    print(f"  (every figure in {out})")
    if not (app_run["check"]["ok"] and base_run["check"]["ok"]) or lat["missing"]:
        print("FAILED: an event is missing, duplicated or badly signed.")
        return 1
    checks = [
        (ratio >= TARGET_RATIO, f"app {ratio:.2f}x the baseline's events/s (>= {TARGET_RATIO}x)"),
        (
            app_run["rate_from_ready"] >= TARGET_RATE,
            f"app {app_run['rate_from_ready']:.0f} events/s (>= {TARGET_RATE:.0f}/s)",
        ),
        (lat_s["p95"] <= TARGET_P95, f"p95 {lat_s['p95'] * 1000:.0f} ms (<= 1,000 ms)"),
    ]
    for met, text in checks:
        print(f"{'PASS' if met else 'FAIL'}: {text}")
    print(f"  (timed from the workers' spawn instead: {ratio_spawn:.2f}x)")
    return 0 if all(met for met, _ in checks) else 3


def versions() -> str:
    import redis
    import rq

    with psycopg.connect(ADMIN_URL) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    redis_version = Redis.from_url(APP_REDIS).info("server")["redis_version"]
    return (
        f"{platform.python_implementation()} {platform.python_version()}, PostgreSQL "
        f"{server.split()[0]}, Redis {redis_version}, redis-py {redis.__version__}, "
        f"RQ {rq.__version__}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000, help="throughput events")
    parser.add_argument("--rate", type=float, default=20, help="latency: steps a second")
    parser.add_argument("--duration", type=float, default=20, help="latency: seconds")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per phase")
    args = parser.parse_args()
    if args.events < 2 or args.rate <= 0 or args.duration <= 0:
        parser.error("--events: at least 2; --rate, --duration: positive")
    print(
        f"Referral webhooks benchmark: {os.cpu_count()} CPUs, {versions()}, load {load_average()}",
        flush=True,
    )
    for url in (APP_REDIS, BASELINE_REDIS):  # the benchmark's own databases
        Redis.from_url(url).flushdb()
    secret_key = "bench-" + secrets.token_urlsafe(16)
    steps = round(args.rate * args.duration)
    with tempfile.TemporaryDirectory(prefix="bench_webhooks_") as tmp:
        workdir = Path(tmp)
        receiver = Receiver(workdir)
        try:
            setup = prepare(workdir, secret_key, receiver.url, args.events + steps)
            print(
                f"Database {NAME}: migrated; center {setup.center_id}, partner "
                f"{setup.partner_id} with one endpoint ({setup.url}), "
                f"{len(setup.cases):,} submitted cases. Load {load_average()}.",
                flush=True,
            )
            print("Throughput, the app:", flush=True)
            app_run, messages = throughput_app(args, setup, receiver, workdir, secret_key)
            print(f"  {app_run['received']:,} received; load {load_average()}", flush=True)
            print("Throughput, the baseline:", flush=True)
            base_run = throughput_baseline(args, setup, receiver, workdir, messages)
            print(f"  {base_run['received']:,} received; load {load_average()}", flush=True)
            base_run["loops"] = loops(setup, receiver, messages)
            print(f"Latency: {steps} steps at {args.rate}/s:", flush=True)
            lat = latency(args, setup, receiver, workdir, secret_key)
            print(f"  {lat['received']:,} received; load {load_average()}", flush=True)
            # Last: its rolled-back rows leave dead entries that later claims would read.
            app_run["claim_plan"].append(claim_plan(100_000))
        finally:
            receiver.stop()
    return report(args, app_run, base_run, lat)


if __name__ == "__main__":
    sys.exit(main())
