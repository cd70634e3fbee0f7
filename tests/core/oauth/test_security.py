"""The authorization server's security properties (RFC 9700), each proved by a refusal
that names its status and its `error` code, and each against the real endpoints:

- redirect URIs compare as exact strings: a trailing slash, an extra query, another
  case, another port are refused at the authorization endpoint (an error page, never a
  redirect to the unverified URI) and at the token endpoint (invalid_grant);
- PKCE: S256 only (`plain` refused), a challenge is required, a verifier for a code
  issued without a challenge is refused, a wrong or missing verifier is refused;
- a code works once and for 10 minutes: a replay is refused and revokes the tokens the
  first use gave;
- refresh tokens rotate: a rotated one presented again is refused and revokes the
  whole family; a family lives 30 days whatever the rotations;
- access tokens are refused (401 invalid_token) when expired, tampered with, for
  another audience, signed by an unknown key, or revoked (within the 60 s of the
  revocation cache); a disabled client's tokens likewise;
- a client introspects and revokes only its own tokens;
- no implicit grant (`response_type=token`), no password grant.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from core.accounts.tokens import hash_token
from core.clock import now
from core.db import db
from core.oauth.clients import disable_client
from core.oauth.keys import ALGORITHM
from core.oauth.models import AuthorizationCode, OAuthToken
from core.oauth.tokens import JWT_TYPE, key_store
from tests.factories import AuthorizationCodeFactory, PartnerFactory, UserFactory
from tests.oauth import REDIRECT_URI, Registered, bearer, client_credentials_token, pkce_pair
from tests.oauth import register as register_client
from tests.tenants.helpers import sign_in

ORGANISATION = "/api/v1/organisation"
ME = "/api/v1/me"


@dataclass
class World:
    partner: Any
    person: Any
    app: Registered  # the client under test
    other: Registered  # another client of another partner


@pytest.fixture
def world(app, client) -> World:
    partner = PartnerFactory()
    person = UserFactory(locale="en")
    sign_in(client, person)
    return World(
        partner,
        person,
        register_client("partner", partner.id),
        register_client("partner", PartnerFactory().id, name="Another integration"),
    )


# --- helpers --------------------------------------------------------------------------------


def authorize_query(registered: Registered, **changes: str | None) -> dict[str, str]:
    """A valid authorization request, with `changes` (None drops a parameter)."""
    _verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "profile",
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    query.update(changes)
    return {k: v for k, v in query.items() if v is not None}


def allow(client: Any, query: dict[str, str]) -> Any:
    """The person allows the request on the consent page (what the form posts)."""
    return client.post(
        "/oauth/authorize",
        query_string=query,
        data={"csrf_token": client.csrf_token(), "decision": "allow"},
    )


def obtain_code(client: Any, registered: Registered) -> tuple[str, str]:
    """(code, verifier) through the consent page."""
    verifier, challenge = pkce_pair()
    query = authorize_query(registered, code_challenge=challenge)
    assert client.get("/oauth/authorize", query_string=query).status_code == 200
    answer = allow(client, query)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return redirected(answer)["code"], verifier


def redirected(answer: Any) -> dict[str, str]:
    """The parameters of a redirect to the client's registered URI."""
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    assert "#" not in location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def token_request(client: Any, registered: Registered, **data: str) -> Any:
    return client.post("/oauth/token", data=data, auth=registered.auth)


def redeem(client: Any, registered: Registered, code: str, verifier: str | None, **extra) -> Any:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier is not None:
        data["code_verifier"] = verifier
    return token_request(client, registered, **{**data, **extra})


def refresh(client: Any, registered: Registered, refresh_token: str) -> Any:
    return token_request(
        client, registered, grant_type="refresh_token", refresh_token=refresh_token
    )


def user_tokens(client: Any, registered: Registered) -> dict[str, Any]:
    code, verifier = obtain_code(client, registered)
    answer = redeem(client, registered, code, verifier)
    assert answer.status_code == 200, answer.json
    return answer.json


def assert_oauth_error(answer: Any, status: int, error: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.get_data(as_text=True))
    assert answer.mimetype == "application/json"
    assert answer.json["error"] == error, answer.json
    assert "access_token" not in answer.json


