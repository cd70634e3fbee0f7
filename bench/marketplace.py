"""Benchmark: the marketplace's search API and public mediator page under load, beside a
bare baseline running the same search SQL, on PostgreSQL.

    .venv/bin/python bench/marketplace.py [--profiles 100000] [--connections 16]
        [--duration 30] [--runs 2] [--reseed] [--reindex] [--explain] [--prepare-only]
        [--app-dir PATH]

1. A database of its own, `bench_marketplace_<profiles>` on 127.0.0.1:5432 (user
   postgres), migrated with `core.migrate.upgrade`, seeded (bench/marketplace_seed.py)
   with N listed, complete profiles over N/100 published centers with priced offers,
   then the public listing built by the real indexer (`marketplace.indexing.refresh`)
   and ANALYZEd. Cached: when the database already holds N profiles and N listed
   mediators, seeding and indexing are skipped (`--reseed` drops and rebuilds it,
   `--reindex` rebuilds only the listing).
2. The app under gunicorn (4 sync workers, wsgi:app) and the bare baseline
   (bench/marketplace_baseline.py, same gunicorn settings), both on loopback; Redis
   db 9; the anonymous API rate limit raised through API_RATE_ANONYMOUS.
3. A pool of at least 1,000 distinct searches (a common word of the bios + a language +
   a specialty), each checked by SQL to match at least 1% of the profiles; a pool of
   listed mediators' pages.
4. wrk (bench/marketplace_wrk.lua): each request the next path of the pool, R runs of
   D seconds per target, interleaved; any status other than 2xx, or any socket error,
   fails the run. Prints requests/s and p50/p95/p99 per target, and the ratios.

Exit status: 0 when every run passed and the targets were met (at 100,000 profiles and
16 connections: search API >= 0.5x the baseline's requests/s, p95 <= 150 ms); 1 when a
run saw a non-2xx answer or a socket error; 3 when a target was missed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path, where this file would shadow the
# `marketplace` package: the project's root goes there instead.
sys.path[0] = str(ROOT)

import psycopg  # noqa: E402

from bench import marketplace_baseline as baseline  # noqa: E402
from bench import marketplace_seed as seeding  # noqa: E402
from bench.marketplace_data import COMMON_SENTENCES, SPECIALTY_SENTENCES, words  # noqa: E402
from bench.marketplace_load import Server, first_answer, load_average, wrk  # noqa: E402

PG = "127.0.0.1:5432"
ADMIN_URL = f"postgresql://postgres@{PG}/postgres"
REDIS_URL = "redis://127.0.0.1:6379/9"
API_PATH = "/api/v1/marketplace/mediators"
PAGE_PATH = "/marketplace/mediators/{slug}"
MIN_POOL = 1000
MIN_SHARE = 0.01  # each search matches at least 1% of the profiles
WARM_UP = 5  # seconds per target, 4 connections, not counted
TARGET_RATIO = 0.5
TARGET_P95_MS = 150
LANGUAGES = ("fr", "en", "es", "de", "it")
STOPWORDS = frozenset(
    words(
        "dans avec entre pour vers selon aux des les une est sur par qui que mon mes vos votre"
        " and the with between for from over into your when after their more than each"
    )
)


def database_urls(name: str) -> tuple[str, str]:
    """(libpq URL, SQLAlchemy URL) of the benchmark database."""
    return f"postgresql://postgres@{PG}/{name}", f"postgresql+psycopg://postgres@{PG}/{name}"


def app_config(sqlalchemy_url: str, workdir: Path) -> dict[str, object]:
    return {
        "DATABASE_URL": sqlalchemy_url,
        "REDIS_URL": REDIS_URL,
        "JOBS_INLINE": False,
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(16),
        "OAUTH_KEYS_FILE": str(workdir / "oauth_keys.json"),
        "FILES_DIR": str(workdir / "files"),
        "LOG_LEVEL": "WARNING",
    }


# --- the database --------------------------------------------------------------------


def prepare(args: argparse.Namespace, name: str, workdir: Path) -> dict[str, object]:
    """Create, migrate, seed and index the database unless it is already there."""
    from core import migrate

    libpq_url, sqlalchemy_url = database_urls(name)
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and args.reseed:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    migrate.upgrade(sqlalchemy_url)
    info: dict[str, object] = {"database": name}
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        profiles = conn.execute("SELECT count(*) FROM mediator_profiles").fetchone()[0]
        listed = conn.execute("SELECT count(*) FROM marketplace_mediators").fetchone()[0]
    if profiles not in (0, args.profiles):
        sys.exit(f"{name} holds {profiles} profiles, not {args.profiles}: use --reseed")
    if profiles == 0:
        info["seed_seconds"] = seed(args.profiles, libpq_url, sqlalchemy_url, workdir)
    if profiles == 0 or listed != args.profiles or args.reindex:
        info["index_seconds"] = index(args, libpq_url, sqlalchemy_url, workdir)
    else:
        print(f"Cached: {name} already lists {listed:,} mediators (--reseed to rebuild).")
        info["cached"] = True
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        listed = conn.execute("SELECT count(*) FROM marketplace_mediators").fetchone()[0]
        centers = conn.execute("SELECT count(*) FROM marketplace_centers").fetchone()[0]
        compliant = conn.execute(
            "SELECT count(*) FROM marketplace_mediators WHERE compliant"
        ).fetchone()[0]
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(%s))", [name]).fetchone()[0]
    if listed != args.profiles:
        sys.exit(f"The indexer listed {listed:,} mediators of {args.profiles:,}: see above.")
    info.update(listed=listed, centers=centers, compliant=compliant, size=size)
    return info


def seed(count: int, libpq_url: str, sqlalchemy_url: str, workdir: Path) -> float:
    from core.app import create_app
    from core.credentials.schemes import seed_catalogue
    from core.db import db
    from core.tenancy import platform_scope

    started = time.perf_counter()
    app = create_app(app_config(sqlalchemy_url, workdir))
    with app.app_context(), platform_scope("bench: the certification catalogue"):
        seed_catalogue()
        db.session.commit()
    db.dispose(app)
    with psycopg.connect(libpq_url) as conn:
        schemes = dict(conn.execute("SELECT code, id FROM certification_schemes").fetchall())
        counts = seeding.Seeder(count).seed(conn, schemes)
    seconds = time.perf_counter() - started
    print(f"Seeded in {seconds:.0f} s: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    return seconds


def index(args: argparse.Namespace, libpq_url: str, sqlalchemy_url: str, workdir: Path) -> float:
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        conn.execute("TRUNCATE marketplace_mediators, marketplace_centers")
    # In the seeder's order: blocks of consecutive centers share second affiliations.
    center_ids = _centers_in_seed_order(libpq_url)
    print(f"Indexing {args.profiles:,} profiles with {args.indexers} indexer processes...")
    seconds = seeding.build_listing(app_config(sqlalchemy_url, workdir), center_ids, args.indexers)
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("VACUUM (ANALYZE) marketplace_mediators")
        conn.execute("VACUUM (ANALYZE) marketplace_centers")
    print(
        f"Indexed in {seconds:.0f} s ({args.profiles / seconds:,.0f} profiles/s); "
        f"VACUUM ANALYZE {time.perf_counter() - started:.0f} s"
    )
    return seconds


def _centers_in_seed_order(libpq_url: str) -> list:
    """Centers in the seeder's order (their slugs end with their number)."""
    with psycopg.connect(libpq_url) as conn:
        rows = conn.execute("SELECT id, slug FROM tenants").fetchall()
    return [cid for cid, slug in sorted(rows, key=lambda r: int(r[1].rsplit("-", 1)[1]))]


