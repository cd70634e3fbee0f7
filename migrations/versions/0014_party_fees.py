"""Party fees: each center's invoicing profile (its Stripe key encrypted), the fee quote
of a case, the party invoices and credit notes, and each center's gapless counter.

All four tables are tenant-owned, with 0002's fail-closed tenant policy (PostgreSQL):
partners read none of them.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0002: an unset setting reads as '' on a pooled connection, hence NULLIF.
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
PLATFORM = "coalesce(current_setting('app.platform', true), '') = 'on'"
TENANT_TABLES = ("center_billing_profiles", "fee_quotes", "invoice_sequences", "party_invoices")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def _tenant_column() -> sa.Column:
    return sa.Column("tenant_id", sa.Uuid(), nullable=False)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="CASCADE",
    )


def _tenant_index(table: str) -> None:
    op.create_index(op.f(f"ix_{table}_tenant_id"), table, ["tenant_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "center_billing_profiles",
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("vat_number", sa.String(length=20), nullable=False),
        sa.Column("legal_mentions", sa.String(length=1000), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=False),
        sa.Column("stripe_key_encrypted", sa.Text(), nullable=True),
        sa.Column("stripe_publishable_key", sa.String(length=200), nullable=False),
        sa.Column("stripe_account_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _tenant_column(),
        _tenant_fk("center_billing_profiles"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_billing_profiles")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_center_billing_profiles_tenant_id")),
    )
    _tenant_index("center_billing_profiles")

    op.create_table(
        "fee_quotes",
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("hourly_rate_cents", sa.Integer(), nullable=True),
        sa.Column("amount_excl_vat_cents", sa.Integer(), nullable=False),
        sa.Column("vat_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("split_mode", _enum("fee_split_mode", "equal", "custom"), nullable=False),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _tenant_column(),
        sa.CheckConstraint(
            "amount_excl_vat_cents >= 0", name=op.f("ck_fee_quotes_amount_not_negative")
        ),
        sa.CheckConstraint(
            "vat_rate >= 0 AND vat_rate <= 100", name=op.f("ck_fee_quotes_vat_rate_range")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offers.id"],
            name=op.f("fk_fee_quotes_offer_id_offers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_fee_quotes_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        _tenant_fk("fee_quotes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_quotes")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_fee_quotes_referral_id")),
    )
    _tenant_index("fee_quotes")

    op.create_table(
        "invoice_sequences",
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _tenant_column(),
        _tenant_fk("invoice_sequences"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_sequences")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_invoice_sequences_tenant_id")),
    )
    _tenant_index("invoice_sequences")

    op.create_table(
        "party_invoices",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("party_invoice_kind", "invoice", "credit_note"), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("corrects_id", sa.Uuid(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("seller", sa.JSON(), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=False),
        sa.Column("buyer_address", sa.String(length=200), nullable=False),
        sa.Column("buyer_postal_code", sa.String(length=10), nullable=False),
        sa.Column("buyer_city", sa.String(length=100), nullable=False),
        sa.Column("buyer_country", sa.String(length=2), nullable=False),
        sa.Column("buyer_email", sa.String(length=254), nullable=False),
        sa.Column("buyer_is_business", sa.Boolean(), nullable=False),
        sa.Column("buyer_siret", sa.String(length=14), nullable=False),
        sa.Column("buyer_vat_number", sa.String(length=20), nullable=False),
        sa.Column("reverse_charge", sa.Boolean(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("net_cents", sa.Integer(), nullable=False),
        sa.Column("vat_cents", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status", _enum("party_invoice_status", "issued", "paid", "credited"), nullable=False
        ),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "payment_method", _enum("party_payment_method", "card", "transfer"), nullable=True
        ),
        sa.Column("stripe_payment_intent_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_refund_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _tenant_column(),
        sa.CheckConstraint("number > 0", name=op.f("ck_party_invoices_number_positive")),
        sa.CheckConstraint(
            "total_cents = net_cents + vat_cents", name=op.f("ck_party_invoices_total_adds_up")
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["party_invoices.id"],
            name=op.f("fk_party_invoices_corrects_id_party_invoices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_party_invoices_referral_id_referrals"),
            ondelete="RESTRICT",
        ),
        _tenant_fk("party_invoices"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_invoices")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_party_invoices_tenant_id_number")),
    )
    op.create_index(
        op.f("ix_party_invoices_referral_id"), "party_invoices", ["referral_id"], unique=False
    )
    _tenant_index("party_invoices")

    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            own_tenant = f"tenant_id = {TENANT}"
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY {table}_tenant_isolation ON {table} FOR ALL "
                f"USING ({own_tenant} OR {PLATFORM}) WITH CHECK ({own_tenant} OR {PLATFORM})"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            op.execute(f"DROP POLICY IF EXISTS {table}_tenant_isolation ON {table}")
    op.drop_index(op.f("ix_party_invoices_tenant_id"), table_name="party_invoices")
    op.drop_index(op.f("ix_party_invoices_referral_id"), table_name="party_invoices")
    op.drop_table("party_invoices")
    for table in ("invoice_sequences", "fee_quotes", "center_billing_profiles"):
        op.drop_index(op.f(f"ix_{table}_tenant_id"), table_name=table)
        op.drop_table(table)