def assert_invalid_token(answer: Any) -> None:
    assert answer.status_code == 401, (answer.status_code, answer.get_data(as_text=True))
    assert answer.mimetype == "application/problem+json"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


def api(client: Any, path: str, token: str) -> Any:
    return client.get(path, headers=bearer(token))


def codes_issued() -> int:
    return db.session.scalar(select(func.count()).select_from(AuthorizationCode))


def tokens_issued() -> int:
    return db.session.scalar(select(func.count()).select_from(OAuthToken))


def introspect(client: Any, registered: Registered, token: str) -> dict[str, Any]:
    answer = client.post("/oauth/introspect", data={"token": token}, auth=registered.auth)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json


# --- JWT surgery ----------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a JWT, unverified."""
    header, payload, _signature = token.split(".")
    return json.loads(_unb64(header)), json.loads(_unb64(payload))


def sign(claims: dict[str, Any], key: RSAKey, kid: str | None = None) -> str:
    header = {"alg": ALGORITHM, "typ": JWT_TYPE, "kid": kid or key.kid}
    return jwt.encode(header, claims, key, algorithms=[ALGORITHM])


def real_key() -> RSAKey:
    return key_store().signing_key(now().timestamp())


# --- redirect URIs: exact string comparison --------------------------------------------------

REDIRECT_VARIANTS = {
    "trailing slash": REDIRECT_URI + "/",
    "extra query": REDIRECT_URI + "?next=%2Fhome",
    "other case in the path": REDIRECT_URI.replace("callback", "Callback"),
    "other case in the host": REDIRECT_URI.replace("app.example", "APP.example"),
    "other port": REDIRECT_URI.replace("app.example.org", "app.example.org:8443"),
    "explicit default port": REDIRECT_URI.replace("app.example.org", "app.example.org:443"),
    "other scheme": REDIRECT_URI.replace("https://", "http://"),
    "fragment": REDIRECT_URI + "#x",
}


@pytest.mark.parametrize("variant", REDIRECT_VARIANTS.values(), ids=REDIRECT_VARIANTS.keys())
def test_a_redirect_uri_variant_is_refused_at_the_authorization_endpoint(client, world, variant):
    query = authorize_query(world.app, redirect_uri=variant)

    page = client.get("/oauth/authorize", query_string=query)
    posted = allow(client, query)

    for answer in (page, posted):
        # RFC 6749 section 4.1.2.1: never redirect to an unverified URI; explain.
        assert answer.status_code == 400
        assert "Location" not in answer.headers
        assert answer.mimetype == "text/html"
        assert "redirect_uri" in answer.get_data(as_text=True)
    assert codes_issued() == 0
    # The registered URI itself is accepted: the variant is the only fault.
    valid = client.get("/oauth/authorize", query_string=authorize_query(world.app))
    assert valid.status_code == 200


@pytest.mark.parametrize(
    "variant",
    [*REDIRECT_VARIANTS.values(), None],
    ids=[*REDIRECT_VARIANTS.keys(), "missing"],
)
def test_a_redirect_uri_variant_is_refused_at_the_token_endpoint(client, world, variant):
    code, verifier = obtain_code(client, world.app)
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    if variant is not None:
        data["redirect_uri"] = variant

    answer = token_request(client, world.app, **data)

    assert_oauth_error(answer, 400, "invalid_grant")
    assert tokens_issued() == 0


# --- PKCE ------------------------------------------------------------------------------------


def _assert_refused_authorization(client: Any, query: dict[str, str], error: str) -> None:
    """The request is refused on the consent page and on its post, with `error` sent
    back to the (verified) redirect URI, the state echoed, and no code issued."""
    for answer in (client.get("/oauth/authorize", query_string=query), allow(client, query)):
        assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
        sent = redirected(answer)
        assert sent["error"] == error
        assert sent["state"] == query["state"]
        assert "code" not in sent
    assert codes_issued() == 0


def test_plain_pkce_is_refused(client, world):
    verifier = secrets.token_urlsafe(48)
    query = authorize_query(world.app, code_challenge=verifier, code_challenge_method="plain")
    _assert_refused_authorization(client, query, "invalid_request")


