"""The OAuth housekeeping job keeps every row that can still be used or replayed."""

from __future__ import annotations

import importlib
from datetime import timedelta

from sqlalchemy import select

from core import jobs
from core.clock import now
from core.db import db
from core.oauth.jobs import purge_expired_grants
from core.oauth.models import AuthorizationCode, OAuthToken
from tests.factories import AuthorizationCodeFactory, OAuthClientFactory, OAuthTokenFactory


def test_purge_keeps_what_a_replay_or_a_refresh_can_still_reach(app):
    client = OAuthClientFactory()
    moment = now()

    def token(scope: str, access_ago: timedelta, refresh_left: timedelta | None) -> None:
        OAuthTokenFactory(
            client_pk=client.id,
            scope=scope,
            access_expires_at=moment - access_ago,
            refresh_expires_at=moment + refresh_left if refresh_left is not None else None,
        )

    token("client-credentials-2-days-ago", timedelta(days=2), None)
    token("client-credentials-live", timedelta(minutes=-10), None)
    token("client-credentials-an-hour-ago", timedelta(hours=1), None)
    # A rotated refresh token whose chain still lives: its reuse must still be caught.
    token("rotated-chain-alive", timedelta(days=20), timedelta(days=3))
    token("chain-ended-2-days-ago", timedelta(days=32), timedelta(days=-2))

    def code(label: str, expired_ago: timedelta) -> None:
        AuthorizationCodeFactory(client_pk=client.id, scope=label, expires_at=moment - expired_ago)

    # A used code's replay revokes its chain, which may live 30 days.
    code("code-29-days", timedelta(days=29))
    code("code-32-days", timedelta(days=32))

    assert purge_expired_grants() == 3
    assert purge_expired_grants() == 0  # idempotent
    db.session.expire_all()
    assert set(db.session.scalars(select(OAuthToken.scope))) == {
        "client-credentials-live",
        "client-credentials-an-hour-ago",
        "rotated-chain-alive",
    }
    assert set(db.session.scalars(select(AuthorizationCode.scope))) == {"code-29-days"}


def test_the_purge_is_a_declared_recurring_job(app):
    declared = [r for r in jobs.RECURRING if r.func == "core.oauth.jobs.purge_expired_grants"]
    assert len(declared) == 1 and declared[0].cron
    module, name = declared[0].func.rsplit(".", 1)
    job = getattr(importlib.import_module(module), name)
    assert job.queue_name == "default" and callable(job.delay)
