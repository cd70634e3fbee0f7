"""Housekeeping of account tables (declared as recurring jobs in core.jobs.RECURRING).

Ended sessions and used tokens are kept a while so a security review can still see
them, then deleted: they hold IPs and user agents (GDPR storage limitation). Both jobs
delete by a date cut-off only, so running them twice is harmless.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_

from core.accounts.models import AccountToken, UserSession
from core.clock import now
from core.db import db
from core.jobs import job

SESSION_RETENTION = timedelta(days=30)
TOKEN_RETENTION = timedelta(days=7)


@job("default")
def purge_expired_sessions() -> int:
    """Delete sessions ended, or past their absolute timeout, more than 30 days ago."""
    cutoff = now() - SESSION_RETENTION
    # A session never ended explicitly still stopped working at its absolute timeout.
    started_before = cutoff - current_app.config["SESSION_ABSOLUTE_TIMEOUT"]
    result = db.session.execute(
        delete(UserSession)
        .where(or_(UserSession.ended_at < cutoff, UserSession.created_at < started_before))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


@job("default")
def purge_used_tokens() -> int:
    """Delete emailed tokens used, or expired, more than 7 days ago."""
    cutoff = now() - TOKEN_RETENTION
    result = db.session.execute(
        delete(AccountToken)
        .where(or_(AccountToken.used_at < cutoff, AccountToken.expires_at < cutoff))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
