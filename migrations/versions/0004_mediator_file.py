"""The mediator's file: profiles, training records, certification schemes and
certifications (global), and the centers' affiliations (tenant-owned).

The global tables get no row-level security: the app role reaches them through the
default privileges of 0002 and the services decide who reads what. `affiliations` gets
the fail-closed tenant policy of 0002 (PostgreSQL only), with no subject column: the
table holds a profile, not a user, so a mediator's own affiliations across centers are
not readable outside a tenant or platform scope (yet).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0002: an unset setting reads as '' on a pooled connection, hence NULLIF.
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
PLATFORM = "coalesce(current_setting('app.platform', true), '') = 'on'"
TENANT_TABLES = ("affiliations",)


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "certification_schemes",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("issuing_body", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_certification_schemes_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_schemes")),
        sa.UniqueConstraint("code", name=op.f("uq_certification_schemes_code")),
    )
    op.create_table(
        "mediator_profiles",
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("bio_fr", sa.Text(), nullable=False),
        sa.Column("bio_en", sa.Text(), nullable=False),
        sa.Column("photo_key", sa.String(length=64), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("specialties", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("modes", sa.JSON(), nullable=False),
        sa.Column("rate_min_eur", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("rate_max_eur", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("registrations", sa.JSON(), nullable=False),
        sa.Column("listed_publicly", sa.Boolean(), nullable=False),
        sa.Column("listed_publicly_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_tenant_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "rate_min_eur <= rate_max_eur", name=op.f("ck_mediator_profiles_rate_range")
        ),
        sa.CheckConstraint(
            "rate_min_eur >= 0 AND rate_max_eur >= 0",
            name=op.f("ck_mediator_profiles_rates_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_tenant_id"],
            ["tenants.id"],
            name=op.f("fk_mediator_profiles_created_by_tenant_id_tenants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_mediator_profiles_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediator_profiles")),
        sa.UniqueConstraint("photo_key", name=op.f("uq_mediator_profiles_photo_key")),
        sa.UniqueConstraint("user_id", name=op.f("uq_mediator_profiles_user_id")),
    )
    with op.batch_alter_table("mediator_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mediator_profiles_created_by_tenant_id"),
            ["created_by_tenant_id"],
            unique=False,
        )

    op.create_table(
        "affiliations",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "invited",
                "active",
                "suspended",
                "ended",
                name="affiliation_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("rate_eur", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("internal_notes", sa.Text(), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("rate_eur >= 0", name=op.f("ck_affiliations_rate_not_negative")),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["mediator_profiles.id"],
            name=op.f("fk_affiliations_profile_id_mediator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_affiliations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliations")),
        sa.UniqueConstraint(
            "tenant_id", "profile_id", name=op.f("uq_affiliations_tenant_id_profile_id")
        ),
    )
    with op.batch_alter_table("affiliations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_affiliations_profile_id"), ["profile_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_affiliations_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "certifications",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("scheme_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column(
            "stage",
            sa.Enum(
                "provisional",
                "definitive",
                name="certification_stage",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("evidence_key", sa.String(length=64), nullable=True),
        sa.Column("evidence_name", sa.String(length=200), nullable=True),
        sa.Column("evidence_content_type", sa.String(length=40), nullable=True),
        sa.Column("evidence_size", sa.Integer(), nullable=True),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column(
            "verification_status",
            sa.Enum(
                "pending",
                "verified",
                "rejected",
                name="verification_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("verification_reason", sa.Text(), nullable=True),
        sa.Column("verified_by_id", sa.Uuid(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_for_tenant_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "expires_on IS NULL OR expires_on >= issued_on",
            name=op.f("ck_certifications_dates_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["mediator_profiles.id"],
            name=op.f("fk_certifications_profile_id_mediator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["certification_schemes.id"],
            name=op.f("fk_certifications_scheme_id_certification_schemes"),
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"],
            ["users.id"],
            name=op.f("fk_certifications_verified_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["verified_for_tenant_id"],
            ["tenants.id"],
            name=op.f("fk_certifications_verified_for_tenant_id_tenants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
        sa.UniqueConstraint("evidence_key", name=op.f("uq_certifications_evidence_key")),
    )
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certifications_profile_id"), ["profile_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_certifications_scheme_id"), ["scheme_id"], unique=False
        )

    op.create_table(
        "training_records",
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "initial_training",
                "continuing_education",
                "supervision",
                "conference",
                "teaching",
                "mediations_conducted",
                name="training_kind",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("hours", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("mediations", sa.Integer(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("evidence_key", sa.String(length=64), nullable=True),
        sa.Column("evidence_name", sa.String(length=200), nullable=True),
        sa.Column("evidence_content_type", sa.String(length=40), nullable=True),
        sa.Column("evidence_size", sa.Integer(), nullable=True),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column(
            "verification_status",
            sa.Enum(
                "pending",
                "verified",
                "rejected",
                name="verification_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("verification_reason", sa.Text(), nullable=True),
        sa.Column("verified_by_id", sa.Uuid(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_for_tenant_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on",
            name=op.f("ck_training_records_dates_in_order"),
        ),
        sa.CheckConstraint("hours >= 0", name=op.f("ck_training_records_hours_not_negative")),
        sa.CheckConstraint(
            "mediations IS NULL OR mediations >= 0",
            name=op.f("ck_training_records_mediations_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["mediator_profiles.id"],
            name=op.f("fk_training_records_profile_id_mediator_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["verified_by_id"],
            ["users.id"],
            name=op.f("fk_training_records_verified_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["verified_for_tenant_id"],
            ["tenants.id"],
            name=op.f("fk_training_records_verified_for_tenant_id_tenants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_records")),
        sa.UniqueConstraint("evidence_key", name=op.f("uq_training_records_evidence_key")),
    )
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_records_profile_id"), ["profile_id"], unique=False
        )

    if _is_postgres():
        for table in TENANT_TABLES:
            own_tenant = f"tenant_id = {TENANT}"
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY {table}_tenant_isolation ON {table} FOR ALL "
                f"USING ({own_tenant} OR {PLATFORM}) WITH CHECK ({own_tenant} OR {PLATFORM})"
            )


def downgrade() -> None:
    if _is_postgres():
        for table in TENANT_TABLES:
            op.execute(f"DROP POLICY IF EXISTS {table}_tenant_isolation ON {table}")
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_records_profile_id"))

    op.drop_table("training_records")
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certifications_scheme_id"))
        batch_op.drop_index(batch_op.f("ix_certifications_profile_id"))

    op.drop_table("certifications")
    with op.batch_alter_table("affiliations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_affiliations_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_affiliations_profile_id"))

    op.drop_table("affiliations")
    with op.batch_alter_table("mediator_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mediator_profiles_created_by_tenant_id"))

    op.drop_table("mediator_profiles")
    op.drop_table("certification_schemes")
