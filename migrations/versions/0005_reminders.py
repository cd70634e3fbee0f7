"""Reminders: the mediators' reminder emails, their opt-outs (global), and the
centers' weekly digest emails (tenant-owned).

Each email is a row recorded before it is sent and marked sent after (`sent_at`); the
unique constraints are what makes recording the same email twice impossible.
`reminders` and `reminder_opt_outs` are global, like the mediator's file (no RLS; the
services decide). `center_digests` gets the fail-closed tenant policy of 0002 and 0004
(PostgreSQL only), with no subject column.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0002: an unset setting reads as '' on a pooled connection, hence NULLIF.
TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
PLATFORM = "coalesce(current_setting('app.platform', true), '') = 'on'"
TENANT_TABLES = ("center_digests",)

REMINDER_KINDS = ("expiry_90", "expiry_30", "expiry_7", "hours_short", "center_digest")


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _kind() -> sa.Enum:
    return sa.Enum(*REMINDER_KINDS, name="reminder_kind", native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("kind", _kind(), nullable=False),
        sa.Column("certification_id", sa.Uuid(), nullable=False),
        sa.Column("occasion", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_reminders_certification_id_certifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reminders_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint(
            "kind",
            "certification_id",
            "occasion",
            "user_id",
            name=op.f("uq_reminders_kind_certification_id_occasion_user_id"),
        ),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reminders_certification_id"), ["certification_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reminders_user_id"), ["user_id"], unique=False)

    op.create_table(
        "reminder_opt_outs",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _kind(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reminder_opt_outs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_opt_outs")),
        sa.UniqueConstraint("user_id", "kind", name=op.f("uq_reminder_opt_outs_user_id_kind")),
    )

    op.create_table(
        "center_digests",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_center_digests_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_center_digests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_digests")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", "week", name=op.f("uq_center_digests_tenant_id_user_id_week")
        ),
    )
    with op.batch_alter_table("center_digests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_center_digests_tenant_id"), ["tenant_id"], unique=False
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

    with op.batch_alter_table("center_digests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_center_digests_tenant_id"))
    op.drop_table("center_digests")
    op.drop_table("reminder_opt_outs")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminders_user_id"))
        batch_op.drop_index(batch_op.f("ix_reminders_certification_id"))
    op.drop_table("reminders")
