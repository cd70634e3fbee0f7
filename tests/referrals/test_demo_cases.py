"""The demo referrals: each demo partner's cases in every state, with real timelines,
seeded once whatever the runs, and readable over the API with the printed client."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from core.db import db
from core.tenancy import platform_scope
from referrals.demo import PARTNERS
from referrals.demo_cases import CASES
from referrals.models import Partner, Referral, ReferralEvent
from tests.oauth import bearer
from tests.referrals.helpers import seed_demo

STATES = ["submitted", "accepted", "scheduled", "closed", "declined", "cancelled"]


def statuses_by_partner() -> dict[str, Counter]:
    db.session.expire_all()
    with platform_scope("test: the demo referrals"):
        rows = db.session.execute(
            select(Partner.slug, Referral.status).join(Partner, Partner.id == Referral.partner_id)
        ).all()
    db.session.rollback()
    found: dict[str, Counter] = {}
    for slug, status in rows:
        found.setdefault(slug, Counter())[status.value] += 1
    return found


def test_each_demo_partner_has_cases_in_every_state_once(app, instance):
    seed_demo(app, instance)
    seed_demo(app, instance)  # a second run adds nothing
    found = statuses_by_partner()
    assert set(found) == {slug for slug, *_rest in PARTNERS}
    for counts in found.values():
        assert sorted(counts.elements()) == sorted(STATES)
        assert sum(counts.values()) == len(CASES)
    with platform_scope("test: a demo timeline"):
        closed = db.session.scalar(select(Referral).where(Referral.status == "closed").limit(1))
        kinds = db.session.scalars(
            select(ReferralEvent.kind)
            .where(ReferralEvent.referral_id == closed.id)
            .order_by(ReferralEvent.position)
        ).all()
    assert kinds == ["created", "accept", "assign", "record_outcome", "close"]


def test_the_printed_demo_client_reads_its_partner_s_referrals(app, client, instance):
    entry = seed_demo(app, instance)[0]
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "referrals:read"},
        auth=(entry["client_id"], entry["client_secret"]),
    ).json["access_token"]
    listed = client.get("/api/v1/referrals", headers=bearer(token)).json["items"]
    assert sorted(i["status"] for i in listed) == sorted(STATES)
    assert all(i["reference"].endswith("-1") for i in listed)
