"""EXPLAIN (ANALYZE, BUFFERS) of the marketplace search, as the app runs it, and of the
baseline's statement, for `bench/marketplace.py --explain`.

The app's statements are captured while the real `marketplace.search.search` answers
the query in an app context (a `before_cursor_execute` listener), then explained in the
same transaction, so the search's `SET LOCAL` and the role switch still hold.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from sqlalchemy import event

from bench import marketplace_baseline as baseline


def _plan(rows: list[tuple[Any, ...]]) -> str:
    return "\n".join(f"    {row[0]}" for row in rows)


def explain_app(app: Any, search: dict[str, str]) -> list[str]:
    """The app's SQL for one search, each statement with its plan and timings."""
    from core.db import db
    from marketplace.search import checked_query
    from marketplace.search import search as run_search

    found: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if "marketplace_mediators" in statement:
            found.append((statement, parameters))

    out = []
    with app.app_context():
        engine = db.engine
        query = checked_query(
            q=search["q"],
            filters={"language": [search["language"]], "specialty": [search["specialty"]]},
        )
        started = time.perf_counter()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            result = run_search(query)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        out.append(
            f"search({search}) in-process: {(time.perf_counter() - started) * 1000:.1f} ms, "
            f"total {result.total:,}, {len(result.items)} items"
        )
        connection = db.session.connection()
        for statement, parameters in found:
            rows = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
            ).fetchall()
            out.append(f"  statement ({len(statement):,} characters):\n{_plan(rows)}")
        db.session.rollback()
    return out


def explain_baseline(libpq_url: str, search: dict[str, str]) -> list[str]:
    params = {"q": search["q"], "language": [search["language"]]}
    params["specialty"] = [search["specialty"]]
    with psycopg.connect(libpq_url, prepare_threshold=None) as conn:
        baseline.apply_settings(conn)
        rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + baseline.QUERY, params).fetchall()
    return [f"baseline({search}):\n{_plan(rows)}"]


def explain(config: dict[str, Any], libpq_url: str, searches: list[dict[str, str]]) -> str:
    from core.app import create_app
    from core.db import db

    app = create_app(config)
    lines = []
    for search in searches:
        explain_app(app, search)  # once to warm the caches, as a running server has them
        lines += explain_app(app, search)
        lines += explain_baseline(libpq_url, search)
    db.dispose(app)
    return "\n".join(lines)
