"""The demo partners' API clients: one per partner, seeded once whatever the runs, their
secret kept in instance/demo.json, and the printed credentials really reach the API."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import db
from core.oauth.models import OAuthClient
from core.oauth.scopes import organisation_scopes
from referrals.demo import DEMO_CLIENT_NAME, PARTNERS
from referrals.models import Partner
from tests.oauth import bearer
from tests.referrals.helpers import seed_demo


def clients_per_partner() -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Partner.slug, func.count(OAuthClient.id))
        .join(OAuthClient, OAuthClient.owner_id == Partner.id)
        .where(OAuthClient.owner_kind == "partner")
        .group_by(Partner.slug)
    )
    return dict(rows.all())


def reaches_the_api(client, entry: dict) -> None:
    answer = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(entry["client_id"], entry["client_secret"]),
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["scope"].split() == organisation_scopes("partner")
    response = client.get("/api/v1/organisation", headers=bearer(answer.json["access_token"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    partner = db.session.scalar(select(Partner).where(Partner.slug == entry["partner"]))
    assert response.json["organisation"]["kind"] == "partner"
    assert response.json["organisation"]["name"] == partner.name
    assert response.json["client"]["client_id"] == entry["client_id"]


def by_partner(entries: list[dict]) -> dict[str, tuple[str, str]]:
    return {e["partner"]: (e["client_id"], e["client_secret"]) for e in entries}


# One test: seeding hashes 38 passwords, the slow part.
def test_each_demo_partner_has_one_working_client_across_runs(app, client, instance):
    first = seed_demo(app, instance)
    slugs = {slug for slug, *_ in PARTNERS}
    assert {e["partner"] for e in first} == slugs and len(first) == len(slugs)
    assert all(e["scopes"] == organisation_scopes("partner") for e in first)
    assert all(e["client_secret"].startswith("mhs_") for e in first)
    names = db.session.scalars(select(OAuthClient.name).where(OAuthClient.owner_kind == "partner"))
    assert set(names) == {DEMO_CLIENT_NAME}
    for entry in first:
        reaches_the_api(client, entry)

    # A second run reuses the clients and the secrets kept in demo.json.
    second = seed_demo(app, instance)
    assert by_partner(second) == by_partner(first)
    assert clients_per_partner() == dict.fromkeys(slugs, 1)

    # demo.json lost: the same clients get a new secret, recorded and working.
    (instance / "demo.json").unlink()
    third = seed_demo(app, instance)
    assert {p: ids[0] for p, ids in by_partner(third).items()} == {
        p: ids[0] for p, ids in by_partner(first).items()
    }
    assert not set(e["client_secret"] for e in third) & set(e["client_secret"] for e in first)
    assert clients_per_partner() == dict.fromkeys(slugs, 1)
    for entry in third:
        reaches_the_api(client, entry)
