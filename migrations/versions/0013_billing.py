"""Platform billing: one billing account per center (its Stripe customer and
subscription), the Stripe events already processed, the mirror of Stripe's subscription
invoices, and the overage billed per period. Global tables keyed by the center's id,
read and written only through core.billing.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    op.create_table(
        "billing_accounts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_subscription_id", sa.String(length=255), nullable=True),
        sa.Column("plan_code", sa.String(length=40), nullable=True),
        sa.Column("interval", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("seats_billed", sa.Integer(), nullable=False),
        sa.Column("current_period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("past_due_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dunning_stage", sa.String(length=30), nullable=True),
        sa.Column("overage_cap_cents", sa.Integer(), nullable=True),
        sa.Column("card_brand", sa.String(length=30), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_billing_accounts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_accounts")),
        sa.UniqueConstraint(
            "stripe_customer_id", name=op.f("uq_billing_accounts_stripe_customer_id")
        ),
        sa.UniqueConstraint(
            "stripe_subscription_id", name=op.f("uq_billing_accounts_stripe_subscription_id")
        ),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_billing_accounts_tenant_id")),
    )
    op.create_table(
        "billing_invoices",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("stripe_invoice_id", sa.String(length=255), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_cents", sa.Integer(), nullable=False),
        sa.Column("tax_cents", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("amount_paid_cents", sa.Integer(), nullable=False),
        sa.Column("hosted_invoice_url", sa.String(length=2000), nullable=True),
        sa.Column("invoice_pdf", sa.String(length=2000), nullable=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_billing_invoices_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_invoices")),
        sa.UniqueConstraint(
            "stripe_invoice_id", name=op.f("uq_billing_invoices_stripe_invoice_id")
        ),
    )
    with op.batch_alter_table("billing_invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_invoices_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "billing_overage_charges",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("referrals_received", sa.Integer(), nullable=False),
        sa.Column("referrals_included", sa.Integer(), nullable=False),
        sa.Column("billed_quantity", sa.Integer(), nullable=False),
        sa.Column("unit_amount_cents", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("capped", sa.Boolean(), nullable=False),
        sa.Column("stripe_invoice_item_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_billing_overage_charges_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_overage_charges")),
        sa.UniqueConstraint(
            "tenant_id",
            "period_start",
            name=op.f("uq_billing_overage_charges_tenant_id_period_start"),
        ),
    )
    with op.batch_alter_table("billing_overage_charges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_overage_charges_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("billing_overage_charges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_overage_charges_tenant_id"))

    op.drop_table("billing_overage_charges")
    with op.batch_alter_table("billing_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_invoices_tenant_id"))

    op.drop_table("billing_invoices")
    op.drop_table("billing_accounts")
    op.drop_table("stripe_events")