def test_a_missing_code_challenge_is_refused(client, world):
    query = authorize_query(world.app, code_challenge=None, code_challenge_method=None)
    _assert_refused_authorization(client, query, "invalid_request")


def test_a_challenge_without_its_method_is_refused(client, world):
    # RFC 7636 defaults a missing method to `plain`: it must be named, and be S256.
    query = authorize_query(world.app, code_challenge_method=None)
    _assert_refused_authorization(client, query, "invalid_request")


def _code_without_challenge(world: World) -> str:
    """A code issued without a PKCE challenge (the authorization endpoint no longer
    issues one: an older row, or another server's bug)."""
    code = secrets.token_urlsafe(32)
    AuthorizationCodeFactory(
        code_hash=hash_token(code),
        client_pk=world.app.client.id,
        user_id=world.person.id,
        redirect_uri=REDIRECT_URI,
        scope="profile",
        code_challenge=None,
        code_challenge_method=None,
    )
    return code


def test_a_verifier_for_a_code_issued_without_a_challenge_is_refused(client, world):
    # RFC 9700 section 4.8: a PKCE downgrade.
    code = _code_without_challenge(world)
    answer = redeem(client, world.app, code, pkce_pair()[0])
    assert_oauth_error(answer, 400, "invalid_request")
    assert tokens_issued() == 0


def test_a_code_issued_without_a_challenge_is_refused_without_a_verifier(client, world):
    # PKCE is required of confidential clients too.
    code = _code_without_challenge(world)
    answer = redeem(client, world.app, code, None)
    assert_oauth_error(answer, 400, "invalid_request")
    assert tokens_issued() == 0


def test_a_missing_verifier_is_refused(client, world):
    code, _verifier = obtain_code(client, world.app)
    assert_oauth_error(redeem(client, world.app, code, None), 400, "invalid_request")
    assert tokens_issued() == 0


def test_a_wrong_verifier_is_refused(client, world):
    code, _verifier = obtain_code(client, world.app)
    assert_oauth_error(redeem(client, world.app, code, pkce_pair()[0]), 400, "invalid_grant")
    assert tokens_issued() == 0


# --- authorization codes: once, for 10 minutes, to their client --------------------------------


def test_a_replayed_code_is_refused_and_revokes_the_tokens_of_its_first_use(client, world, clock):
    code, verifier = obtain_code(client, world.app)
    first = redeem(client, world.app, code, verifier)
    assert first.status_code == 200
    tokens = first.json
    assert api(client, ME, tokens["access_token"]).status_code == 200

    replay = redeem(client, world.app, code, verifier)

    assert_oauth_error(replay, 400, "invalid_grant")
    # The authorization server refuses them at once...
    assert introspect(client, world.app, tokens["access_token"]) == {"active": False}
    assert_oauth_error(refresh(client, world.app, tokens["refresh_token"]), 400, "invalid_grant")
    # ...and the API once its revocation cache has been re-read.
    clock.advance(timedelta(seconds=60))
    assert_invalid_token(api(client, ME, tokens["access_token"]))


def test_a_code_is_refused_after_10_minutes(client, world, clock):
    in_time, in_time_verifier = obtain_code(client, world.app)
    late, late_verifier = obtain_code(client, world.app)

    clock.advance(timedelta(minutes=10) - timedelta(seconds=1))
    assert redeem(client, world.app, in_time, in_time_verifier).status_code == 200
    clock.advance(timedelta(seconds=1))
    answer = redeem(client, world.app, late, late_verifier)

    assert_oauth_error(answer, 400, "invalid_grant")
    assert tokens_issued() == 1


def test_a_code_is_refused_to_another_client(client, world):
    other = register_client("partner", world.partner.id, name="A sibling integration")
    code, verifier = obtain_code(client, world.app)
    assert_oauth_error(redeem(client, other, code, verifier), 400, "invalid_grant")
    assert tokens_issued() == 0


# --- refresh tokens: rotation, reuse, family lifetime -------------------------------------------


