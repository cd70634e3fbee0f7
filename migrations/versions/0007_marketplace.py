"""The marketplace: centers' public pages, offers and inquiries (tenant-owned), and
the public search tables (global).

`center_profiles`, `offers` and `inquiries` get the fail-closed tenant policy of 0002
(PostgreSQL only), with no subject column. `marketplace_mediators` and
`marketplace_centers` hold public fields only and get no row-level security: anonymous
requests read them with no scope (DESIGN.md section 3).

Search: on PostgreSQL, `unaccent` and `pg_trgm` (trusted extensions: the database
owner may create them) back full-text and fuzzy-name matching; on SQLite an FTS5 table
with diacritics folding stands in (`marketplace_mediators_fts`, not in the models:
`marketplace.search_sqlite` reads and `marketplace.indexing` writes it).

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# As in 0002: an unset setting reads as '' on a pooled connection, hence NULLIF.
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
PLATFORM = "coalesce(current_setting('app.platform', true), '') = 'on'"
TENANT_TABLES = ("center_profiles", "offers", "inquiries")
FTS_TABLE = "marketplace_mediators_fts"
IN_ROW_COLUMNS = (
    "languages",
    "specialties",
    "regions",
    "modes",
    "center_slugs",
    "name_folded",
    "price_band",
)


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _is_postgres():
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "center_profiles",
        sa.Column("presentation_fr", sa.Text(), nullable=False),
        sa.Column("presentation_en", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=False),
        sa.Column("service_area", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("website", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("contact_phone", sa.String(length=30), nullable=False),
        sa.Column("require_compliance", sa.Boolean(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_center_profiles_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_profiles")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_center_profiles_tenant_id")),
    )
    with op.batch_alter_table("center_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_center_profiles_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "marketplace_centers",
        sa.Column("center_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_folded", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("presentation_fr", sa.Text(), nullable=False),
        sa.Column("presentation_en", sa.Text(), nullable=False),
        sa.Column("website", sa.String(length=200), nullable=False),
        sa.Column("service_area", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("offers", sa.JSON(), nullable=False),
        sa.Column("mediator_count", sa.Integer(), nullable=False),
        sa.Column("price_from_eur", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["center_id"],
            ["tenants.id"],
            name=op.f("fk_marketplace_centers_center_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("center_id", name=op.f("pk_marketplace_centers")),
        sa.UniqueConstraint("slug", name=op.f("uq_marketplace_centers_slug")),
    )
    with op.batch_alter_table("marketplace_centers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_marketplace_centers_name_folded"), ["name_folded"], unique=False
        )

    op.create_table(
        "offers",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "express",
                "standard",
                "long",
                "hybrid",
                name="offer_kind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("included", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("sessions", sa.Integer(), nullable=True),
        sa.Column("price_excl_vat", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("vat_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("price_incl_vat", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column(
            "pricing",
            sa.Enum("per_party", "shared", name="offer_pricing", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "mode",
            sa.Enum(
                "online", "in_person", "hybrid", name="offer_mode", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "duration_minutes IS NULL OR duration_minutes > 0", name=op.f("ck_offers_duration")
        ),
        sa.CheckConstraint("price_excl_vat >= 0", name=op.f("ck_offers_price_not_negative")),
        sa.CheckConstraint("price_incl_vat >= price_excl_vat", name=op.f("ck_offers_vat_included")),
        sa.CheckConstraint("sessions IS NULL OR sessions > 0", name=op.f("ck_offers_sessions")),
        sa.CheckConstraint(
            "vat_rate >= 0 AND vat_rate <= 100", name=op.f("ck_offers_vat_rate_range")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_offers_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offers_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "inquiries",
        sa.Column("profile_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new", "in_progress", "closed", name="inquiry_status", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("handled_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["users.id"],
            name=op.f("fk_inquiries_handled_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["mediator_profiles.id"],
            name=op.f("fk_inquiries_profile_id_mediator_profiles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_inquiries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiries")),
    )
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inquiries_profile_id"), ["profile_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inquiries_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "marketplace_mediators",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=160), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("name_folded", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("bio_fr", sa.Text(), nullable=False),
        sa.Column("bio_en", sa.Text(), nullable=False),
        sa.Column("has_photo", sa.Boolean(), nullable=False),
        sa.Column(
            "languages",
            sa.JSON().with_variant(postgresql.ARRAY(sa.String(length=64)), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "specialties",
            sa.JSON().with_variant(postgresql.ARRAY(sa.String(length=64)), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "regions",
            sa.JSON().with_variant(postgresql.ARRAY(sa.String(length=64)), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "modes",
            sa.JSON().with_variant(postgresql.ARRAY(sa.String(length=64)), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "center_slugs",
            sa.JSON().with_variant(postgresql.ARRAY(sa.String(length=64)), "postgresql"),
            nullable=False,
        ),
        sa.Column("centers", sa.JSON(), nullable=False),
        sa.Column("badges", sa.JSON(), nullable=False),
        sa.Column("compliant", sa.Boolean(), nullable=False),
        sa.Column("registrations", sa.JSON(), nullable=False),
        sa.Column("rate_min_eur", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("rate_max_eur", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("price_from_eur", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("price_band", sa.String(length=16), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column(
            "search_vector",
            sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"),
            nullable=True,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["mediator_profiles.id"],
            name=op.f("fk_marketplace_mediators_profile_id_mediator_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("profile_id", name=op.f("pk_marketplace_mediators")),
        sa.UniqueConstraint("slug", name=op.f("uq_marketplace_mediators_slug")),
    )
    with op.batch_alter_table("marketplace_mediators", schema=None) as batch_op:
        batch_op.create_index(
            "ix_marketplace_mediators_center_slugs",
            ["center_slugs"],
            unique=False,
            postgresql_using="gin",
        )
        batch_op.create_index(
            batch_op.f("ix_marketplace_mediators_compliant"), ["compliant"], unique=False
        )
        batch_op.create_index(
            "ix_marketplace_mediators_languages",
            ["languages"],
            unique=False,
            postgresql_using="gin",
        )
        batch_op.create_index(
            batch_op.f("ix_marketplace_mediators_name_folded"), ["name_folded"], unique=False
        )
        batch_op.create_index(
            "ix_marketplace_mediators_name_trigrams",
            ["name_folded"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        )
        batch_op.create_index(
            batch_op.f("ix_marketplace_mediators_price_band"), ["price_band"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_marketplace_mediators_price_from_eur"), ["price_from_eur"], unique=False
        )
        batch_op.create_index(
            "ix_marketplace_mediators_regions", ["regions"], unique=False, postgresql_using="gin"
        )
        batch_op.create_index(
            "ix_marketplace_mediators_search_vector",
            ["search_vector"],
            unique=False,
            postgresql_using="gin",
        )
        batch_op.create_index(
            "ix_marketplace_mediators_specialties",
            ["specialties"],
            unique=False,
            postgresql_using="gin",
        )

    if _is_postgres():
        # Bios, JSON and the search document go to TOAST past 256 bytes, so the heap
        # rows a search scans for facets stay narrow; the facet columns stay in the row.
        op.execute("ALTER TABLE marketplace_mediators SET (toast_tuple_target = 256)")
        op.execute(
            "ALTER TABLE marketplace_mediators "
            + ", ".join(f"ALTER COLUMN {c} SET STORAGE MAIN" for c in IN_ROW_COLUMNS)
        )
        for table in TENANT_TABLES:
            own_tenant = f"tenant_id = {TENANT}"
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY {table}_tenant_isolation ON {table} FOR ALL "
                f"USING ({own_tenant} OR {PLATFORM}) WITH CHECK ({own_tenant} OR {PLATFORM})"
            )
    else:
        # Accents and case folded (remove_diacritics 2); prefix queries need no index.
        op.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
            "profile_id UNINDEXED, name, body, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    if _is_postgres():
        for table in TENANT_TABLES:
            op.execute(f"DROP POLICY IF EXISTS {table}_tenant_isolation ON {table}")
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    else:
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    with op.batch_alter_table("marketplace_mediators", schema=None) as batch_op:
        batch_op.drop_index("ix_marketplace_mediators_specialties", postgresql_using="gin")
        batch_op.drop_index("ix_marketplace_mediators_search_vector", postgresql_using="gin")
        batch_op.drop_index("ix_marketplace_mediators_regions", postgresql_using="gin")
        batch_op.drop_index(batch_op.f("ix_marketplace_mediators_price_from_eur"))
        batch_op.drop_index(batch_op.f("ix_marketplace_mediators_price_band"))
        batch_op.drop_index(
            "ix_marketplace_mediators_name_trigrams",
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        )
        batch_op.drop_index(batch_op.f("ix_marketplace_mediators_name_folded"))
        batch_op.drop_index("ix_marketplace_mediators_languages", postgresql_using="gin")
        batch_op.drop_index(batch_op.f("ix_marketplace_mediators_compliant"))
        batch_op.drop_index("ix_marketplace_mediators_center_slugs", postgresql_using="gin")

    op.drop_table("marketplace_mediators")
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inquiries_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_inquiries_profile_id"))

    op.drop_table("inquiries")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offers_tenant_id"))

    op.drop_table("offers")
    with op.batch_alter_table("marketplace_centers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marketplace_centers_name_folded"))

    op.drop_table("marketplace_centers")
    with op.batch_alter_table("center_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_center_profiles_tenant_id"))

    op.drop_table("center_profiles")
