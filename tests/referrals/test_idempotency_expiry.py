"""An Idempotency-Key is honoured 24 hours: after that the same key sends a new case,
and the nightly job deletes the old records (by date only, so twice is harmless)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.db import db
from referrals.jobs import PURGE, purge_idempotency_records
from referrals.models import IdempotencyRecord
from tests.factories import PartnerFactory, TenantFactory
from tests.oauth import bearer, client_credentials_token, register
from tests.referrals.helpers import PARTNER_SCOPES, referral_body

BASE = "/api/v1/referrals"


def keyed(app, key: str):
    """Headers with `key` and a fresh token of one client (tokens live 15 minutes)."""
    registered = register("partner", PartnerFactory().id, scopes=PARTNER_SCOPES.split())

    def headers() -> dict[str, str]:
        token = client_credentials_token(app.test_client(), registered, PARTNER_SCOPES)
        return {**bearer(token), "Idempotency-Key": key}

    return headers


def records() -> int:
    db.session.expire_all()
    found = db.session.scalar(select(func.count()).select_from(IdempotencyRecord))
    db.session.rollback()
    return found


def test_a_key_is_honoured_24_hours_then_purged(app, client, clock):
    center = TenantFactory()
    headers = keyed(app, "daily-1")
    first = client.post(BASE, json=referral_body(center), headers=headers())
    clock.advance(timedelta(hours=23, minutes=59))
    assert client.post(BASE, json=referral_body(center), headers=headers()).json == first.json

    clock.advance(timedelta(minutes=2))
    with app.app_context():
        assert purge_idempotency_records() == 1
        assert purge_idempotency_records() == 0
    assert records() == 0
    again = client.post(BASE, json=referral_body(center, reference="NEW"), headers=headers())
    assert again.status_code == 201 and again.json["id"] != first.json["id"]
    assert records() == 1


def test_an_expired_key_is_claimed_afresh_before_the_purge(app, client, clock):
    center = TenantFactory()
    headers = keyed(app, "daily-2")
    first = client.post(BASE, json=referral_body(center), headers=headers()).json
    clock.advance(timedelta(hours=25))
    again = client.post(BASE, json=referral_body(center, reference="OTHER"), headers=headers())
    assert again.status_code == 201 and again.json["id"] != first["id"]
    assert records() == 1


def test_the_purge_is_a_recurring_job(app):
    from core.jobs import RECURRING

    assert PURGE in RECURRING