def test_reusing_a_rotated_refresh_token_revokes_the_family(client, world, clock):
    first = user_tokens(client, world.app)
    rotated = refresh(client, world.app, first["refresh_token"])
    assert rotated.status_code == 200
    second = rotated.json
    assert second["refresh_token"] != first["refresh_token"]
    assert api(client, ME, second["access_token"]).status_code == 200

    reuse = refresh(client, world.app, first["refresh_token"])

    assert_oauth_error(reuse, 400, "invalid_grant")
    # The whole family goes: the newest refresh token and every access token.
    assert_oauth_error(refresh(client, world.app, second["refresh_token"]), 400, "invalid_grant")
    for token in (first["access_token"], second["access_token"], second["refresh_token"]):
        assert introspect(client, world.app, token) == {"active": False}
    clock.advance(timedelta(seconds=60))
    assert_invalid_token(api(client, ME, second["access_token"]))


def test_a_refresh_family_is_refused_after_30_days_whatever_the_rotations(client, world, clock):
    current = user_tokens(client, world.app)["refresh_token"]
    for _week in range(4):  # rotate weekly: each rotation keeps the family's end
        clock.advance(timedelta(days=7))
        answer = refresh(client, world.app, current)
        assert answer.status_code == 200, answer.json
        current = answer.json["refresh_token"]
    clock.advance(timedelta(days=2) - timedelta(seconds=1))
    last = refresh(client, world.app, current)
    assert last.status_code == 200, "refused before the 30 days"
    current = last.json["refresh_token"]

    clock.advance(timedelta(seconds=1))
    answer = refresh(client, world.app, current)

    assert_oauth_error(answer, 400, "invalid_grant")


def test_a_refresh_token_is_refused_to_another_client(client, world):
    tokens = user_tokens(client, world.app)
    sibling = register_client("partner", world.partner.id, name="A sibling integration")
    assert_oauth_error(refresh(client, sibling, tokens["refresh_token"]), 400, "invalid_grant")
    # Still good for its own client: the attempt did not use it up.
    assert refresh(client, world.app, tokens["refresh_token"]).status_code == 200


# --- access tokens refused by the API ------------------------------------------------------------


def test_an_expired_token_is_refused(client, world, clock):
    token = client_credentials_token(client, world.app)
    clock.advance(timedelta(seconds=899))
    assert api(client, ORGANISATION, token).status_code == 200

    clock.advance(timedelta(seconds=1))  # 15 minutes after it was issued

    assert_invalid_token(api(client, ORGANISATION, token))


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("scope", "referrals:read referrals:write webhooks:manage"),
        ("sub", "mhc_someone-else"),
        ("owner_id", "00000000-0000-4000-8000-000000000000"),
        ("exp", 4102444800),
    ],
    ids=["scope", "sub", "owner_id", "exp"],
)
def test_a_token_with_a_changed_claim_is_refused(client, world, claim, value):
    token = client_credentials_token(client, world.app, scope="referrals:read")
    assert api(client, ORGANISATION, token).status_code == 200
    header, payload, signature = token.split(".")
    claims = json.loads(_unb64(payload))
    assert claims[claim] != value
    claims[claim] = value
    tampered = ".".join([header, _b64(json.dumps(claims).encode()), signature])
    assert tampered != token and json.loads(_unb64(tampered.split(".")[1]))[claim] == value

    assert_invalid_token(api(client, ORGANISATION, tampered))


def test_a_token_for_another_audience_is_refused(client, world):
    _header, claims = parts(client_credentials_token(client, world.app))
    # The forging works: the same claims signed with the real key are accepted...
    assert api(client, ORGANISATION, sign(claims, real_key())).status_code == 200

    other = sign({**claims, "aud": "https://other-service.example.org/api"}, real_key())

    # ...the other audience alone is refused.
    assert_invalid_token(api(client, ORGANISATION, other))


def test_a_token_from_another_issuer_is_refused(client, world):
    _header, claims = parts(client_credentials_token(client, world.app))
    other = sign({**claims, "iss": "https://other-issuer.example.org"}, real_key())
    assert_invalid_token(api(client, ORGANISATION, other))


