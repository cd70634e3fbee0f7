"""Housekeeping of the OAuth tables (declared as a recurring job in core.jobs.RECURRING).

A row is kept as long as it can still matter: a used code while the tokens it gave may
live (its replay must still revoke them), a token row while its refresh chain may be
presented again (a rotated refresh token coming back revokes the chain). After that,
and one more day for a security review, it is deleted. The job deletes by date
cut-offs only, so running it twice is harmless.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from core.clock import now
from core.db import db
from core.jobs import job
from core.oauth.models import AuthorizationCode, OAuthToken
from core.oauth.server import REFRESH_FAMILY_LIFETIME

RETENTION = timedelta(days=1)


@job("default")
def purge_expired_grants() -> int:
    """Delete the codes and tokens that can no longer be used or replayed."""
    cutoff = now() - RETENTION
    codes = db.session.execute(
        delete(AuthorizationCode)
        .where(AuthorizationCode.expires_at < cutoff - REFRESH_FAMILY_LIFETIME)
        .execution_options(synchronize_session=False)
    )
    tokens = db.session.execute(
        delete(OAuthToken)
        .where(
            OAuthToken.access_expires_at < cutoff,
            or_(OAuthToken.refresh_expires_at.is_(None), OAuthToken.refresh_expires_at < cutoff),
        )
        .execution_options(synchronize_session=False)
    )
    return int(codes.rowcount or 0) + int(tokens.rowcount or 0)
