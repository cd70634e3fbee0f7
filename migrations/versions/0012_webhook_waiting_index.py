"""The webhook relay's index: the waiting messages only, oldest first, in place of an
index of every message's `relayed_at` (which the relay could not read in order).

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("relayed_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("webhook_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_messages_relayed_at")
        batch_op.create_index(
            "ix_webhook_messages_waiting",
            ["created_at"],
            unique=False,
            postgresql_where=WAITING,
            sqlite_where=WAITING,
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_messages_waiting")
        batch_op.create_index("ix_webhook_messages_relayed_at", ["relayed_at"], unique=False)
