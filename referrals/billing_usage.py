"""The referrals a center received, for core.billing's usage (registered at start-up:
core imports no domain). Every case sent to the center counts, whatever became of it;
the sandbox center's test cases are never billed (it has no billing account)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select

from core.billing import usage
from core.db import db
from core.tenancy import tenant_scope
from referrals.models import Referral


def referrals_received(tenant_id: uuid.UUID, start: datetime, end: datetime) -> int:
    """Referrals sent to the center in [start, end)."""
    with tenant_scope(tenant_id):
        return (
            db.session.scalar(
                select(func.count())
                .select_from(Referral)
                .where(
                    Referral.tenant_id == tenant_id,
                    Referral.created_at >= start,
                    Referral.created_at < end,
                )
            )
            or 0
        )


def register() -> None:
    usage.register_usage_provider(referrals_received)
