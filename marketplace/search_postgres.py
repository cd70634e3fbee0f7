"""The production search engine: PostgreSQL full-text search, trigram names, and the
page and every facet count in one statement.

Text: the query is parsed as a web search (`websearch_to_tsquery`) in the French,
English and `simple` configurations, without accents (`unaccent`), and matched against
the stored `search_vector` (GIN); names also match by trigram word similarity
(`pg_trgm`, GIN), which finds a misspelled surname.

Cost, measured by bench/marketplace.py (100,000 profiles): a common word matches tens
of thousands of rows, so the statement reads as few rows as it can, each through the
indexes: the hits (text AND every facet, the GIN bitmaps combined, as a bare query
would) are read once, ranked, paged and counted for the facets with no selection; a
facet with a selection is counted over its own index scan (text AND the other facets),
which is what disjunctive counts need. The rank uses `ts_rank` (frequencies; the cover
density of `ts_rank_cd` cost a third more for no visible gain in order) and only for a
relevance sort. The tsquery is built once per statement (a scalar subquery:
`unaccent` and the cast to regconfig are STABLE, so written inline they would be
evaluated again for every row).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    func,
    literal,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, REGCONFIG

from core.db import db
from marketplace.models import MediatorListing
from marketplace.search import SearchQuery
from marketplace.vocabulary import COMPLIANT, FACETS

CONFIGURATIONS = ("french", "english", "simple")
# Array facets: facet -> column; `&&` is "has any of the selected values".
ARRAYS = {
    "specialty": "specialties",
    "language": "languages",
    "region": "regions",
    "mode": "modes",
    "center": "center_slugs",
}
listing = MediatorListing.__table__


def _tsquery(q: str) -> ColumnElement:
    parts = [
        func.websearch_to_tsquery(cast(literal(name), REGCONFIG), func.unaccent(q))
        for name in CONFIGURATIONS
    ]
    return parts[0].op("||")(parts[1]).op("||")(parts[2])


def _text(q: str) -> tuple[ColumnElement, ColumnElement]:
    """(tsquery, folded query), each computed once per statement."""
    return (
        select(_tsquery(q)).scalar_subquery(),
        select(func.lower(func.unaccent(q))).scalar_subquery(),
    )


def _text_and_price(query: SearchQuery) -> list[ColumnElement]:
    conditions: list[ColumnElement] = []
    if query.q:
        tsquery, folded = _text(query.q)
        conditions.append(
            listing.c.search_vector.op("@@", return_type=Boolean)(tsquery)
            | listing.c.name_folded.op("%>", return_type=Boolean)(folded)
        )
    if query.price_min is not None:
        conditions.append(listing.c.price_from_eur >= query.price_min)
    if query.price_max is not None:
        conditions.append(listing.c.price_from_eur <= query.price_max)
    return conditions


def _condition(facet: str, values: tuple[str, ...]) -> ColumnElement:
    if facet in ARRAYS:
        column = listing.c[ARRAYS[facet]]
        return column.op("&&", return_type=Boolean)(cast(list(values), ARRAY(String(64))))
    if facet == "price":
        return listing.c.price_band.in_(values)
    return listing.c.compliant.is_(True)  # the `compliant` facet has one value


def _where(query: SearchQuery, skip: str | None = None) -> ColumnElement:
    facets = [_condition(f, v) for f, v in query.filters.items() if f != skip]
    return and_(true(), *_text_and_price(query), *facets)


def _rank(query: SearchQuery) -> ColumnElement:
    if not (query.q and query.sort == "relevance"):
        return literal(0.0)
    tsquery, folded = _text(query.q)
    return func.ts_rank(listing.c.search_vector, tsquery) + func.word_similarity(
        folded, listing.c.name_folded
    )


def _hits(query: SearchQuery) -> Any:
    """The rows passing every filter: facet columns and rank only."""
    columns = [
        listing.c[name]
        for name in ("profile_id", "name_folded", "price_from_eur", "price_band", "compliant")
    ]
    columns += [listing.c[column] for column in ARRAYS.values()]
    found = select(*columns, _rank(query).label("rank")).where(_where(query))
    return found.cte("hits").prefix_with("MATERIALIZED")


def _count(hits: Any, facet: str, query: SearchQuery) -> Select:
    """A facet's disjunctive counts: over the hits when nothing is selected in it,
    else over its own scan of the text matches with every other filter."""
    if facet in query.filters:
        source, where = listing, _where(query, skip=facet)
    else:
        source, where = hits, true()
    if facet in ARRAYS:
        values = func.unnest(source.c[ARRAYS[facet]]).table_valued("v").render_derived()
        return (
            select(literal(facet), cast(values.c.v, String), func.count())
            .select_from(source.join(values, true()))
            .where(where)
            .group_by(values.c.v)
        )
    if facet == "price":
        return (
            select(literal("price"), source.c.price_band, func.count())
            .where(source.c.price_band.is_not(None), where)
            .group_by(source.c.price_band)
        )
    return select(literal("compliant"), literal(COMPLIANT), func.count()).where(
        source.c.compliant.is_(True), where
    )


def _page(hits: Any, query: SearchQuery) -> Select:
    """The page of hits in order, each with its position."""
    order = [hits.c.name_folded, hits.c.profile_id]
    if query.sort == "price":
        order.insert(0, hits.c.price_from_eur.asc().nulls_last())
    elif query.sort == "relevance":
        order[:0] = [hits.c.rank.desc(), hits.c.compliant.desc()]
    return (
        select(
            literal("hit"),
            cast(hits.c.profile_id, String),
            func.row_number().over(order_by=order),
        )
        .order_by(*order)
        .limit(query.limit)
        .offset(query.offset)
        .subquery("page")
    )


def statement(query: SearchQuery) -> Select:
    """One statement: the page (with each hit's position), the total, every count."""
    hits = _hits(query)
    parts = [
        select(_page(hits, query)),
        select(literal("total"), literal(""), func.count()).select_from(hits),
        *(_count(hits, facet, query) for facet in FACETS),
    ]
    return union_all(*parts)


# The word similarity a name needs to match a query: pg_trgm's default, 0.6, misses
# "Lefebvre" for "Lefèvre" (0.55); "Dupond" for "Dupont" is 0.71. No JIT: for a common
# word the statement's estimated cost passes jit_above_cost, and compiling it took
# 200 ms and more (JIT "Emission"), more than it saves on a few thousand rows. The
# region and center counts' sorts spilled to disk at the default 4 MB of work_mem.
# One round trip, transaction-local (SET LOCAL).
SETTINGS = text(
    "SELECT set_config('pg_trgm.word_similarity_threshold', '0.5', true), "
    "set_config('jit', 'off', true), set_config('work_mem', '16MB', true)"
)


def run(query: SearchQuery) -> tuple[int, list[uuid.UUID], dict[str, dict[str, int]]]:
    db.session.execute(SETTINGS)
    total = 0
    hits: list[tuple[int, uuid.UUID]] = []
    counts: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
    for kind, value, number in db.session.execute(statement(query)):
        if kind == "hit":
            hits.append((number, uuid.UUID(value)))
        elif kind == "total":
            total = number
        else:
            counts[kind][value] = number
    hits.sort()
    return total, [profile_id for _n, profile_id in hits], counts
