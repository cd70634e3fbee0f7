"""Benchmark: the API's access-token check, `core.oauth.tokens.verify_access_token`.

Issues N distinct RS256 access tokens (distinct `jti` and `sub`), then verifies each one
once, timing every call with time.perf_counter_ns: signature, header, claims, then the
revocation snapshot, exactly as a request to an /api/v1 route does (no result is
memoised; the snapshot is the per-process copy of the revocation list that
production re-reads every 60 s, loaded here by the first call). Target: median at most
0.1 ms per token. See bench/README.md.

    .venv/bin/python bench/verify_tokens.py [--count 10000]

Runs on a throwaway app: a temporary migrated SQLite database, a temporary key file,
no Redis. Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import migrate
from core.app import create_app
from core.clock import now
from core.db import db
from core.oauth.revocation import REVOCATION_CACHE_SECONDS
from core.oauth.scopes import organisation_scopes
from core.oauth.tokens import encode_access_token, verify_access_token

TARGET_MEDIAN_MS = 0.1
LIFETIME = 900  # seconds, as the token endpoint issues them
OWNERS = 50  # the centers and partners owning the clients


def percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, round(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def issue(count: int) -> list[str]:
    """`count` tokens, all distinct: each its own `jti`, and its own `sub` (every other
    token is a person's, whose `sub` is the person; the others are a client's own,
    whose `sub` is the client id, one per token)."""
    scopes = {kind: " ".join(organisation_scopes(kind)) for kind in ("tenant", "partner")}
    owners = [(("tenant", "partner")[i % 2], uuid.uuid4()) for i in range(OWNERS)]
    issued_at = now()
    tokens = []
    for i in range(count):
        kind, owner_id = owners[i % OWNERS]
        person = uuid.uuid4() if i % 2 else None
        tokens.append(
            encode_access_token(
                jti=uuid.uuid4(),
                client_id=f"mhc_bench{i:06d}",
                owner_kind=kind,
                owner_id=owner_id,
                user_id=person,
                scope=scopes[kind] + (" profile" if person else ""),
                issued_at=issued_at,
                lifetime=LIFETIME,
            )
        )
    return tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mh-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        app = create_app(
            {
                "SECRET_KEY": "bench-only",
                "DATABASE_URL": url,
                "REDIS_URL": None,
                "OAUTH_KEYS_FILE": str(Path(tmp) / "oauth_keys.json"),
                "LOG_LEVEL": "WARNING",
            }
        )
        with app.app_context():
            started = time.perf_counter()
            tokens = issue(args.count)
            issuing = time.perf_counter() - started
            assert len(set(tokens)) == len(tokens)

            durations: list[int] = []
            started = time.perf_counter()
            for raw in tokens:
                before = time.perf_counter_ns()
                verify_access_token(raw)
                durations.append(time.perf_counter_ns() - before)
            verifying = time.perf_counter() - started
            if verifying >= REVOCATION_CACHE_SECONDS:
                print("note: the run outlasted the revocation snapshot; it was re-read")
            db.session.remove()
        db.dispose(app)

    ordered = sorted(durations)
    ms = 1e-6
    median = statistics.median(ordered) * ms
    figures = {
        "count": len(ordered),
        "median": median,
        "p95": percentile(ordered, 0.95) * ms,
        "p99": percentile(ordered, 0.99) * ms,
        "mean": statistics.fmean(ordered) * ms,
        "max": ordered[-1] * ms,
    }
    print(
        f"verify_access_token on {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPU(s), {platform.machine()}"
    )
    print(f"issued {len(tokens)} tokens in {issuing:.1f} s; verified them in {verifying:.2f} s")
    print(f"  count   {figures['count']}")
    for name in ("median", "p95", "p99", "mean", "max"):
        print(f"  {name:<7} {figures[name]:.4f} ms")
    print(f"  (first call, which loads the revocation snapshot: {durations[0] * ms:.4f} ms)")
    verdict = "PASS" if median <= TARGET_MEDIAN_MS else "FAIL"
    print(f"{verdict}: median {median:.4f} ms, target <= {TARGET_MEDIAN_MS} ms")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
