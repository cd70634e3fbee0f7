"""`/api/v1/marketplace/...`: the public marketplace over the API, for law firms,
associations and directories that show published mediators and centers.

Everything here reads the public tables only (marketplace.models): an unpublished,
suspended or non-consenting mediator, or an unpublished center, is missing (404), like
an id that never existed.

Access: anyone, without a token, counted per address against the anonymous API limit
(`API_RATE_ANONYMOUS`). A client that sends a token carrying `marketplace:read` is
counted against its own, higher limit (`API_RATE_PER_CLIENT`). A token without that
scope is refused (403 insufficient_scope) rather than served as anonymous: a client is
held to the scopes it was granted, as on every other route, and learns which it needs.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from flask_babel import get_locale
from sqlalchemy import and_, or_, select
from werkzeug.exceptions import BadRequest, NotFound

from core.accounts.services.links import public_url
from core.api import Blueprint, decode_cursor, encode_cursor
from core.db import db
from core.errors import problem
from core.oauth.resource import REALM, api_access, current_token
from marketplace.models import CenterListing, MediatorListing
from marketplace.schemas import (
    ListedCenterArgs,
    ListedCenterPageSchema,
    ListedCenterSchema,
    ListedMediatorPageSchema,
    ListedMediatorSchema,
    MediatorSearchArgs,
)
from marketplace.search import SearchInvalid, SearchResult, checked_query, search
from marketplace.views import facet_label
from marketplace.vocabulary import FACETS, MAX_OFFSET, fold

SCOPE = "marketplace:read"
DESCRIPTION = (
    "The public marketplace: published mediators (search with facets) and centers with "
    "their offers. No token needed: anonymous requests are counted per address against "
    "a low rate limit; a token carrying `marketplace:read` raises it to the client's. A "
    "token without that scope is refused with 403 (insufficient_scope). Facet counts "
    "are disjunctive: the count beside a value is the number of results the search "
    "would give with that value added to its facet's selection (the facet's own "
    "selection set aside, every other filter applied); `total` applies every filter."
)

blp = Blueprint(
    "marketplace_api", __name__, url_prefix="/api/v1/marketplace", description=DESCRIPTION
)

# Query parameters are as strict as bodies: an unknown one is refused, and every bad
# parameter answers 400 (not 422), as checked_query does for the vocabularies.
QUERY = {"location": "query", "unknown": "raise", "error_status_code": 400}
BAD_CURSOR = "The cursor is not valid: use a `next_cursor` as given."


def marketplace_access(view: Callable) -> Callable:
    """api_access(public) with `marketplace:read` required of a token that is sent."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        token = current_token()
        if token is not None and SCOPE not in token.scopes:
            return problem(
                403,
                "Forbidden",
                detail=f"A token sent to the marketplace must carry the scope '{SCOPE}'.",
                code="insufficient-scope",
                headers={
                    "WWW-Authenticate": f'Bearer realm="{REALM}", '
                    f'error="insufficient_scope", scope="{SCOPE}"'
                },
            )
        return view(*args, **kwargs)

    refused = {403: {"description": f"A token was sent without the scope '{SCOPE}'"}}
    return api_access(SCOPE, public=True)(Blueprint.doc(responses=refused)(checked))


# --- presenting ----------------------------------------------------------------------------


def _photo_url(row: MediatorListing) -> str | None:
    return public_url("marketplace.mediator_photo", slug=row.slug) if row.has_photo else None


