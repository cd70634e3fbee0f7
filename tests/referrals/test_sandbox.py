"""Test clients: their referrals go to the sandbox center whatever center they name,
and move through every step on their own; no real center ever sees them, and real
clients cannot send to the sandbox."""

from __future__ import annotations

from datetime import timedelta

from core.db import db
from core.oauth.clients import ClientSpec, Owner, register_client
from referrals.sandbox import advance_sandbox_cases
from tenants.services import centers
from tenants.services.sandbox import SANDBOX_MEDIATOR, SANDBOX_SLUG
from tests.factories import PartnerFactory, TenantFactory
from tests.mediator_api import assert_problem
from tests.oauth import Registered, bearer, client_credentials_token
from tests.referrals.helpers import PARTNER_SCOPES, center_token, partner_token, referral_body

BASE = "/api/v1/referrals"
LIFECYCLE = ["acknowledged", "accepted", "assigned", "scheduled", "concluded", "closed"]


def sandbox_token(app, partner_id) -> dict[str, str]:
    spec = ClientSpec(
        "Integration tests", True, ["client_credentials"], PARTNER_SCOPES.split(), sandbox=True
    )
    client, secret = register_client(Owner("partner", partner_id), spec, None)
    db.session.commit()
    return bearer(
        client_credentials_token(app.test_client(), Registered(client, secret), PARTNER_SCOPES)
    )


def test_a_test_client_s_case_goes_to_the_sandbox_and_moves_on_its_own(app, client, clock):
    real_center, partner = TenantFactory(), PartnerFactory()
    headers = sandbox_token(app, partner.id)
    sent = client.post(BASE, json=referral_body(real_center), headers=headers)
    assert sent.status_code == 201, sent.json
    assert sent.json["center"]["slug"] == SANDBOX_SLUG
    assert (
        client.get("/api/v1/center/referrals", headers=center_token(app, real_center.id)).json[
            "items"
        ]
        == []
    )

    seen = []
    for _step in LIFECYCLE:
        assert advance_sandbox_cases() == 0  # not before its time
        clock.advance(timedelta(seconds=app.config["SANDBOX_STEP_SECONDS"] + 1))
        assert advance_sandbox_cases() == 1
        headers = sandbox_token(app, partner.id)  # tokens live 15 minutes
        seen.append(client.get(f"{BASE}/{sent.json['id']}", headers=headers).json)
    assert [case["status"] for case in seen] == LIFECYCLE
    assert seen[-1]["mediator"]["name"] == SANDBOX_MEDIATOR
    assert seen[-1]["outcome"] == "agreement"
    events = client.get(f"{BASE}/{sent.json['id']}/events", headers=headers).json["items"]
    assert [e["status"] for e in events] == ["submitted", *LIFECYCLE]
    clock.advance(timedelta(hours=1))
    assert advance_sandbox_cases() == 0  # a closed case stays closed


def test_real_clients_cannot_send_to_the_sandbox_which_no_one_is_offered(app, client):
    headers = partner_token(app, PartnerFactory().id)
    sandbox_token(app, PartnerFactory().id)  # makes the sandbox center exist
    with_slug = referral_body(TenantFactory(), center=SANDBOX_SLUG)
    assert (
        "center"
        in assert_problem(client.post(BASE, json=with_slug, headers=headers), 422)["errors"]["json"]
    )
    assert SANDBOX_SLUG not in [c.slug for c in centers.referral_centers()]
    assert client.get(f"/marketplace/centers/{SANDBOX_SLUG}").status_code == 404


def test_the_workers_advance_the_sandbox_on_their_own(app):
    periodic = app.extensions["periodic_jobs"]["sandbox-cases"]
    assert periodic.func is advance_sandbox_cases
    assert periodic.interval_key == "SANDBOX_STEP_SECONDS"