# --- the pools of requests ---------------------------------------------------------------


def candidate_words() -> list[str]:
    """Words of the bios' vocabulary (French and English), five letters or more."""
    sentences = [*COMMON_SENTENCES, *(p for pairs in SPECIALTY_SENTENCES.values() for p in pairs)]
    found: dict[str, None] = {}
    for fr, en in sentences:
        for word in re.findall(r"\w{5,}", f"{fr} {en}".lower()):
            if word not in STOPWORDS and not word.isdigit():
                found.setdefault(word, None)
    return list(found)


POOL_COUNT = f"""
SELECT language, specialty, count(*)
FROM marketplace_mediators m,
     (SELECT {baseline.TSQUERY} AS tsquery, lower(unaccent(%(q)s)) AS folded) s,
     unnest(m.languages) language, unnest(m.specialties) specialty
WHERE {baseline.MATCH} AND language = ANY(%(languages)s)
GROUP BY language, specialty
"""  # noqa: S608 (constants only; the values are bound)


def search_pool(libpq_url: str, profiles: int) -> tuple[list[dict[str, str]], list[int], dict]:
    """Every (word, language, specialty) whose search matches at least 1% of the
    profiles, counted by SQL with the search's own text match, with its count; shuffled.
    The counts are kept in a file beside the figures, reused while the listing, the
    words and the SQL are the same (1M profiles take minutes to count)."""
    started = time.perf_counter()
    floor = int(profiles * MIN_SHARE)
    words = candidate_words()
    with psycopg.connect(libpq_url, prepare_threshold=None) as conn:
        listing = conn.execute(
            "SELECT count(*), max(updated_at) FROM marketplace_mediators"
        ).fetchone()
        key = hashlib.sha256(
            json.dumps([POOL_COUNT, words, LANGUAGES, floor, str(listing)]).encode()
        ).hexdigest()
        cache = Path(tempfile.gettempdir()) / f"bench_marketplace_{profiles}_pool.json"
        kept = json.loads(cache.read_text()) if cache.exists() else {}
        if kept.get("key") == key:
            pool, sizes = kept["pool"], kept["sizes"]
        else:
            pool, sizes = [], []
            baseline.apply_settings(conn)
            for word in words:
                rows = conn.execute(POOL_COUNT, {"q": word, "languages": list(LANGUAGES)})
                for language, specialty, count in rows:
                    if count >= floor:
                        pool.append({"q": word, "language": language, "specialty": specialty})
                        sizes.append(count)
            cache.write_text(json.dumps({"key": key, "pool": pool, "sizes": sizes}))
    rng = random.Random(7)  # noqa: S311 (an order, not a secret)
    order = list(range(len(pool)))
    rng.shuffle(order)
    stats = {
        "searches": len(pool),
        "words": len({p["q"] for p in pool}),
        "min_match": min(sizes, default=0),
        "median_match": int(statistics.median(sizes)) if sizes else 0,
        "max_match": max(sizes, default=0),
        "seconds": time.perf_counter() - started,
        "cached": kept.get("key") == key,
    }
    return [pool[i] for i in order], [sizes[i] for i in order], stats