@pytest.mark.parametrize("kid", ["unknown", "the real kid"])
def test_a_token_signed_by_an_unknown_key_is_refused(client, world, kid):
    header, claims = parts(client_credentials_token(client, world.app))
    published = {k["kid"] for k in client.get("/.well-known/jwks.json").json["keys"]}
    assert header["kid"] in published
    foreign = RSAKey.generate_key(2048, parameters={"kid": secrets.token_urlsafe(12)})
    assert foreign.kid not in published

    forged = sign(claims, foreign, kid=foreign.kid if kid == "unknown" else header["kid"])

    assert_invalid_token(api(client, ORGANISATION, forged))


def test_a_token_of_another_type_is_refused(client, world):
    # RFC 9068 section 4: `typ` must be at+jwt (an ID token or other JWT signed by the
    # same key is no access token).
    _header, claims = parts(client_credentials_token(client, world.app))
    key = real_key()
    other = jwt.encode({"alg": ALGORITHM, "typ": "JWT", "kid": key.kid}, claims, key)
    assert_invalid_token(api(client, ORGANISATION, other))


def test_an_unsigned_token_is_refused(client, world):
    header, claims = parts(client_credentials_token(client, world.app))
    unsigned = ".".join(
        [
            _b64(json.dumps({**header, "alg": "none"}).encode()),
            _b64(json.dumps(claims).encode()),
            "",
        ]
    )
    assert_invalid_token(api(client, ORGANISATION, unsigned))


def test_a_revoked_token_is_refused_within_60_seconds(client, world, clock):
    token = client_credentials_token(client, world.app)
    assert api(client, ORGANISATION, token).status_code == 200  # loads the cache

    answer = client.post("/oauth/revoke", data={"token": token}, auth=world.app.auth)
    assert answer.status_code == 200

    clock.advance(timedelta(seconds=59))
    assert api(client, ORGANISATION, token).status_code == 200  # the cache's lifetime
    clock.advance(timedelta(seconds=1))
    assert_invalid_token(api(client, ORGANISATION, token))


def test_a_disabled_clients_tokens_are_refused_within_60_seconds(client, world, clock):
    tokens = user_tokens(client, world.app)
    organisation_token = client_credentials_token(client, world.app)
    assert api(client, ME, tokens["access_token"]).status_code == 200  # loads the cache

    disable_client(world.app.client)
    db.session.commit()

    # No new token, by any grant...
    refused = token_request(client, world.app, grant_type="client_credentials")
    assert_oauth_error(refused, 401, "invalid_client")
    assert_oauth_error(refresh(client, world.app, tokens["refresh_token"]), 401, "invalid_client")
    # ...and the ones it holds stop working within the revocation cache's lifetime.
    clock.advance(timedelta(seconds=60))
    assert_invalid_token(api(client, ME, tokens["access_token"]))
    assert_invalid_token(api(client, ORGANISATION, organisation_token))


# --- a client sees and revokes its own tokens only ------------------------------------------------


def test_a_client_introspects_only_its_own_tokens(client, world):
    token = client_credentials_token(client, world.app)
    assert introspect(client, world.app, token)["active"] is True

    assert introspect(client, world.other, token) == {"active": False}


def test_a_client_cannot_revoke_another_clients_token(client, world, clock):
    token = client_credentials_token(client, world.app)

    answer = client.post("/oauth/revoke", data={"token": token}, auth=world.other.auth)

    assert_oauth_error(answer, 400, "invalid_grant")
    clock.advance(timedelta(seconds=60))
    assert api(client, ORGANISATION, token).status_code == 200
    assert introspect(client, world.app, token)["active"] is True


# --- grants that are not offered -----------------------------------------------------------------


def test_the_implicit_grant_is_refused(client, world):
    query = authorize_query(world.app, response_type="token")
    _assert_refused_authorization(client, query, "unsupported_response_type")
    assert tokens_issued() == 0
    # And with an unregistered redirect URI, no redirect at all.
    query = authorize_query(world.app, response_type="token", redirect_uri="https://evil.example/")
    answer = client.get("/oauth/authorize", query_string=query)
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_the_password_grant_is_refused(client, world):
    answer = token_request(
        client,
        world.app,
        grant_type="password",
        username=world.person.email,
        password="correct horse battery staple",
        scope="profile",
    )
    assert_oauth_error(answer, 400, "unsupported_grant_type")
    assert tokens_issued() == 0
