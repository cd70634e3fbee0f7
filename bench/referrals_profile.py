"""Where the time of one `POST /api/v1/referrals` goes: the request in-process (the
Flask test client, no HTTP server) against the benchmark's PostgreSQL database and
Redis, as bench/referrals.py sets them up.

After a few warm-up requests: N requests timed without a profiler (the wall time and
the database work of each), then one request under cProfile, whose top functions by
cumulative time and a breakdown by stage are printed.

The database work is counted twice: the SQL statements SQLAlchemy executes (a
`before_cursor_execute` / `after_cursor_execute` pair on the engine), and every round
trip on the wire, from libpq's trace of the pooled connection (each message sent and
received, timed): besides the statements, psycopg's BEGIN, the pool's pre-ping, the
scope core.tenancy publishes with `set_config` when it changes, the COMMITs.
"""

from __future__ import annotations

import cProfile
import ctypes
import os
import pstats
import re
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

# The stages of the request, as (label, file suffix, function) in the profile.
STAGES = (
    ("whole request (Flask.wsgi_app)", "flask/app.py", "wsgi_app"),
    ("token verification (verify_access_token)", "core/oauth/tokens.py", "verify_access_token"),
    ("rate limit, one Redis EVAL (ratelimit.hit)", "core/ratelimit.py", "hit"),
    ("Idempotency-Key looked up (one SELECT)", "referrals/idempotency.py", "_recorded"),
    ("validation: JSON + NewReferralSchema (webargs)", "webargs/core.py", "parse"),
    ("the case written (cases.send, flushed)", "referrals/cases.py", "send"),
    ("  of which the center read", "referrals/cases.py", "_center"),
    ("  of which the webhook outbox (on_case_moved)", "referrals/webhooks.py", "on_case_moved"),
    ("  of which the emails' recipients (notifications)", "referrals/notifications.py", "notify"),
    ("  of which the flush (3 INSERTs)", "referrals/cases.py", "_in_center"),
    ("the answer built (views_of.case)", "referrals/views_of.py", "case"),
    ("serialisation: ReferralSchema.dump", "marshmallow/schema.py", "dump"),
    ("serialisation: jsonify", "flask/json/__init__.py", "jsonify"),
    ("the COMMIT (Session.commit, with its flush)", "sqlalchemy/orm/session.py", "commit"),
)
# The test client's own frames, left out of the top functions (a server has others).
CLIENT_FRAMES = ("werkzeug/test.py", "flask/testing.py", "bench/referrals.py")


@dataclass
class Trip:
    """One round trip to PostgreSQL: what was sent first, and until ReadyForQuery (s)."""

    what: str
    kind: str
    seconds: float


