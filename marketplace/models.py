"""The public search tables: global, public fields only (DESIGN.md section 3).

Anonymous requests read only these tables, so they need no tenant scope and cannot
reach a private field by construction. `marketplace.indexing` is their only writer.

Facet columns are text arrays on PostgreSQL (GIN-indexed, `&&` for "any of") and JSON
lists on SQLite; `search_vector` is PostgreSQL's full-text document (unused on SQLite,
where the `marketplace_mediators_fts` FTS5 table stands in for it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


def text_list() -> Any:
    return JSON().with_variant(postgresql.ARRAY(String(64)), "postgresql")


def search_document() -> Any:
    return Text().with_variant(postgresql.TSVECTOR(), "postgresql")


class MediatorListing(Base):
    """One published mediator, as the public sees them."""

    __tablename__ = "marketplace_mediators"
    __table_args__ = (
        Index(
            "ix_marketplace_mediators_search_vector",
            "search_vector",
            postgresql_using="gin",
        ),
        Index("ix_marketplace_mediators_languages", "languages", postgresql_using="gin"),
        Index("ix_marketplace_mediators_specialties", "specialties", postgresql_using="gin"),
        Index("ix_marketplace_mediators_regions", "regions", postgresql_using="gin"),
        Index("ix_marketplace_mediators_center_slugs", "center_slugs", postgresql_using="gin"),
        # Fuzzy names (`<%`, word similarity) on PostgreSQL; a plain index on SQLite.
        Index(
            "ix_marketplace_mediators_name_trigrams",
            "name_folded",
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        ),
    )

    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mediator_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    # Lower-cased, accents removed: the name sort and PostgreSQL's trigram matching.
    name_folded: Mapped[str] = mapped_column(String(120), index=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    bio_fr: Mapped[str] = mapped_column(Text, default="")
    bio_en: Mapped[str] = mapped_column(Text, default="")
    has_photo: Mapped[bool] = mapped_column(default=False)
    languages: Mapped[list[str]] = mapped_column(text_list(), default=list)
    specialties: Mapped[list[str]] = mapped_column(text_list(), default=list)
    regions: Mapped[list[str]] = mapped_column(text_list(), default=list)
    modes: Mapped[list[str]] = mapped_column(text_list(), default=list)
    center_slugs: Mapped[list[str]] = mapped_column(text_list(), default=list)
    # [{"slug", "name", "city"}] of the centers that publish the mediator.
    centers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"scheme_code", "scheme_name", "issuing_body", "valid_until"}]: verified and
    # compliant certifications only (core.credentials.standing).
    badges: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    compliant: Mapped[bool] = mapped_column(default=False, index=True)
    # [{"kind", "name"}]: court of appeal lists and bars (no numbers).
    registrations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rate_min_eur: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    rate_max_eur: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    # The lowest published offer of their centers (incl. VAT), else their own minimum.
    price_from_eur: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), index=True)
    price_band: Mapped[str | None] = mapped_column(String(16), index=True)
    # Searchable words not in the columns above: specialty labels in French and
    # English, the centers' names and cities (FTS5 on SQLite; part of search_vector).
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_vector: Mapped[str | None] = mapped_column(search_document())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def id(self) -> uuid.UUID:
        return self.profile_id


class CenterListing(Base):
    """One published center: its presentation and published offers."""

    __tablename__ = "marketplace_centers"

    center_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True)
    city: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    country: Mapped[str] = mapped_column(String(2), default="FR")
    presentation_fr: Mapped[str] = mapped_column(Text, default="")
    presentation_en: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    service_area: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # tenants.storefront_models.public_offer() of each published offer, in order.
    offers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    mediator_count: Mapped[int] = mapped_column(default=0)
    price_from_eur: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def id(self) -> uuid.UUID:
        return self.center_id
