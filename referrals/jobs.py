"""Housekeeping of the referral tables (declared in core.jobs.RECURRING at start-up).

An `Idempotency-Key` is honoured 24 hours (referrals.idempotency); its record is then
only an answer nobody may ask for again, deleted the next night. Deleting by a date
cut-off only, so running it twice is harmless.
"""

from __future__ import annotations

from sqlalchemy import delete

from core.clock import now
from core.db import db
from core.jobs import RECURRING, Recurring, job
from referrals.idempotency import KEPT
from referrals.models import IdempotencyRecord

PURGE = Recurring("referrals.jobs.purge_idempotency_records", cron="53 3 * * *")


@job("default")
def purge_idempotency_records() -> int:
    """Delete the idempotency records older than the 24 hours they are honoured."""
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now() - KEPT)
    )
    return result.rowcount


def init_app() -> None:
    if PURGE not in RECURRING:
        RECURRING.append(PURGE)
