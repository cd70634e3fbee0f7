"""The embedded search engine: SQLite FTS5 for the text, Python for facets and order.

The FTS5 table folds case and accents (`remove_diacritics 2`), and every word of the
query is matched as a prefix ("médiat" finds "Médiation", "mediations"), which stands
in for PostgreSQL's stemming and fuzzy names (DESIGN.md section 6). The embedded mode
serves a demo or a small center, so facets, counts and sorting are computed over the
matching rows' facet columns in Python rather than in SQL.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from core.db import db
from marketplace.models import MediatorListing
from marketplace.search import SearchQuery
from marketplace.vocabulary import COMPLIANT, FACETS, fold

MAX_TERMS = 12
FTS_MATCH = (
    "SELECT profile_id, bm25(marketplace_mediators_fts, 0.0, 10.0, 1.0) "
    "FROM marketplace_mediators_fts WHERE marketplace_mediators_fts MATCH :expression"
)
COLUMNS = {
    "specialty": "specialties",
    "language": "languages",
    "region": "regions",
    "mode": "modes",
    "center": "center_slugs",
}


def match_expression(q: str) -> str | None:
    """An FTS5 query: every word, as a quoted prefix, all required."""
    words = re.findall(r"\w+", fold(q))[:MAX_TERMS]
    return " ".join(f'"{word}"*' for word in words) or None


def _ranks(q: str) -> dict[uuid.UUID, float] | None:
    expression = match_expression(q)
    if expression is None:
        return None
    rows = db.session.execute(
        # bm25 is lower for better matches; a hit in the name weighs ten times more.
        text(FTS_MATCH),
        {"expression": expression},
    )
    return {uuid.UUID(hex=key): -score for key, score in rows}


def _values(row: Any, facet: str) -> list[str]:
    if facet == "price":
        return [row.price_band] if row.price_band else []
    if facet == "compliant":
        return [COMPLIANT] if row.compliant else []
    return list(getattr(row, COLUMNS[facet]) or [])


def _passes(row: Any, query: SearchQuery, skip: str | None = None) -> bool:
    for facet, chosen in query.filters.items():
        if facet != skip and not set(chosen) & set(_values(row, facet)):
            return False
    return True


def run(query: SearchQuery) -> tuple[int, list[uuid.UUID], dict[str, dict[str, int]]]:
    ranks = _ranks(query.q) if query.q else None
    if ranks is not None and not ranks:
        return 0, [], {}
    columns = [getattr(MediatorListing, c) for c in COLUMNS.values()]
    statement = select(
        MediatorListing.profile_id,
        MediatorListing.name_folded,
        MediatorListing.price_from_eur,
        MediatorListing.price_band,
        MediatorListing.compliant,
        *columns,
    )
    if ranks is not None:
        statement = statement.where(MediatorListing.profile_id.in_(list(ranks)))
    if query.price_min is not None:
        statement = statement.where(MediatorListing.price_from_eur >= query.price_min)
    if query.price_max is not None:
        statement = statement.where(MediatorListing.price_from_eur <= query.price_max)
    rows = list(db.session.execute(statement))

    counts: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        counter: Counter[str] = Counter()
        for row in rows:
            if _passes(row, query, skip=facet):
                counter.update(_values(row, facet))
        counts[facet] = dict(counter)
    hits = [row for row in rows if _passes(row, query)]
    hits.sort(key=_order(query, ranks or {}))
    page = hits[query.offset : query.offset + query.limit]
    return len(hits), [row.profile_id for row in page], counts


def _order(query: SearchQuery, ranks: dict[uuid.UUID, float]) -> Any:
    top = Decimal("Infinity")
    if query.sort == "price":
        return lambda r: (
            r.price_from_eur is None,
            r.price_from_eur or top,
            r.name_folded,
            str(r.profile_id),
        )
    if query.sort == "name":
        return lambda r: (r.name_folded, str(r.profile_id))
    # Relevance: the text score; without text, compliant mediators first, then by name.
    return lambda r: (
        -ranks.get(r.profile_id, 0.0),
        not r.compliant,
        r.name_folded,
        str(r.profile_id),
    )
