"""The consent page lets its form lead back to the client, and nowhere else."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from core.oauth.clients import ClientSpec, check_spec
from tests.factories import PartnerFactory, UserFactory
from tests.oauth import pkce_pair, register
from tests.tenants.helpers import sign_in


def _form_action(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(d for d in policy.split("; ") if d.startswith("form-action"))


def test_the_consent_page_lets_its_form_lead_to_the_client_only(app, client):
    registered = register(
        "partner",
        PartnerFactory().id,
        redirect_uris=["https://app.example.org:8443/callback"],
        scopes=["profile"],
        grant_types=["authorization_code"],
    )
    sign_in(client, UserFactory())
    _verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": "https://app.example.org:8443/callback",
        "scope": "profile",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = client.get("/oauth/authorize", query_string=query)
    assert page.status_code == 200
    # Browsers hold the answer's redirect to form-action: 'self' alone would block it.
    assert _form_action(page) == "form-action 'self' https://app.example.org:8443"
    # Every other page keeps the strict policy.
    assert _form_action(client.get("/account/settings")) == "form-action 'self'"


@pytest.mark.parametrize(
    "uri",
    [
        "https://user:pw@app.example.org/cb",  # user info
        "https://app.example.org;script-src */cb",  # a directive smuggled into the CSP
        "https://app.example.org:99999999/cb",
        "https://app example.org/cb",
    ],
)
def test_redirect_uris_whose_host_is_not_a_plain_name_are_refused(app, uri):
    spec = ClientSpec("App", True, ["authorization_code"], ["profile"], [uri])
    with app.test_request_context(), force_locale("en"):
        assert "redirect_uris" in check_spec("partner", spec)
