"""The public marketplace API's schemas (marketplace.api): what a client may ask, and the
public listing it gets back. Every field answered comes from the public tables
(marketplace.models), never from a center's or a mediator's own rows.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from core.api import MAX_CURSOR, MAX_PAGE_SIZE, Schema
from core.credentials.models import MODES, SPECIALTIES
from marketplace.search import MAX_PRICE
from marketplace.vocabulary import (
    COMPLIANT,
    DEFAULT_PAGE,
    FACETS,
    MAX_QUERY,
    MAX_VALUES_PER_FACET,
    PRICE_BANDS,
    SORTS,
)

MAX_VALUE = 64  # characters of one facet value (a center's slug at most)
MAX_CENTER_QUERY = 100


class Values(fields.List):
    """A repeatable query parameter whose values may also be comma-separated:
    `specialty=family&specialty=civil` or `specialty=family,civil`."""

    def __init__(self, enum: list[str] | None = None, **kwargs: Any) -> None:
        value = fields.String(
            validate=validate.Length(max=MAX_VALUE),
            metadata={"enum": enum} if enum is not None else {},
        )
        super().__init__(value, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        raw = [value] if isinstance(value, str) else value
        if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
            raise self.make_error("invalid")
        split = [part.strip() for item in raw for part in item.split(",")]
        return super()._deserialize([p for p in split if p], attr, data, **kwargs)


def _facet(description: str, enum: list[str] | None = None) -> Values:
    metadata: dict[str, Any] = {
        "description": f"{description} Repeat the parameter or separate values with commas; "
        f"values of one filter are OR'd, filters are AND'd (at most {MAX_VALUES_PER_FACET}).",
    }
    return Values(
        enum,
        load_default=list,
        validate=validate.Length(max=MAX_VALUES_PER_FACET),
        metadata=metadata,
    )


class PageQuery(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_PAGE,
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={
            "description": f"Items per page, at most {MAX_PAGE_SIZE} (more is refused: 400)."
        },
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=MAX_CURSOR),
        metadata={"description": "The `next_cursor` of the previous page, as given (opaque)."},
    )


class MediatorSearchArgs(PageQuery):
    """The search: full text, facets, price, sort, page. Unknown parameters are refused."""

    q = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_QUERY),
        metadata={"description": "Words to find in names, bios, specialties, centers."},
    )
    specialty = _facet("Specialties.", list(SPECIALTIES))
    language = _facet("Languages spoken (ISO 639-1 codes).")
    region = _facet('Regions served: French departments ("FR-75") or countries ("BE").')
    mode = _facet("Ways of working.", list(MODES))
    price = _facet("Price bands (of `price_from_eur`).", [b.code for b in PRICE_BANDS])
    center = _facet("Centers, by slug.")
    compliant = _facet("Only mediators whose certifications are all in order.", [COMPLIANT])
    price_min = fields.Decimal(
        load_default=None,
        places=2,
        allow_nan=False,
        validate=validate.Range(min=0, max=int(MAX_PRICE)),
        # Bounds stated as numbers: apispec would write the Decimal field's as strings.
        metadata={
            "description": "Lowest `price_from_eur`, in euros incl. VAT.",
            "minimum": 0,
            "maximum": int(MAX_PRICE),
        },
    )
    price_max = fields.Decimal(
        load_default=None,
        places=2,
        allow_nan=False,
        validate=validate.Range(min=0, max=int(MAX_PRICE)),
        metadata={
            "description": "Highest `price_from_eur`, in euros incl. VAT.",
            "minimum": 0,
            "maximum": int(MAX_PRICE),
        },
    )
    sort = fields.String(
        load_default="relevance",
        validate=validate.OneOf(SORTS),
        metadata={"description": "relevance (the default), price (lowest first) or name."},
    )


class ListedCenterArgs(PageQuery):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_CENTER_QUERY),
        metadata={"description": "Part of the center's name (case and accents ignored)."},
    )


# --- answers ---------------------------------------------------------------------------------


class ListedTextsSchema(Schema):
    fr = fields.String()
    en = fields.String()


class ListedCenterRefSchema(Schema):
    slug = fields.String()
    name = fields.String()
    city = fields.String()
    url = fields.URL(metadata={"description": "The center's public page"})


class ListedBadgeSchema(Schema):
    scheme_code = fields.String()
    scheme_name = fields.String()
    issuing_body = fields.String(allow_none=True)
    valid_until = fields.String(allow_none=True, metadata={"format": "date"})


class ListedRegistrationSchema(Schema):
    kind = fields.String(metadata={"enum": ["court_of_appeal", "bar"]})
    name = fields.String()


class ListedMediatorSchema(Schema):
    id = fields.UUID(metadata={"description": "The mediator's profile id"})
    slug = fields.String()
    url = fields.URL(metadata={"description": "The mediator's public page"})
    display_name = fields.String()
    title = fields.String()
    bio = fields.Nested(ListedTextsSchema)
    languages = fields.List(fields.String())
    specialties = fields.List(fields.String())
    regions = fields.List(fields.String())
    modes = fields.List(fields.String())
    registrations = fields.List(fields.Nested(ListedRegistrationSchema))
    centers = fields.List(fields.Nested(ListedCenterRefSchema))
    badges = fields.List(
        fields.Nested(ListedBadgeSchema),
        metadata={"description": "Verified certifications in order, one per scheme"},
    )
    compliant = fields.Boolean()
    price_from_eur = fields.String(
        allow_none=True,
        metadata={"description": "Lowest published price incl. VAT (decimal string)"},
    )
    photo_url = fields.URL(allow_none=True)


class FacetValueSchema(Schema):
    value = fields.String()
    label = fields.String()
    count = fields.Integer(
        metadata={"description": "Results with this value added to the facet's selection"}
    )
    selected = fields.Boolean()


class ListedMediatorPageSchema(Schema):
    items = fields.List(fields.Nested(ListedMediatorSchema))
    total = fields.Integer(metadata={"description": "Results with every filter applied"})
    facets = fields.Dict(
        keys=fields.String(metadata={"enum": list(FACETS)}),
        values=fields.List(fields.Nested(FacetValueSchema)),
        metadata={"description": "Every facet; counts are disjunctive (see the description)"},
    )
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "The next page's `cursor`; null on the last"}
    )


class ListedOfferSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    included = fields.String()
    duration_minutes = fields.Integer(allow_none=True)
    sessions = fields.Integer(allow_none=True)
    price_excl_vat = fields.String(metadata={"description": "EUR, decimal string"})
    vat_rate = fields.String(metadata={"description": "Percent, decimal string"})
    price_incl_vat = fields.String(metadata={"description": "EUR, decimal string"})
    pricing = fields.String(metadata={"description": "per_party or shared"})
    mode = fields.String()
    steps = fields.List(fields.String())


class ListedCenterSummarySchema(Schema):
    id = fields.UUID()
    slug = fields.String()
    url = fields.URL(metadata={"description": "The center's public page"})
    name = fields.String()
    city = fields.String()
    languages = fields.List(fields.String())
    service_area = fields.List(fields.String())
    mediator_count = fields.Integer()
    price_from_eur = fields.String(allow_none=True)


class ListedCenterSchema(ListedCenterSummarySchema):
    address = fields.String()
    postal_code = fields.String()
    country = fields.String()
    website = fields.String()
    presentation = fields.Nested(ListedTextsSchema)
    offers = fields.List(fields.Nested(ListedOfferSchema))
    mediators_url = fields.URL(
        metadata={"description": "This API's search for the center's published mediators"}
    )


class ListedCenterPageSchema(Schema):
    items = fields.List(fields.Nested(ListedCenterSummarySchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "The next page's `cursor`; null on the last"}
    )
