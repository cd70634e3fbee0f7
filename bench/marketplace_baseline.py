"""The marketplace benchmark's bare baseline: one Flask endpoint, the search's raw SQL.

    GET /search?q=<words>&language=<code>&specialty=<code>

runs one statement: the text match of `marketplace.search_postgres` with the language
and specialty filters (any of the values, as the search does), ranked as it ranks,
LIMIT 20, no facet counts, and answers the rows' public fields (those the API shows)
as JSON. Nothing else: no session, no scope,
no role switch, no rate limit, no ORM. It reads the same public table through the same
driver (psycopg 3, `prepare_threshold=None` as core/db.py sets it, so PostgreSQL plans
each statement for its values), one connection per worker process, kept open, as the
app's pool keeps one per sync worker. Served by gunicorn with the app's settings
(bench/marketplace.py starts both).

Environment: BASELINE_DATABASE_URL, a libpq URL (postgresql://user@host:port/db).
"""

from __future__ import annotations

import os

import psycopg
from flask import Flask, jsonify, request
from psycopg.rows import dict_row

# The text match and rank of marketplace.search_postgres: the query in the French,
# English and `simple` configurations without accents, or a name by trigram word
# similarity (threshold 0.5, as the search sets it); ranked the same way.
TSQUERY = (
    "websearch_to_tsquery('french', unaccent(%(q)s)) "
    "|| websearch_to_tsquery('english', unaccent(%(q)s)) "
    "|| websearch_to_tsquery('simple', unaccent(%(q)s))"
)
MATCH = "(m.search_vector @@ s.tsquery OR m.name_folded %%> s.folded)"
RANK = "ts_rank(m.search_vector, s.tsquery) + word_similarity(s.folded, m.name_folded)"
QUERY = f"""
SELECT m.profile_id, m.slug, m.display_name, m.title, m.bio_fr, m.bio_en, m.languages,
       m.specialties, m.regions, m.modes, m.registrations, m.centers, m.badges,
       m.compliant, m.price_from_eur, m.has_photo
FROM marketplace_mediators m,
     (SELECT {TSQUERY} AS tsquery, lower(unaccent(%(q)s)) AS folded) s
WHERE {MATCH}
  AND m.languages && %(language)s::varchar(64)[]
  AND m.specialties && %(specialty)s::varchar(64)[]
ORDER BY {RANK} DESC, m.compliant DESC, m.name_folded, m.profile_id
LIMIT 20
"""  # noqa: S608 (constants only; the values are bound)
# The search's settings, so that the baseline is as fast as it can be (JIT compiling
# costs a common word's query more than it saves).
SETTINGS = ("SET pg_trgm.word_similarity_threshold = 0.5", "SET jit = off")


def apply_settings(conn: psycopg.Connection) -> None:
    for setting in SETTINGS:
        conn.execute(setting)


app = Flask(__name__)
_connection: list[psycopg.Connection] = []


def connection() -> psycopg.Connection:
    if not _connection or _connection[0].closed:
        _connection[:] = [
            psycopg.connect(
                os.environ["BASELINE_DATABASE_URL"],
                prepare_threshold=None,
                autocommit=True,
                row_factory=dict_row,
            )
        ]
        apply_settings(_connection[0])
    return _connection[0]


@app.get("/search")
def search():
    params = {
        "q": request.args.get("q", ""),
        "language": request.args.getlist("language"),
        "specialty": request.args.getlist("specialty"),
    }
    with connection().cursor() as cursor:
        cursor.execute(QUERY, params)
        rows = cursor.fetchall()
    return jsonify(items=rows, count=len(rows))


@app.get("/healthz")
def healthz():
    return jsonify(status="ok")