def page_pool(libpq_url: str, count: int = 20_000) -> list[str]:
    """Slugs of listed mediators, in a fixed pseudo-random order."""
    with psycopg.connect(libpq_url) as conn:
        rows = conn.execute(
            "SELECT slug FROM marketplace_mediators ORDER BY md5(slug) LIMIT %s", [count]
        ).fetchall()
    return [slug for (slug,) in rows]


# --- the servers ---------------------------------------------------------------------------


def start_servers(
    libpq_url: str, sqlalchemy_url: str, workdir: Path, app_dir: Path
) -> dict[str, Server]:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
    config = app_config(sqlalchemy_url, workdir)
    app_env = {
        **base,
        "DATABASE_URL": sqlalchemy_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": str(config["SECRET_KEY"]),
        "OAUTH_KEYS_FILE": str(config["OAUTH_KEYS_FILE"]),
        "FILES_DIR": str(config["FILES_DIR"]),
        "LOG_LEVEL": "WARNING",
        # The benchmark's own limit, far above what it sends (one address for all).
        "API_RATE_ANONYMOUS": "100000000/60",
        "API_RATE_PER_CLIENT": "100000000/60",
    }
    baseline_env = {**base, "BASELINE_DATABASE_URL": libpq_url}
    servers = {
        "app": Server("app", "wsgi:app", app_env, workdir, app_dir),
        "baseline": Server(
            "baseline", "marketplace_baseline:app", baseline_env, workdir, ROOT / "bench"
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


def print_explain(args, searches, sizes, config, libpq_url) -> None:
    """EXPLAIN ANALYZE the searches of median and largest match, app and baseline."""
    from bench.marketplace_explain import explain

    by_size = sorted(range(len(searches)), key=lambda i: sizes[i])
    chosen = [by_size[len(by_size) // 2], by_size[-1]]
    text = explain(config, libpq_url, [searches[i] for i in chosen])
    out = Path(tempfile.gettempdir()) / f"bench_marketplace_{args.profiles}_explain.txt"
    out.write_text(text + "\n")
    print(text)
    print(f"(also in {out})")


# --- the run -------------------------------------------------------------------------------


def summarise(name: str, runs: list[dict]) -> dict:
    return {
        "target": name,
        "rps": statistics.mean(r["rps"] for r in runs),
        "p50": statistics.mean(r["p50_us"] for r in runs) / 1000,
        "p95": statistics.mean(r["p95_us"] for r in runs) / 1000,
        "p99": statistics.mean(r["p99_us"] for r in runs) / 1000,
        "requests": sum(r["requests"] for r in runs),
        "failed": sum(r["non_2xx"] + r["errors"] for r in runs),
    }


def measure(args: argparse.Namespace, servers: dict[str, Server], pools: dict, workdir: Path):
    targets = {
        "search API": (servers["app"].url, pools["api"]),
        "mediator page": (servers["app"].url, pools["page"]),
        "baseline": (servers["baseline"].url, pools["baseline"]),
    }
    files = {}
    for name, (url, paths) in targets.items():
        status, size = first_answer(url, paths[0])
        print(f"  {name}: GET {paths[0][:90]} -> {status}, {size:,} bytes")
        if status != 200:
            sys.exit(f"{name} answered {status}: see {workdir}")
        files[name] = workdir / f"{name.replace(' ', '_')}.paths"
        files[name].write_text("\n".join(paths) + "\n")
    print(f"Warm-up: {WARM_UP} s per target, 4 connections (not counted).")
    # Each run goes on in the pool where the previous one stopped.
    start = dict.fromkeys(targets, 0)
    for name, (url, _paths) in targets.items():
        done = wrk(url, files[name], 4, WARM_UP, args.threads, 0)
        start[name] += -(-done["requests"] // args.threads)
    results: dict[str, list[dict]] = {name: [] for name in targets}
    for run in range(1, args.runs + 1):
        for name, (url, _paths) in targets.items():
            before = load_average()
            result = wrk(
                url, files[name], args.connections, args.duration, args.threads, start[name]
            )
            start[name] += -(-result["requests"] // args.threads)
            result["load"] = before
            results[name].append(result)
            verdict = "ok" if result["non_2xx"] + result["errors"] == 0 else "FAILED"
            print(
                f"  run {run} {name:<13} {result['rps']:8.1f} req/s  "
                f"p50 {result['p50_us'] / 1000:7.1f}  p95 {result['p95_us'] / 1000:7.1f}  "
                f"p99 {result['p99_us'] / 1000:7.1f} ms  {result['requests']:6} requests  "
                f"non-2xx {result['non_2xx']} {result['bad_statuses']}  "
                f"socket errors {result['errors']}  load {before}  {verdict}",
                flush=True,
            )
    return results


def report(args: argparse.Namespace, info: dict, results: dict[str, list[dict]]) -> int:
    summary = {name: summarise(name, runs) for name, runs in results.items()}
    base = summary["baseline"]
    print(
        f"\nMeans of {args.runs} runs of {args.duration} s, {args.connections} connections, "
        f"{args.profiles:,} profiles:"
    )
    print(f"  {'target':<14}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'x base':>9}")
    for name, row in summary.items():
        ratio = row["rps"] / base["rps"] if base["rps"] else 0.0
        print(
            f"  {name:<14}{row['rps']:9.1f}{row['p50']:9.1f}{row['p95']:9.1f}"
            f"{row['p99']:9.1f}{ratio:9.2f}"
        )
    failed = sum(row["failed"] for row in summary.values())
    api = summary["search API"]
    ratio = api["rps"] / base["rps"] if base["rps"] else 0.0
    print(
        f"  ratios: search API / baseline {ratio:.2f}, "
        f"mediator page / baseline {summary['mediator page']['rps'] / base['rps']:.2f}"
    )
    record = {
        "profiles": args.profiles,
        "connections": args.connections,
        "duration": args.duration,
        "database": info,
        "summary": summary,
        "runs": results,
    }
    out = Path(tempfile.gettempdir()) / f"bench_marketplace_{args.profiles}.json"
    out.write_text(json.dumps(record, indent=2, default=str))
    print(f"  (every figure in {out})")
    if failed:
        print(f"FAILED: {failed} requests answered other than 2xx, or socket errors.")
        return 1
    targeted = args.profiles == 100_000 and args.connections == 16
    met = ratio >= TARGET_RATIO and api["p95"] <= TARGET_P95_MS
    if not targeted:
        print("No target at this size or concurrency: figures only.")
        return 0
    print(
        f"{'PASS' if met else 'FAIL'}: search API {ratio:.2f}x the baseline (target "
        f">= {TARGET_RATIO}), p95 {api['p95']:.1f} ms (target <= {TARGET_P95_MS} ms)."
    )
    return 0 if met else 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=16, choices=range(1, 33))
    parser.add_argument("--duration", type=int, default=30, choices=range(1, 31))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--indexers", type=int, default=2, help="indexer processes")
    parser.add_argument("--reseed", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--reindex", action="store_true", help="rebuild the listing only")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE a search")
    parser.add_argument("--prepare-only", action="store_true", help="seed, index, then stop")
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=ROOT,
        help="serve the app from this copy of the project (to measure a proposed change)",
    )
    args = parser.parse_args()
    if args.profiles < 100:
        parser.error("--profiles: at least 100")
    name = f"bench_marketplace_{args.profiles}"
    libpq_url, sqlalchemy_url = database_urls(name)
    print(
        f"Marketplace benchmark: {args.profiles:,} profiles, {os.cpu_count()} CPUs, "
        f"{platform.python_implementation()} {platform.python_version()}, load {load_average()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench_marketplace_") as tmp:
        workdir = Path(tmp)
        info = prepare(args, name, workdir)
        print(
            f"Database {name}: {info['listed']:,} listed mediators, {info['centers']:,} "
            f"centers, {info['compliant']:,} compliant, {info['size']}."
        )
        if args.prepare_only:
            return 0
        searches, sizes, stats = search_pool(libpq_url, args.profiles)
        print(
            f"Search pool: {stats['searches']:,} searches ({stats['words']} words x language "
            f"x specialty), each matching {stats['min_match']:,} to {stats['max_match']:,} "
            f"profiles (median {stats['median_match']:,}; floor 1% = "
            f"{int(args.profiles * MIN_SHARE):,}); "
            + ("counts reused" if stats["cached"] else f"counted in {stats['seconds']:.0f} s.")
        )
        if len(searches) < MIN_POOL:
            sys.exit(f"Only {len(searches)} searches match 1% of the profiles: {MIN_POOL} needed.")
        info["pool"] = stats
        if args.explain:
            print_explain(args, searches, sizes, app_config(sqlalchemy_url, workdir), libpq_url)
        pools = {
            "api": [f"{API_PATH}?{urlencode(s)}" for s in searches],
            "baseline": [f"/search?{urlencode(s)}" for s in searches],
            "page": [PAGE_PATH.format(slug=slug) for slug in page_pool(libpq_url)],
        }
        servers = start_servers(libpq_url, sqlalchemy_url, workdir, args.app_dir.resolve())
        try:
            print(
                f"Servers: app {servers['app'].url} (from {args.app_dir}) and baseline "
                f"{servers['baseline'].url} "
                f"(gunicorn, 4 sync workers each); wrk {args.threads} threads."
            )
            results = measure(args, servers, pools, workdir)
        finally:
            for server in servers.values():
                server.stop()
        return report(args, info, results)


if __name__ == "__main__":
    sys.exit(main())