def _price(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def center_ref(center: dict[str, Any]) -> dict[str, Any]:
    return {**center, "url": public_url("marketplace.center", slug=center["slug"])}


def mediator_view(row: MediatorListing) -> dict[str, Any]:
    return {
        "id": row.profile_id,
        "slug": row.slug,
        "url": public_url("marketplace.mediator", slug=row.slug),
        "display_name": row.display_name,
        "title": row.title,
        "bio": {"fr": row.bio_fr, "en": row.bio_en},
        "languages": row.languages,
        "specialties": row.specialties,
        "regions": row.regions,
        "modes": row.modes,
        "registrations": row.registrations,
        "centers": [center_ref(c) for c in row.centers or []],
        "badges": row.badges,
        "compliant": row.compliant,
        "price_from_eur": _price(row.price_from_eur),
        "photo_url": _photo_url(row),
    }


def center_view(row: CenterListing, *, full: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": row.center_id,
        "slug": row.slug,
        "url": public_url("marketplace.center", slug=row.slug),
        "name": row.name,
        "city": row.city,
        "languages": row.languages,
        "service_area": row.service_area,
        "mediator_count": row.mediator_count,
        "price_from_eur": _price(row.price_from_eur),
    }
    if full:
        found.update(
            address=row.address,
            postal_code=row.postal_code,
            country=row.country,
            website=row.website,
            presentation={"fr": row.presentation_fr, "en": row.presentation_en},
            offers=row.offers,
            mediators_url=public_url("marketplace_api.search_mediators", center=row.slug),
        )
    return found


def result_view(result: SearchResult) -> dict[str, Any]:
    after = result.next_offset
    return {
        "items": [mediator_view(row) for row in result.items],
        "total": result.total,
        "facets": {
            facet: [
                {
                    "value": v.value,
                    "label": facet_label(facet, v.value, result.center_names),
                    "count": v.count,
                    "selected": v.selected,
                }
                for v in result.facets.get(facet, [])
            ]
            for facet in FACETS
        },
        "next_cursor": None if after is None else encode_cursor(str(after)),
    }


def _offset(cursor: str | None) -> int:
    """The offset a search cursor holds; SearchInvalid (400, naming `cursor`) else."""
    if cursor is None:
        return 0
    try:
        (raw,) = decode_cursor(cursor, 1)
        offset = int(raw)
    except (BadRequest, ValueError):
        offset = -1
    if not 0 < offset <= MAX_OFFSET:
        raise SearchInvalid({"cursor": BAD_CURSOR})
    return offset


# --- centers ---------------------------------------------------------------------------------


def center_page(
    q: str, limit: int, cursor: str | None
) -> tuple[list[CenterListing], tuple[str, str] | None]:
    """A page of listed centers by name (case and accents folded), and the key of its
    last row when there is a next page."""
    statement = select(CenterListing).order_by(CenterListing.name_folded, CenterListing.center_id)
    if q.strip():
        statement = statement.where(
            CenterListing.name_folded.contains(fold(q.strip()), autoescape=True)
        )
    if cursor is not None:
        try:
            name, last = decode_cursor(cursor, 2)
            last_id = uuid.UUID(last)
        except (BadRequest, ValueError):
            raise SearchInvalid({"cursor": BAD_CURSOR}) from None
        statement = statement.where(
            or_(
                CenterListing.name_folded > name,
                and_(CenterListing.name_folded == name, CenterListing.center_id > last_id),
            )
        )
    rows = list(db.session.scalars(statement.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, (rows[-1].name_folded, str(rows[-1].center_id))


# --- routes ----------------------------------------------------------------------------------


@blp.route("/mediators", methods=["GET"])
@marketplace_access
@blp.arguments(MediatorSearchArgs, **QUERY)
@blp.response(200, ListedMediatorPageSchema)
def search_mediators(args: dict[str, Any]) -> Any:
    """Search the published mediators: full text, facets with counts, sort, pages."""
    query = checked_query(
        q=args["q"],
        filters={facet: args[facet] for facet in FACETS if args[facet]},
        price_min=None if args["price_min"] is None else str(args["price_min"]),
        price_max=None if args["price_max"] is None else str(args["price_max"]),
        sort=args["sort"],
        limit=args["limit"],
        offset=_offset(args["cursor"]),
    )
    body = result_view(search(query))
    return body, 200, {"Content-Language": str(get_locale()), "Vary": "Accept-Language"}


@blp.route("/mediators/<uuid:mediator_id>", methods=["GET"])
@marketplace_access
@blp.response(200, ListedMediatorSchema)
@blp.alt_response(404, description="No published mediator by that id")
def get_mediator(mediator_id: uuid.UUID) -> dict[str, Any]:
    """One published mediator."""
    row = db.session.get(MediatorListing, mediator_id)
    if row is None:
        raise NotFound("No published mediator by that id.")
    return mediator_view(row)


@blp.route("/centers", methods=["GET"])
@marketplace_access
@blp.arguments(ListedCenterArgs, **QUERY)
@blp.response(200, ListedCenterPageSchema)
def list_centers(args: dict[str, Any]) -> dict[str, Any]:
    """The published centers, by name."""
    rows, last = center_page(args["q"], args["limit"], args["cursor"])
    return {
        "items": [center_view(row) for row in rows],
        "next_cursor": None if last is None else encode_cursor(*last),
    }


@blp.route("/centers/<uuid:center_id>", methods=["GET"])
@marketplace_access
@blp.response(200, ListedCenterSchema)
@blp.alt_response(404, description="No published center by that id")
def get_center(center_id: uuid.UUID) -> dict[str, Any]:
    """One published center, with its published offers and their prices."""
    row = db.session.get(CenterListing, center_id)
    if row is None:
        raise NotFound("No published center by that id.")
    return center_view(row, full=True)
