"""Benchmark: `POST /api/v1/referrals` (a partner sends a case) under load, beside a bare
endpoint doing one INSERT of the same row, on PostgreSQL; then where the time of one
request goes.

    .venv/bin/python bench/referrals.py [--connections 16] [--duration 30] [--runs 2]
        [--threads 2]

1. A database of its own, `bench_referrals` on 127.0.0.1:5432 (user postgres), dropped,
   created and migrated with `core.migrate.upgrade`; one live center accepting
   referrals and one partner, with the models; a partner client with `referrals:write`
   registered through core.oauth.clients. An access token from the real
   `/oauth/token` (client credentials, the Flask test client in-process) minted just
   before each run: tokens live 15 minutes.
2. The app under gunicorn (4 sync workers, wsgi:app) and the bare baseline
   (bench/referrals_baseline.py, same gunicorn settings), both on loopback; Redis db 9;
   the per-client API rate limit raised through API_RATE_PER_CLIENT; the signing keys
   in a temporary OAUTH_KEYS_FILE that the minting app and the server share.
3. wrk (bench/referrals_wrk.lua): each request a new referral, the tests' valid body
   (tests/referrals/helpers.py) with a unique `reference` and its own `Idempotency-Key`;
   a check that the first request answers 201, a 5 s warm-up with 4 connections per
   target (not counted), then R runs of D seconds per target, interleaved. Any status
   other than 2xx, a replayed answer or a socket error fails the run. Requests/s and
   p50/p95/p99 per target, and the ratio.
4. One request profiled in-process against the same database (bench/referrals_profile.py).

Exit status: 0 when every run passed and the target was met (at 16 connections: the
API at least 0.35x the baseline's requests/s); 1 when a run saw a failed answer or a
socket error; 3 when the target was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path, where this file would shadow the
# `referrals` package: the project's root goes there instead.
sys.path[0] = str(ROOT)

import psycopg  # noqa: E402

from bench import referrals_profile  # noqa: E402
from bench.marketplace_load import Server, load_average  # noqa: E402
from bench.referrals_cpu import CpuMeter  # noqa: E402

NAME = "bench_referrals"
PG = "127.0.0.1:5432"
ADMIN_URL = f"postgresql://postgres@{PG}/postgres"
LIBPQ_URL = f"postgresql://postgres@{PG}/{NAME}"
SQLALCHEMY_URL = f"postgresql+psycopg://postgres@{PG}/{NAME}"
REDIS_URL = "redis://127.0.0.1:6379/9"
API_PATH = "/api/v1/referrals"
BASELINE_PATH = "/referrals"
WRK_SCRIPT = ROOT / "bench/referrals_wrk.lua"
PLACEHOLDER = "@REFERENCE@"
WARM_UP = 5  # seconds per target, 4 connections, not counted
TARGET_RATIO = 0.35
TARGET_CONNECTIONS = 16
# The benchmark's own limit, far above what it sends (the default is 600 a minute).
RATE_PER_CLIENT = (100_000_000, 60)


@dataclass
class Setup:
    app: Any  # the in-process app: seeding, minting tokens, the profile
    center_id: uuid.UUID
    partner_id: uuid.UUID
    client_id: str
    secret: str
    body: str  # the JSON body, PLACEHOLDER where the reference goes


def app_config(workdir: Path, secret_key: str) -> dict[str, Any]:
    return {
        "DATABASE_URL": SQLALCHEMY_URL,
        "REDIS_URL": REDIS_URL,
        "JOBS_INLINE": False,
        "SECRET_KEY": secret_key,
        "OAUTH_KEYS_FILE": str(workdir / "oauth_keys.json"),
        "FILES_DIR": str(workdir / "files"),
        "LOG_LEVEL": "WARNING",
    }


# --- the database, the client, the tokens ------------------------------------------------


def prepare(workdir: Path, secret_key: str) -> Setup:
    """Create and migrate the database; seed a center, a partner and its client."""
    from core import migrate
    from core.app import create_app
    from core.clock import now
    from core.db import db
    from core.oauth.clients import ClientSpec, Owner, register_client
    from core.tenancy import tenant_scope
    from referrals.models import Partner, PartnerKind
    from tenants.models import Tenant, TenantStatus
    from tests.referrals.helpers import referral_body

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{NAME}"')
    migrate.upgrade(SQLALCHEMY_URL)
    app = create_app({**app_config(workdir, secret_key), "API_RATE_PER_CLIENT": RATE_PER_CLIENT})
    center_id = uuid.uuid4()
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
        db.session.commit()
        spec = ClientSpec("Case software", True, ["client_credentials"], ["referrals:write"])
        client, secret = register_client(Owner("partner", partner.id), spec, None)
        db.session.commit()
        setup = Setup(app, center_id, partner.id, client.client_id, secret or "", "")
    to = SimpleNamespace(slug="centre-mediation-lyon")
    setup.body = json.dumps(referral_body(to, reference=PLACEHOLDER), ensure_ascii=False)
    return setup


def mint(setup: Setup) -> str:
    """An access token from the real token endpoint (client credentials)."""
    answer = setup.app.test_client().post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "referrals:write"},
        auth=(setup.client_id, setup.secret),
    )
    if answer.status_code != 200:
        sys.exit(f"/oauth/token answered {answer.status_code}: {answer.get_data(as_text=True)}")
    return answer.json["access_token"]


def body(setup: Setup, reference: str) -> str:
    return setup.body.replace(PLACEHOLDER, reference)


# --- the servers and the load ----------------------------------------------------------------


def start_servers(setup: Setup, workdir: Path, secret_key: str) -> dict[str, Server]:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
    config = app_config(workdir, secret_key)
    app_env = {
        **base,
        **{k: str(config[k]) for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "LOG_LEVEL")},
        "OAUTH_KEYS_FILE": str(config["OAUTH_KEYS_FILE"]),
        "FILES_DIR": str(config["FILES_DIR"]),
        "API_RATE_PER_CLIENT": "{}/{}".format(*RATE_PER_CLIENT),
    }
    baseline_env = {
        **base,
        "BASELINE_DATABASE_URL": LIBPQ_URL,
        "BASELINE_TENANT_ID": str(setup.center_id),
        "BASELINE_PARTNER_ID": str(setup.partner_id),
        "BASELINE_CLIENT_ID": setup.client_id,
    }
    servers = {
        "app": Server("app", "wsgi:app", app_env, workdir, ROOT),
        "baseline": Server(
            "baseline", "referrals_baseline:app", baseline_env, workdir, ROOT / "bench"
        ),
    }
    try:
        servers["app"].wait_ready("/readyz")
        servers["baseline"].wait_ready("/healthz")
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return servers


def first_post(url: str, data: str, token: str, key: str) -> tuple[int, str]:
    """(status, body) of one POST, to check a target before loading it."""
    request = urllib.request.Request(  # noqa: S310 (our own loopback server)
        url,
        data=data.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wrk(target: tuple[str, str], body_file: Path, token: str, label: str, load: tuple) -> dict:
    """One wrk run on (server, path), `load` = (connections, seconds, threads); `label`
    makes its references and Idempotency-Keys its own."""
    (base, path), (connections, seconds, threads) = target, load
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--timeout", "30s", "-s", str(WRK_SCRIPT), base, "--"]
    command += [str(body_file), token, label, path]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line.removeprefix("BENCH_RESULT "))
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            result["errors"] = sum(
                result[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
            )
            result["failed"] = result["non_2xx"] + result["replayed"] + result["errors"]
            return result
    sys.exit(f"wrk gave no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def measure(args: argparse.Namespace, setup: Setup, servers: dict[str, Server], workdir: Path):
    targets = {
        "POST /referrals": (servers["app"].url, API_PATH),
        "bare INSERT": (servers["baseline"].url, BASELINE_PATH),
    }
    meters = {
        "POST /referrals": CpuMeter(servers["app"].process.pid, ADMIN_URL, NAME),
        "bare INSERT": CpuMeter(servers["baseline"].process.pid, ADMIN_URL, NAME),
    }
    body_file = workdir / "body.json"
    body_file.write_text(setup.body, encoding="utf-8")
    token = mint(setup)
    for name, (base, path) in targets.items():
        label = f"check-{name[:4]}"
        status, answer = first_post(base + path, body(setup, label), token, label)
        print(f"  {name}: POST {path} -> {status}, {len(answer):,} bytes")
        if status != 201:
            sys.exit(f"{name} answered {status}: {answer[:500]} (logs in {workdir})")
    print(f"Warm-up: {WARM_UP} s per target, 4 connections (not counted).")
    for name, target in targets.items():
        done = wrk(target, body_file, token, f"warm-{name[:4]}", (4, WARM_UP, args.threads))
        if done["failed"]:
            print(f"  warm-up {name}: {done['failed']} failed answers {done['bad_statuses']}")
    results: dict[str, list[dict]] = {name: [] for name in targets}
    load = (args.connections, args.duration, args.threads)
    for run in range(1, args.runs + 1):
        token = mint(setup)  # a fresh token for each run: they live 15 minutes
        for name, target in targets.items():
            before = load_average()
            meters[name].start()
            result = wrk(target, body_file, token, f"run{run}-{name[:4]}", load)
            result["cpu_ms"] = cpu = meters[name].stop(result["requests"])
            result["load"] = before
            results[name].append(result)
            print(
                f"  run {run} {name:<16}{result['rps']:8.1f} req/s  "
                f"p50 {result['p50_us'] / 1000:6.1f}  p95 {result['p95_us'] / 1000:6.1f}  "
                f"p99 {result['p99_us'] / 1000:6.1f} ms  {result['requests']:6} requests  "
                f"non-2xx {result['non_2xx']} {result['bad_statuses']}  replayed "
                f"{result['replayed']}  socket errors {result['errors']}  "
                + ("ok" if not result["failed"] else "FAILED")
                + f"\n    load {before}; CPU per request: workers {cpu['workers']:.2f} ms, "
                f"PostgreSQL {cpu['postgres']:.2f} ms, wrk {cpu['wrk']:.2f} ms",
                flush=True,
            )
    return results


def written() -> str:
    """What the runs wrote: each answer a new case (references are unique)."""
    with psycopg.connect(LIBPQ_URL) as conn:
        cases, references, by_app = conn.execute(
            "SELECT count(*), count(DISTINCT reference), count(*) FILTER (WHERE steps = 1 "
            "AND EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = referrals.id)) "
            "FROM referrals"
        ).fetchone()
        keys = conn.execute("SELECT count(*) FROM idempotency_records").fetchone()[0]
    return (
        f"{cases:,} cases with {references:,} distinct references ({by_app:,} with their "
        f"event, from the app), {keys:,} Idempotency-Keys recorded"
    )


def summarise(runs: list[dict]) -> dict:
    return {
        "rps": statistics.mean(r["rps"] for r in runs),
        "p50": statistics.mean(r["p50_us"] for r in runs) / 1000,
        "p95": statistics.mean(r["p95_us"] for r in runs) / 1000,
        "p99": statistics.mean(r["p99_us"] for r in runs) / 1000,
        "requests": sum(r["requests"] for r in runs),
        "failed": sum(r["failed"] for r in runs),
        "cpu_ms": {
            key: statistics.mean(r["cpu_ms"][key] for r in runs)
            for key in ("workers", "postgres", "wrk")
        },
    }


def report(args: argparse.Namespace, results: dict[str, list[dict]], profile: dict) -> int:
    summary = {name: summarise(runs) for name, runs in results.items()}
    api, base = summary["POST /referrals"], summary["bare INSERT"]
    ratio = api["rps"] / base["rps"] if base["rps"] else 0.0
    print(f"\nMeans of {args.runs} runs of {args.duration} s, {args.connections} connections:")
    print(
        f"  {'target':<16}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'x base':>9}"
        "   CPU ms per request: workers + PostgreSQL + wrk"
    )
    for name, row in summary.items():
        cpu = row["cpu_ms"]
        print(
            f"  {name:<16}{row['rps']:9.1f}{row['p50']:9.1f}{row['p95']:9.1f}"
            f"{row['p99']:9.1f}{row['rps'] / base['rps'] if base['rps'] else 0:9.2f}"
            f"   {cpu['workers']:.2f} + {cpu['postgres']:.2f} + {cpu['wrk']:.2f}"
            f" = {sum(cpu.values()):.2f}"
        )
    cpu = {name: max(sum(row["cpu_ms"].values()), 1e-9) for name, row in summary.items()}
    app_cpu, base_cpu, cpus = cpu["POST /referrals"], cpu["bare INSERT"], os.cpu_count() or 1
    print(
        f"  CPU of one request (workers, PostgreSQL and wrk): {app_cpu:.1f} ms against "
        f"{base_cpu:.1f} ms, {app_cpu / base_cpu:.1f}x; {cpus} CPUs give at most "
        f"{cpus * 1000 / app_cpu:.0f} and {cpus * 1000 / base_cpu:.0f} requests/s, a ratio "
        f"of at most {base_cpu / app_cpu:.2f} while the CPUs are the limit."
    )
    out = Path(tempfile.gettempdir()) / "bench_referrals.json"
    record = {"args": vars(args), "summary": summary, "runs": results, "profile": profile}
    out.write_text(json.dumps(record, indent=2, default=str))
    print(f"  (every figure in {out})")
    failed = sum(row["failed"] for row in summary.values())
    if failed:
        print(f"FAILED: {failed} answers other than a fresh 2xx, or socket errors.")
        return 1
    if args.connections != TARGET_CONNECTIONS:
        print(f"No target at {args.connections} connections: figures only.")
        return 0
    met = ratio >= TARGET_RATIO
    print(
        f"{'PASS' if met else 'FAIL'}: POST /referrals {ratio:.2f}x the bare INSERT's "
        f"requests/s (target >= {TARGET_RATIO}x at {TARGET_CONNECTIONS} connections)."
    )
    return 0 if met else 3


def versions() -> str:
    import gunicorn
    import redis

    with psycopg.connect(ADMIN_URL) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    redis_version = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
    return (
        f"{platform.python_implementation()} {platform.python_version()}, PostgreSQL "
        f"{server.split()[0]}, Redis {redis_version}, gunicorn {gunicorn.__version__}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=16, choices=range(1, 65))
    parser.add_argument("--duration", type=int, default=30, choices=range(1, 301))
    parser.add_argument("--runs", type=int, default=2, choices=range(1, 11))
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    args = parser.parse_args()
    if args.threads > args.connections:
        parser.error("--threads: at most --connections")
    print(f"Referral API benchmark: {os.cpu_count()} CPUs, {versions()}, load {load_average()}")
    secret_key = "bench-" + secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="bench_referrals_") as tmp:
        workdir = Path(tmp)
        setup = prepare(workdir, secret_key)
        print(
            f"Database {NAME}: migrated; center {setup.center_id}, partner "
            f"{setup.partner_id}, client {setup.client_id} (referrals:write)."
        )
        servers = start_servers(setup, workdir, secret_key)
        try:
            print(
                f"Servers: app {servers['app'].url}, baseline {servers['baseline'].url} "
                f"(gunicorn, 4 sync workers each); wrk {args.threads} threads, "
                f"{args.connections} connections."
            )
            results = measure(args, setup, servers, workdir)
        finally:
            for server in servers.values():
                server.stop()
        print(f"Written: {written()}.")

        def post(client: Any, label: str) -> Any:
            return client.post(
                API_PATH,
                data=body(setup, label).encode(),
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": label},
            )

        token = mint(setup)
        profile = referrals_profile.run(setup.app, post, workdir)
        from core.db import db

        db.dispose(setup.app)
    return report(args, results, profile)


if __name__ == "__main__":
    sys.exit(main())
