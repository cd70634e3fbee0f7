"""The marketplace's facets, price bands and text folding, shared by indexing, search,
pages and API so that a value means the same thing everywhere."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l

# Facet name (as in URLs and the API) -> what the search filters on.
FACETS: tuple[str, ...] = (
    "specialty",
    "language",
    "region",
    "mode",
    "price",
    "center",
    "compliant",
)
FACET_LABELS = {
    "specialty": _l("Specialty"),
    "language": _l("Language"),
    "region": _l("Region"),
    "mode": _l("Way of working"),
    "price": _l("Price"),
    "center": _l("Center"),
    "compliant": _l("Certification"),
}
SORTS: tuple[str, ...] = ("relevance", "price", "name")
COMPLIANT = "yes"  # the one value of the `compliant` facet

MAX_QUERY = 200  # characters of a full-text query
MAX_VALUES_PER_FACET = 20
MAX_OFFSET = 1000  # deep pages cost more than anyone reads: refine the search instead
DEFAULT_PAGE = 20


@dataclass(frozen=True)
class PriceBand:
    code: str
    low: Decimal  # included
    high: Decimal | None  # excluded; None: no upper bound
    label: object


PRICE_BANDS: tuple[PriceBand, ...] = (
    PriceBand("0-100", Decimal(0), Decimal(100), _l("Under €100")),
    PriceBand("100-250", Decimal(100), Decimal(250), _l("€100 to €250")),
    PriceBand("250-500", Decimal(250), Decimal(500), _l("€250 to €500")),
    PriceBand("500-plus", Decimal(500), None, _l("€500 and more")),
)
PRICE_BAND_CODES = frozenset(b.code for b in PRICE_BANDS)


def price_band(price: Decimal | None) -> str | None:
    if price is None:
        return None
    for band in PRICE_BANDS:
        if price >= band.low and (band.high is None or price < band.high):
            return band.code
    return None


def fold(text: str) -> str:
    """Lower case without accents: "Élodie" -> "elodie" (names, sorting, matching)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