@dataclass
class Trips:
    """The database work of one request: the SQL statements SQLAlchemy executed (its
    cursor events) and every round trip on the wire (libpq's trace)."""

    statements: list[str] = field(default_factory=list)
    statement_seconds: float = 0.0
    trips: list[Trip] = field(default_factory=list)

    @property
    def trip_seconds(self) -> float:
        return sum(t.seconds for t in self.trips)

    def kinds(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for trip in self.trips:
            found[trip.kind] = found.get(trip.kind, 0) + 1
        return found


def _kind(sql: str) -> str:
    words = sql.split() or ["?"]
    if sql.startswith("SELECT set_config"):
        return "scope set_config (core.tenancy)"
    if sql.strip() in (";", "SELECT 1"):
        return "pool pre-ping"
    if words[:2] in (["SET", "LOCAL"], ["BEGIN"], ["COMMIT"], ["ROLLBACK"]):
        return " ".join(words[:3] if words[0] == "SET" else words[:1])
    if words[0] in ("INSERT", "UPDATE", "DELETE"):
        return f"{words[0]} {words[2 if words[0] != 'UPDATE' else 1]}"
    table = words[words.index("FROM") + 1] if "FROM" in words else "?"
    return f"SELECT {table}"


class Counter:
    """Counts the SQL statements and the round trips on one engine (module docstring)."""

    def __init__(self, engine: Any, trace_file: Path) -> None:
        self.trips = Trips()
        self._started = 0.0
        # libpq writes through its own stream on this descriptor; read with another.
        self._trace_fd = os.open(trace_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._trace = trace_file.open()
        self._traced: list[Any] = []
        self._prepared: dict[str, str] = {}  # prepared statement name: its SQL
        # New connections only, traced from their first message: a statement psycopg
        # prepared on an older one would be named here without its SQL.
        engine.dispose()

        @event.listens_for(engine, "before_cursor_execute")
        def _before(_conn, _cursor, statement, *_args) -> None:
            self.trips.statements.append(" ".join(statement.split())[:70])
            self._started = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(*_args) -> None:
            self.trips.statement_seconds += time.perf_counter() - self._started

        @event.listens_for(engine, "checkout")
        def _trace(dbapi_connection, record, _proxy) -> None:
            # libpq writes each message sent and received, with the time it was handled.
            if not record.info.get("bench_traced"):
                dbapi_connection.pgconn.trace(self._trace_fd)
                record.info["bench_traced"] = True
                self._traced.append(dbapi_connection)

    def take(self) -> Trips:
        _LIBC.fflush(None)  # libpq's stream is fully buffered: write out what it holds
        found, self.trips = self.trips, Trips()
        found.trips = list(_round_trips(self._trace.read().splitlines(), self._prepared))
        return found

    def close(self) -> None:
        for connection in self._traced:
            if not connection.closed:
                connection.pgconn.untrace()
        self._trace.close()
        os.close(self._trace_fd)


_LIBC = ctypes.CDLL(None)
TRACE_LINE = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\t([FB])\t\d+\t(\w+)\t?(.*)", re.S)
QUERY_TEXT = re.compile(r'\s*"(.*)"\s*$', re.S)  # Query "sql"
PARSE_TEXT = re.compile(r'\s*"([^"]*)" "(.*)"( \d+)+\s*$', re.S)  # Parse "name" "sql" n oids
BIND_NAME = re.compile(r'\s*"[^"]*" "([^"]+)"')  # Bind "portal" "statement" ...


def _messages(lines: list[str]) -> Iterator[tuple[float, str, str, str]]:
    """(time, F or B, type, contents) of each message; a statement's new lines, which
    libpq writes as they are, go back into its message."""
    current: list[str] = []
    for line in lines:
        if TRACE_LINE.match(line):
            if current:
                yield _message("\n".join(current))
            current = [line]
        elif current:
            current.append(line)
    if current:
        yield _message("\n".join(current))


def _message(text: str) -> tuple[float, str, str, str]:
    at, side, kind, contents = TRACE_LINE.match(text).groups()
    return datetime.fromisoformat(at).timestamp(), side, kind, contents


def _round_trips(lines: list[str], prepared: dict[str, str]) -> Iterator[Trip]:
    """The round trips of a libpq trace: from the first message sent to ReadyForQuery.
    A prepared statement's later runs send only its name (Bind): `prepared` keeps each
    name's SQL from its Parse, across the reads of the trace."""
    started, what = None, ""
    for at, side, kind, contents in _messages(lines):
        parsed = PARSE_TEXT.match(contents) if side == "F" and kind == "Parse" else None
        if parsed and parsed.group(1):
            prepared[parsed.group(1)] = parsed.group(2)
        if side == "F" and started is None:
            if kind == "Query":
                found = QUERY_TEXT.match(contents)
                what = found.group(1) if found else kind
            elif parsed:
                what = parsed.group(2)
            elif kind == "Bind" and (named := BIND_NAME.match(contents)):
                what = prepared.get(named.group(1), kind)
            else:
                what = kind
            started = at
        elif side == "B" and kind == "ReadyForQuery" and started is not None:
            yield Trip(" ".join(what.split())[:70], _kind(what), at - started)
            started = None


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _cumulative(stats: pstats.Stats, suffix: str, name: str) -> tuple[float, int]:
    """(cumulative seconds, calls) of the function `name` in a file ending with `suffix`
    (of the outermost when several share the name there, e.g. Session.commit and
    SessionTransaction.commit)."""
    found = (0.0, 0)
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        if function == name and filename.replace("\\", "/").endswith(suffix):
            found = max(found, (row[3], row[1]))
    return found


def _top(stats: pstats.Stats, count: int, *, own_time: bool = False) -> list[str]:
    """The top functions by cumulative (or own) time, in ms."""
    rows = []
    for (filename, line, function), (_cc, calls, own, cumulative, _by) in stats.stats.items():  # type: ignore[attr-defined]
        path = filename.replace("\\", "/")
        if any(path.endswith(frame) for frame in CLIENT_FRAMES) or function == "<module>":
            continue
        short = "/".join(path.split("/")[-2:]) if "/" in path else path
        rows.append((cumulative, own, calls, f"{short}:{line}({function})"))
    rows.sort(reverse=True, key=lambda row: row[1] if own_time else row[0])
    return [
        f"    {cum * 1000:8.2f} {own * 1000:8.2f} {calls:6}  {where}"
        for cum, own, calls, where in rows[:count]
    ]


def run(
    app: Any, post: Callable[[Any, str], Any], workdir: Path, *, warm_up: int = 5, timed: int = 30
) -> dict:
    """Profile `post(client, label)`, which sends one new referral and returns the
    response. Prints the figures; returns them."""
    from core.db import db

    client = app.test_client()
    counter = Counter(db.engine_for(app), workdir / "libpq_trace.txt")
    try:
        for i in range(warm_up):
            answer = post(client, f"profile-warm-{i}")
            if answer.status_code != 201:
                raise SystemExit(f"in-process POST answered {answer.status_code}: {answer.data!r}")
        counter.take()
        walls, work = [], []
        for i in range(timed):
            started = time.perf_counter()
            post(client, f"profile-timed-{i}")
            walls.append(time.perf_counter() - started)
            work.append(counter.take())
        profiler = cProfile.Profile()
        profiler.enable()
        answer = post(client, "profile-profiled")
        profiler.disable()
        profiled = counter.take()
    finally:
        counter.close()
    return report(answer.status_code, walls, work, profiled, pstats.Stats(profiler), warm_up)


def _median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def report(
    status: int,
    walls: list[float],
    work: list[Trips],
    profiled: Trips,
    stats: pstats.Stats,
    warm_up: int,
) -> dict:
    wall = _median(walls)
    p95 = sorted(walls)[int(0.95 * (len(walls) - 1))]
    sql = _median(w.statement_seconds for w in work)
    wire = _median(w.trip_seconds for w in work)
    print(
        f"\nWhere the time goes: POST /api/v1/referrals in-process (Flask test client), "
        f"{warm_up} warm-up requests, {len(walls)} timed without a profiler, one under "
        f"cProfile (status {status})."
    )
    print(
        f"  Without the profiler: median {_ms(wall)} a request (p95 {_ms(p95)}); "
        f"{len(profiled.statements)} SQL statements (cursor events), median {_ms(sql)}; "
        f"{len(profiled.trips)} round trips to PostgreSQL (libpq trace), median {_ms(wire)} "
        f"({wire / wall:.0%} of the request)."
    )
    print("  The round trips of one request, in order (ms, from the profiled request):")
    for number, trip in enumerate(profiled.trips, 1):
        print(f"    {number:2}. {trip.seconds * 1000:6.2f}  {trip.what}")
    kinds = ", ".join(f"{n} {kind}" for kind, n in profiled.kinds().items())
    print(f"  By kind: {kinds}.")
    total = _cumulative(stats, *STAGES[0][1:])[0]
    print(
        f"  Under cProfile (which slows Python code, not the waits): {_ms(total)}, of which "
        f"{_ms(profiled.trip_seconds)} waiting for PostgreSQL "
        f"({profiled.trip_seconds / total:.0%})."
    )
    print(f"    {'stage':<52}{'cumulative':>12}{'share':>7}{'calls':>6}")
    breakdown = {}
    for label, suffix, name in STAGES:
        spent, calls = _cumulative(stats, suffix, name)
        breakdown[label] = spent * 1000
        print(f"    {label:<52}{spent * 1000:9.2f} ms{spent / total:7.0%}{calls:6}")
    print("  Top functions by cumulative time (ms; the test client's own frames left out):")
    print(f"    {'cum':>8} {'own':>8} {'calls':>6}  function")
    print("\n".join(_top(stats, 15)))
    print("  Top functions by own time (ms; a C call's time counts as its caller's own):")
    print("\n".join(_top(stats, 10, own_time=True)))
    return {
        "median_ms": wall * 1000,
        "p95_ms": p95 * 1000,
        "statements": len(profiled.statements),
        "statement_ms": sql * 1000,
        "round_trips": len(profiled.trips),
        "round_trip_ms": wire * 1000,
        "round_trip_kinds": profiled.kinds(),
        "profiled_ms": total * 1000,
        "breakdown_ms": breakdown,
    }
