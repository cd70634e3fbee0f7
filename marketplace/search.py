"""Searching the published mediators: one interface, two engines.

`checked_query(...)` turns what a visitor or client sent into a `SearchQuery`, refusing
anything outside the vocabularies with `SearchInvalid` (400, a message per parameter);
`search(query)` answers it from the public table only, with PostgreSQL's full-text
search (`marketplace.search_postgres`) or SQLite's FTS5 (`marketplace.search_sqlite`).

Facets are AND across facets and OR within one. A facet's counts are disjunctive: the
count beside a value is the number of results the search would give with that value
added to the facet's selection (the facet's own selection set aside, every other filter
applied), so that counts stay useful after a first click; `total` is the number of
results with every filter applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.credentials.models import MODES, SPECIALTIES
from core.credentials.profiles import languages, regions
from core.db import db
from core.errors import DomainError
from marketplace.models import CenterListing, MediatorListing
from marketplace.vocabulary import (
    COMPLIANT,
    DEFAULT_PAGE,
    FACETS,
    MAX_OFFSET,
    MAX_QUERY,
    MAX_VALUES_PER_FACET,
    PRICE_BAND_CODES,
    SORTS,
)

MAX_LIMIT = 100
# Values shown per facet (the most frequent, and every selected one): a facet over a
# thousand centers would otherwise list them all in every answer.
MAX_FACET_VALUES = 30
MAX_PRICE = Decimal("100000")


class SearchInvalid(DomainError):
    status = 400
    code = "invalid-search"

    def __init__(self, errors: dict[str, object]) -> None:
        super().__init__("; ".join(str(m) for m in errors.values()))
        self.errors = errors
        self.location = "query"


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    # facet -> the values selected (OR); only facets with a selection appear.
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    sort: str = "relevance"
    limit: int = DEFAULT_PAGE
    offset: int = 0

    def selected(self, facet: str) -> tuple[str, ...]:
        return self.filters.get(facet, ())


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass(frozen=True)
class SearchResult:
    query: SearchQuery
    total: int
    items: list[MediatorListing]
    # Every facet of FACETS: its MAX_FACET_VALUES most frequent values with a count > 0,
    # and every selected value, most frequent first.
    facets: dict[str, list[FacetValue]]
    # The names of the centers named in the `center` facet, by slug.
    center_names: dict[str, str]

    @property
    def next_offset(self) -> int | None:
        after = self.query.offset + len(self.items)
        return after if after < self.total and after <= MAX_OFFSET else None


def _allowed(facet: str) -> frozenset[str] | None:
    if facet == "specialty":
        return frozenset(SPECIALTIES)
    if facet == "language":
        return languages()
    if facet == "region":
        return regions()
    if facet == "mode":
        return frozenset(MODES)
    if facet == "price":
        return PRICE_BAND_CODES
    if facet == "compliant":
        return frozenset({COMPLIANT})
    return None  # center: checked against the listed centers


def _price(name: str, value: str | None, errors: dict[str, object]) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite() or not 0 <= price <= MAX_PRICE:
        errors[name] = _l("Give a price in euros between 0 and %(max)s.", max=MAX_PRICE)
        return None
    return price


def checked_query(
    *,
    q: str | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
    price_min: str | None = None,
    price_max: str | None = None,
    sort: str | None = None,
    limit: int | str | None = None,
    offset: int | str | None = None,
) -> SearchQuery:
    """A valid query from raw parameters, or SearchInvalid naming each bad one."""
    errors: dict[str, object] = {}
    text = (q or "").strip()
    if len(text) > MAX_QUERY:
        errors["q"] = _l("A search is at most %(max)s characters long.", max=MAX_QUERY)
    selected: dict[str, tuple[str, ...]] = {}
    for facet, raw in (filters or {}).items():
        if facet not in FACETS:
            errors[facet] = _l("Unknown filter.")
            continue
        values = tuple(dict.fromkeys(v.strip() for v in raw if v and v.strip()))
        if len(values) > MAX_VALUES_PER_FACET:
            errors[facet] = _l("At most %(max)s values per filter.", max=MAX_VALUES_PER_FACET)
            continue
        allowed = _allowed(facet)
        if allowed is None:
            allowed = _listed_center_slugs(values)
        unknown = [v for v in values if v not in allowed]
        if unknown:
            errors[facet] = _l("Unknown value: %(values)s.", values=", ".join(unknown[:3])[:80])
        elif values:
            selected[facet] = values
    low = _price("price_min", price_min, errors)
    high = _price("price_max", price_max, errors)
    if low is not None and high is not None and low > high:
        errors["price_max"] = _l("The highest price is below the lowest.")
    order = sort or "relevance"
    if order not in SORTS:
        errors["sort"] = _l("Sort by one of: %(sorts)s.", sorts=", ".join(SORTS))
    size = _integer("limit", limit, DEFAULT_PAGE, 1, MAX_LIMIT, errors)
    start = _integer("offset", offset, 0, 0, MAX_OFFSET, errors)
    if errors:
        raise SearchInvalid(errors)
    return SearchQuery(text, selected, low, high, order, size, start)


def _integer(
    name: str, value: int | str | None, default: int, low: int, high: int, errors: dict
) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        errors[name] = _l("Give a whole number from %(low)s to %(high)s.", low=low, high=high)
        return default
    return number


def _listed_center_slugs(slugs: Sequence[str]) -> frozenset[str]:
    if not slugs:
        return frozenset()
    query = select(CenterListing.slug).where(CenterListing.slug.in_(list(slugs)))
    return frozenset(db.session.scalars(query))


def center_names(slugs: Sequence[str]) -> dict[str, str]:
    if not slugs:
        return {}
    query = select(CenterListing.slug, CenterListing.name).where(
        CenterListing.slug.in_(list(slugs))
    )
    return {slug: name for slug, name in db.session.execute(query)}


def search(query: SearchQuery) -> SearchResult:
    """The page of published mediators matching `query`, with the facet counts."""
    if db.engine.dialect.name == "postgresql":
        from marketplace import search_postgres as engine
    else:
        from marketplace import search_sqlite as engine
    total, ids, counts = engine.run(query)
    rows = {
        row.profile_id: row
        for row in db.session.scalars(
            select(MediatorListing).where(MediatorListing.profile_id.in_(ids))
        )
    }
    facets = {facet: _facet_values(query, facet, counts.get(facet, {})) for facet in FACETS}
    slugs = [v.value for v in facets["center"]]
    return SearchResult(
        query, total, [rows[i] for i in ids if i in rows], facets, center_names(slugs)
    )


def _facet_values(query: SearchQuery, facet: str, counts: Mapping[str, int]) -> list[FacetValue]:
    chosen = set(query.selected(facet))
    values = {v: n for v, n in counts.items() if n > 0}
    for value in chosen:
        values.setdefault(value, 0)
    ordered = sorted(values.items(), key=lambda item: (-item[1], item[0]))
    shown = ordered[:MAX_FACET_VALUES] + [
        item for item in ordered[MAX_FACET_VALUES:] if item[0] in chosen
    ]
    return [FacetValue(value, count, value in chosen) for value, count in shown]
