"""Housekeeping jobs: old sessions and tokens are deleted, recent ones kept; idempotent."""

from __future__ import annotations

import importlib
from datetime import timedelta

from sqlalchemy import select

from core import jobs
from core.accounts.jobs import purge_expired_sessions, purge_used_tokens
from core.accounts.models import AccountToken, UserSession
from core.clock import now
from core.db import db
from tests.factories import AccountTokenFactory, UserFactory, UserSessionFactory

DAY = timedelta(days=1)


def test_purge_expired_sessions_keeps_thirty_days_of_history(app):
    user = UserFactory()
    at = now()

    def session(label: str, created, ended=None):
        return UserSessionFactory(
            user=user, created_at=created, last_seen_at=created, ended_at=ended, user_agent=label
        )

    session("ended-31-days-ago", at - 40 * DAY, at - 31 * DAY)
    session("ended-29-days-ago", at - 30 * DAY, at - 29 * DAY)
    session("timed-out-31-days-ago", at - 31 * DAY - timedelta(hours=13))
    session("timed-out-29-days-ago", at - 29 * DAY - timedelta(hours=13))
    session("active", at - timedelta(hours=1))

    assert purge_expired_sessions() == 2
    assert purge_expired_sessions() == 0  # idempotent
    db.session.expire_all()
    kept = set(db.session.scalars(select(UserSession.user_agent)))
    assert kept == {"ended-29-days-ago", "timed-out-29-days-ago", "active"}


def test_purge_used_tokens_keeps_seven_days_of_history(app):
    user = UserFactory()
    at = now()

    def token(label: str, expires, used=None):
        return AccountTokenFactory(user=user, purpose=label, expires_at=expires, used_at=used)

    token("used-8-days", at + DAY, at - 8 * DAY)
    token("used-6-days", at - 5 * DAY, at - 6 * DAY)
    token("expired-8-days", at - 8 * DAY)
    token("expired-6-days", at - 6 * DAY)
    token("valid", at + DAY)

    assert purge_used_tokens() == 2
    assert purge_used_tokens() == 0
    db.session.expire_all()
    kept = set(db.session.scalars(select(AccountToken.purpose)))
    assert kept == {"used-6-days", "expired-6-days", "valid"}


def test_the_recurring_declarations_point_at_these_jobs(app):
    declared = {r.func for r in jobs.RECURRING if r.func.startswith("core.accounts.jobs.")}
    for path in declared:
        module, name = path.rsplit(".", 1)
        job = getattr(importlib.import_module(module), name)
        assert job.queue_name == "default" and callable(job.delay)
    assert declared == {
        "core.accounts.jobs.purge_expired_sessions",
        "core.accounts.jobs.purge_used_tokens",
    }
