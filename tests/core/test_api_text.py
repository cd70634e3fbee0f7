"""Text holding a NUL character, which PostgreSQL cannot store, is refused by every API
schema (422 naming the field), in a body and in a query, never a 500."""

from __future__ import annotations

from tests.factories import PartnerFactory, TenantFactory
from tests.mediator_api import assert_problem
from tests.referrals.helpers import center_token, partner_token, referral_body


def test_a_nul_character_is_refused_field_by_field(app, client):
    center = TenantFactory()
    as_center = center_token(app, center.id, "mediators:write referrals:read")
    body = {"email": "jean.dupont@example.org", "display_name": "Jean\x00Dupont"}
    refused = client.post("/api/v1/center/mediators", json=body, headers=as_center)
    assert "display_name" in assert_problem(refused, 422)["errors"]["json"]

    as_partner = partner_token(app, PartnerFactory().id)
    parties = [{"name": "A\x00", "role": "claimant"}]
    refused = client.post(
        "/api/v1/referrals", json=referral_body(center, parties=parties), headers=as_partner
    )
    assert "parties" in assert_problem(refused, 422)["errors"]["json"]
    listed = client.get("/api/v1/center/referrals?cursor=%00", headers=as_center)
    assert "cursor" in assert_problem(listed, 422)["errors"]["query"]
