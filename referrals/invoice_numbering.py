"""Gapless invoice numbers per center (French law: a continuous, unbroken sequence).

The counter is one row per center, locked (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite
serialises writers anyway) and moved inside the transaction that inserts the invoice:
two creations queue on the row, and a creation that fails rolls its number back with
everything else, so no number is ever skipped or given twice. A database sequence would
not do: its values are not returned on rollback.
"""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select, update

from core.db import db
from referrals.fee_models import InvoiceSequence


def _ensure_counter(tenant_id: uuid.UUID) -> None:
    """Create the center's counter row if it is missing, racing safely with others."""
    statement = insert(InvoiceSequence).values(id=uuid.uuid4(), tenant_id=tenant_id, last_number=0)
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = (
            pg_insert(InvoiceSequence)
            .values(id=uuid.uuid4(), tenant_id=tenant_id, last_number=0)
            .on_conflict_do_nothing(index_elements=["tenant_id"])
        )
    else:
        statement = statement.prefix_with("OR IGNORE")
    db.session.execute(statement)


def take_number(tenant_id: uuid.UUID) -> int:
    """The center's next number, reserved until the caller's transaction ends (commit
    keeps it, rollback gives it back). Call it right before inserting the invoice."""
    _ensure_counter(tenant_id)
    current = db.session.execute(
        select(InvoiceSequence.last_number)
        .where(InvoiceSequence.tenant_id == tenant_id)
        .with_for_update()
    ).scalar_one()
    number = current + 1
    db.session.execute(
        update(InvoiceSequence)
        .where(InvoiceSequence.tenant_id == tenant_id)
        .values(last_number=number)
        .execution_options(synchronize_session=False)
    )
    return number
