"""Rate limits (core.ratelimit), with small limits set for the test through the
configuration read at create_app:

- the request past a limit gets 429 problem+json with `Retry-After` and the IETF
  `RateLimit` and `RateLimit-Policy` fields; requests within it are answered and, on
  the API, carry the fields too;
- the API counts per client: the tokens of one client share one counter, another
  client has its own; anonymous requests to a public route count per address;
- the token endpoint counts per client (however it authenticates) and per address.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories import PartnerFactory
from tests.oauth import (
    Registered,
    add_public_probe,
    bearer,
    client_credentials_token,
    register,
)

API_LIMIT = 3
ANONYMOUS_LIMIT = 2
TOKEN_LIMIT_PER_CLIENT = 3
TOKEN_LIMIT_PER_IP = 6
WINDOW = 60
ORGANISATION = "/api/v1/organisation"
FIELD = re.compile(r'^"(?P<name>[a-z_]+)";r=(?P<remaining>\d+);t=(?P<reset>\d+)$')


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {
        **app_config,
        "OAUTH_TOKEN_RATE_PER_CLIENT": (TOKEN_LIMIT_PER_CLIENT, WINDOW),
        "OAUTH_TOKEN_RATE_PER_IP": (TOKEN_LIMIT_PER_IP, WINDOW),
        "API_RATE_PER_CLIENT": (API_LIMIT, WINDOW),
        "API_RATE_ANONYMOUS": (ANONYMOUS_LIMIT, WINDOW),
    }


@pytest.fixture
def clients(app) -> tuple[Registered, Registered]:
    """Two clients of two partners."""
    return (
        register("partner", PartnerFactory().id, name="Integration A"),
        register("partner", PartnerFactory().id, name="Integration B"),
    )


def rate_limit(response: Any) -> dict[str, Any]:
    """The `RateLimit` field, parsed."""
    match = FIELD.match(response.headers.get("RateLimit", ""))
    assert match, f"no RateLimit field: {dict(response.headers)}"
    return {
        "name": match["name"],
        "remaining": int(match["remaining"]),
        "reset": int(match["reset"]),
    }


def assert_limited(response: Any, policy: str, limit: int) -> None:
    """A 429 problem+json with Retry-After and both RateLimit fields."""
    assert response.status_code == 429, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 429
    assert response.json["type"].endswith("/rate-limited")
    assert 1 <= int(response.headers["Retry-After"]) <= WINDOW
    assert response.headers["RateLimit-Policy"] == f'"{policy}";q={limit};w={WINDOW}'
    field = rate_limit(response)
    assert field["name"] == policy
    assert field["remaining"] == 0
    assert 0 <= field["reset"] <= WINDOW


def token_request(client: Any, registered: Registered, **environ: str) -> Any:
    return client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=registered.auth,
        environ_base=environ,
    )


# --- the API -----------------------------------------------------------------------------------


def test_the_api_request_past_the_limit_gets_429_with_retry_after_and_ratelimit(client, clients):
    token = client_credentials_token(client, clients[0])
    for remaining in range(API_LIMIT - 1, -1, -1):
        answer = client.get(ORGANISATION, headers=bearer(token))
        assert answer.status_code == 200
        assert rate_limit(answer)["remaining"] == remaining
        assert answer.headers["RateLimit-Policy"] == f'"api_per_client";q={API_LIMIT};w={WINDOW}'
        assert "Retry-After" not in answer.headers

    assert_limited(client.get(ORGANISATION, headers=bearer(token)), "api_per_client", API_LIMIT)


def test_the_api_counts_per_client(client, clients):
    first, second = clients
    a1 = client_credentials_token(client, first)
    a2 = client_credentials_token(client, first)
    b = client_credentials_token(client, second)
    for token in (a1, a2, a1):  # two tokens of one client share its counter
        assert client.get(ORGANISATION, headers=bearer(token)).status_code == 200

    assert_limited(client.get(ORGANISATION, headers=bearer(a2)), "api_per_client", API_LIMIT)
    # The other client, from the same address, has its own counter.
    for remaining in range(API_LIMIT - 1, -1, -1):
        answer = client.get(ORGANISATION, headers=bearer(b))
        assert answer.status_code == 200
        assert rate_limit(answer)["remaining"] == remaining
    assert_limited(client.get(ORGANISATION, headers=bearer(b)), "api_per_client", API_LIMIT)


@pytest.fixture
def public_route(app) -> str:
    return add_public_probe(app)


def test_anonymous_api_requests_count_per_address(client, clients, public_route):
    for remaining in range(ANONYMOUS_LIMIT - 1, -1, -1):
        answer = client.get(public_route)
        assert answer.status_code == 200
        assert rate_limit(answer)["name"] == "api_anonymous"
        assert rate_limit(answer)["remaining"] == remaining

    assert_limited(client.get(public_route), "api_anonymous", ANONYMOUS_LIMIT)
    other_address = client.get(public_route, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other_address.status_code == 200
    # A token counts against its client, not against the address.
    token = client_credentials_token(client, clients[0])
    with_token = client.get(public_route, headers=bearer(token))
    assert with_token.status_code == 200
    assert rate_limit(with_token)["name"] == "api_per_client"


# --- the token endpoint --------------------------------------------------------------------------


def test_the_token_endpoint_counts_per_client(client, clients):
    first, second = clients
    for _ in range(TOKEN_LIMIT_PER_CLIENT):
        assert token_request(client, first).status_code == 200

    limited = token_request(client, first)

    assert_limited(limited, "oauth_token_per_client", TOKEN_LIMIT_PER_CLIENT)
    assert "access_token" not in limited.json
    # However the client authenticates: client_secret_post names it in the body.
    as_post = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": first.client_id,
            "client_secret": first.secret,
        },
    )
    assert_limited(as_post, "oauth_token_per_client", TOKEN_LIMIT_PER_CLIENT)
    # The other client, from the same address, is still served.
    assert token_request(client, second).status_code == 200


def test_the_token_endpoint_counts_per_address(app, client):
    registered = [register("partner", PartnerFactory().id, name=f"App {n}") for n in range(4)]
    for n in range(TOKEN_LIMIT_PER_IP):  # two requests each from three clients
        assert token_request(client, registered[n % 3]).status_code == 200

    # A fourth client, fresh, from the same address: the address's limit applies.
    limited = token_request(client, registered[3])

    assert_limited(limited, "oauth_token_per_ip", TOKEN_LIMIT_PER_IP)
    # From another address, the same client is served.
    other = token_request(client, registered[3], REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200, other.get_data(as_text=True)
