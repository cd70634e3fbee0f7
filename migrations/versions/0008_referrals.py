"""Referrals: the cases partners send to centers, their parties and timeline, and the
idempotency records of the API's writes.

`referrals`, `referral_parties` and `referral_events` are owned by the center a case was
sent to and readable by the partner that sent it: their policy (PostgreSQL only) is 0002's
fail-closed tenant policy plus, when no center is in scope, the rows whose `partner_id`
is the acting partner's (`app.partner_id`, DESIGN.md section 4). Writes need the center's
scope (or the platform's): a partner's cancellation is written in the case's center scope
by the service, after reading the case in its own. `idempotency_records` is global.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0002: an unset setting reads as '' on a pooled connection, hence NULLIF.
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
PARTNER = "NULLIF(current_setting('app.partner_id', true), '')::uuid"
PLATFORM = "coalesce(current_setting('app.platform', true), '') = 'on'"
TENANT_TABLES = ("referrals", "referral_parties", "referral_events")


def upgrade() -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint("client_id", "key", name=op.f("uq_idempotency_records_client_id_key")),
    )
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_records_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("dispute_type", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("amount_eur", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column(
            "urgency",
            sa.Enum("standard", "urgent", name="referral_urgency", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("preferred_mode", sa.String(length=20), nullable=True),
        sa.Column("preferred_profile_id", sa.Uuid(), nullable=True),
        sa.Column("parties_informed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contact_consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "acknowledged",
                "accepted",
                "declined",
                "cancelled",
                "assigned",
                "scheduled",
                "concluded",
                "closed",
                name="referral_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("decline_reason", sa.String(length=1000), nullable=True),
        sa.Column("mediator_profile_id", sa.Uuid(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "agreement",
                "partial_agreement",
                "no_agreement",
                "withdrawn",
                name="referral_outcome",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_referrals_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mediator_profile_id"],
            ["mediator_profiles.id"],
            name=op.f("fk_referrals_mediator_profile_id_mediator_profiles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_referrals_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["preferred_profile_id"],
            ["mediator_profiles.id"],
            name=op.f("fk_referrals_preferred_profile_id_mediator_profiles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_referrals_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referrals_mediator_profile_id"), ["mediator_profile_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referrals_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "referral_events",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "acknowledged",
                "accepted",
                "declined",
                "cancelled",
                "assigned",
                "scheduled",
                "concluded",
                "closed",
                name="referral_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=10), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_referral_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_referral_events_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_events_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_referral_events_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_events")),
    )
    with op.batch_alter_table("referral_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_events_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_events_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_events_referral_id"), ["referral_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_events_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "referral_parties",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_folded", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "claimant", "respondent", "other", name="party_role", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("lawyer", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_referral_parties_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_parties_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_referral_parties_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_parties")),
    )
    with op.batch_alter_table("referral_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_parties_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referral_parties_name_folded"), ["name_folded"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_parties_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_parties_referral_id"), ["referral_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referral_parties_tenant_id"), ["tenant_id"], unique=False
        )

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("accepts_referrals", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            own_tenant = f"tenant_id = {TENANT}"
            readable = (
                f"{own_tenant} OR {PLATFORM} OR ({TENANT} IS NULL AND partner_id = {PARTNER})"
            )
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY {table}_tenant_isolation ON {table} FOR ALL "
                f"USING ({readable}) WITH CHECK ({own_tenant} OR {PLATFORM})"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            op.execute(f"DROP POLICY IF EXISTS {table}_tenant_isolation ON {table}")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("accepts_referrals")

    with op.batch_alter_table("referral_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_parties_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_referral_parties_referral_id"))
        batch_op.drop_index(batch_op.f("ix_referral_parties_partner_id"))
        batch_op.drop_index(batch_op.f("ix_referral_parties_name_folded"))
        batch_op.drop_index(batch_op.f("ix_referral_parties_email"))

    op.drop_table("referral_parties")
    with op.batch_alter_table("referral_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_events_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_referral_events_referral_id"))
        batch_op.drop_index(batch_op.f("ix_referral_events_partner_id"))
        batch_op.drop_index(batch_op.f("ix_referral_events_created_at"))

    op.drop_table("referral_events")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_status"))
        batch_op.drop_index(batch_op.f("ix_referrals_partner_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_mediator_profile_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_created_at"))

    op.drop_table("referrals")
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_records_created_at"))

    op.drop_table("idempotency_records")
