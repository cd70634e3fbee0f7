"""Issued credentials: one row per signed credential the platform hands out, so that
the status URL each credential names (/credentials/<id>/status) answers. Global, like
the mediator's file (no RLS): the row holds no personal data, only the credential's id,
its certification and its validity period; the status page computes the rest.

`certification_id` is SET NULL on delete: a credential whose certification was deleted
(with its profile) still resolves, and reads revoked.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issued_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("certification_id", sa.Uuid(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_issued_credentials_certification_id_certifications"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_credentials")),
    )
    with op.batch_alter_table("issued_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issued_credentials_certification_id"),
            ["certification_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("issued_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_credentials_certification_id"))
    op.drop_table("issued_credentials")
