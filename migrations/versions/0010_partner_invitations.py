"""Partner sign-up and invitations: a partner's status (pending until its administrator
verifies their email) and the invitations to join a partner organisation.

`partner_invitations` is global, like `partners` (a partner is not a tenant): every read
goes through its `partner_id`. The partners already there are live: the column is added
nullable, filled, then made NOT NULL.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTNER_STATUS = sa.Enum("pending", "active", name="partner_status", native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "partner_invitations",
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "referrer", name="partner_role", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["users.id"],
            name=op.f("fk_partner_invitations_accepted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_partner_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_invitations_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_partner_invitations_token_hash")),
    )
    with op.batch_alter_table("partner_invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_invitations_partner_id"), ["partner_id"], unique=False
        )

    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", PARTNER_STATUS, nullable=True))
    op.execute("UPDATE partners SET status = 'active'")
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=PARTNER_STATUS, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_column("status")

    with op.batch_alter_table("partner_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_invitations_partner_id"))

    op.drop_table("partner_invitations")
