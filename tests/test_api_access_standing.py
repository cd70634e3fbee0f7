"""The standing API access test (DESIGN.md section 5): it enumerates the URL map, so an
/api/v1 route added later is covered as it appears.

1. Every rule under /api/v1, for every method but HEAD and OPTIONS, has a view
   decorated with `core.oauth.resource.api_access` (the `api_access` attribute it sets).
2. Each (rule, method), on a fresh world (a center with a tenant client, a partner with
   a partner client, a person who is a member of both; each client registered through
   core.oauth.clients with every scope and grant its owner kind may hold), answers:
   - with a garbage, tampered, expired, foreign-signed or non-bearer credential: 401;
   and, unless the route is public (which answers without a token, session or not):
   - without a token: 401 with `WWW-Authenticate: Bearer ...`, also with the person's
     signed-in session cookie (a session is no substitute for a token);
   - a token of the owner kind the route does not accept: 403;
   - a token lacking the route's scope (from a client registered without it): 403;
   - on a route acting for a person (`user=True`), a client-credentials token: 403;
   - a good token (authorization code when the route needs a person, else client
     credentials; of each owner kind it accepts, holding its scope): neither 401 nor
     403, and 2xx for a GET.
   Every 401 and 403 is problem+json with a `WWW-Authenticate: Bearer` challenge.
3. A URL argument with no entry in ARGUMENTS, or a method other than GET with no body in
   BODIES, fails its case (it does not skip): a new route must be added here.
4. A public route (`api_access(public=True)`, on a probe registered by the test)
   answers without a token, and still refuses a bad one with 401.
5. /api/openapi.json declares the `oauth2` scheme with both flows, and every /api/v1
   operation lists the security requirement, with its scope, that its route enforces.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import current_app
from joserfc import jwt
from joserfc.jwk import RSAKey

from core.clock import now
from core.oauth.keys import ALGORITHM
from core.oauth.models import OWNER_KINDS
from core.oauth.resource import SECURITY_SCHEME, Requirement
from core.oauth.scopes import SCOPES, organisation_scopes, scopes_for
from core.oauth.tokens import JWT_TYPE, audience, encode_access_token, issuer
from tenants.models import Role
from tests.factories import (
    AffiliationFactory,
    CertificationFactory,
    MediatorProfileFactory,
    MembershipFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    ReferralFactory,
    TrainingRecordFactory,
    UserFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)
from tests.marketplace.helpers import listed_center, listed_mediator, settle
from tests.mediator_api import stored_evidence
from tests.oauth import (
    ALL_GRANTS,
    PUBLIC_PROBE,
    Registered,
    add_public_probe,
    authorization_code_tokens,
    bearer,
    client_credentials_token,
    register,
)
from tests.referrals.helpers import referral_body
from tests.tenants.helpers import Center, make_center, sign_in
from tests.url_map import url_map_app

API_PREFIX = "/api/v1"
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})


@dataclass(frozen=True)
class ApiRoute:
    rule: str
    endpoint: str
    method: str
    requirement: Requirement | None  # None: the view lacks api_access
    arguments: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


@functools.cache
def api_routes() -> tuple[ApiRoute, ...]:
    """Every (rule, method) under /api/v1, read from a throwaway app's URL map
    (collection time: parametrize needs the list before any fixture runs)."""
    app = url_map_app()
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule != API_PREFIX and not rule.rule.startswith(API_PREFIX + "/"):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - IGNORED_METHODS):
            found.append(
                ApiRoute(
                    rule=rule.rule,
                    endpoint=rule.endpoint,
                    method=method,
                    requirement=getattr(view, "api_access", None),
                    arguments=tuple(sorted(rule.arguments)),
                )
            )
    return tuple(sorted(found, key=str))


# --- the world ---------------------------------------------------------------------------


@dataclass
class World:
    center: Center
    partner: Any
    person: Any  # a member of the center and of the partner
    clients: dict[str, Registered]  # by owner kind: every scope and grant it may hold
    mediator_file: Any = None  # see `mediator_file`
    listing: Any = None  # see `marketplace_listing`

    def owner_id(self, kind: str) -> uuid.UUID:
        return self.center.tenant.id if kind == "tenant" else self.partner.id


def seed_world() -> World:
    center = make_center()
    partner = PartnerFactory()
    person = UserFactory(locale="en")
    MembershipFactory(tenant=center.tenant, user=person, role=Role.CASE_MANAGER)
    PartnerMembershipFactory(partner=partner, user=person)
    world = World(center, partner, person, {})
    for kind in OWNER_KINDS:
        world.clients[kind] = register(
            kind, world.owner_id(kind), scopes=scopes_for(kind), grant_types=ALL_GRANTS
        )
    mediator_file(world)  # /api/v1/me/... reads the person's own
    return world


def mediator_file(world: World) -> Any:
    """The person's mediator file, made once per world (by seed_world): their profile,
    affiliated with the center, with a training record and a certification, each with
    stored evidence."""
    if world.mediator_file is None:
        profile = MediatorProfileFactory(user=world.person)
        AffiliationFactory(tenant=world.center.tenant, profile=profile)
        record = TrainingRecordFactory(profile=profile)
        certification = CertificationFactory(profile=profile)
        for row in (record, certification):
            stored_evidence(row)
        world.mediator_file = {"profile": profile, "record": record, "cert": certification}
    return world.mediator_file


def marketplace_listing(world: World) -> Any:
    """A center and a mediator published on the marketplace (the public API's ids)."""
    if world.listing is None:
        center = listed_center()
        mediator = listed_mediator(center)
        settle(current_app._get_current_object())
        world.listing = {"center": center, "mediator": mediator}
    return world.listing


def webhook_endpoint(world: World) -> Any:
    """A webhook endpoint of the partner. Its host resolves locally, to a loopback
    address that deliveries refuse: a redelivery reaches no network."""
    return WebhookEndpointFactory(partner_id=world.partner.id, url="https://localhost:9/hooks")


# How to get a value for each URL argument.
ARGUMENTS: dict[str, Callable[[World], Any]] = {
    "profile_id": lambda w: mediator_file(w)["profile"].id,
    "record_id": lambda w: mediator_file(w)["record"].id,
    "certification_id": lambda w: mediator_file(w)["cert"].id,
    "mediator_id": lambda w: marketplace_listing(w)["mediator"].id,
    "center_id": lambda w: marketplace_listing(w)["center"].id,
    # A case the partner sent to the center: each side reads it through its own routes.
    "referral_id": lambda w: ReferralFactory(tenant=w.center.tenant, partner=w.partner).id,
    # The partner's webhook endpoint, and a delivery to it.
    "endpoint_id": lambda w: webhook_endpoint(w).id,
    "delivery_id": lambda w: WebhookDeliveryFactory(endpoint=webhook_endpoint(w)).id,
}

_RECORD = {
    "title": "Analyse de la pratique",
    "provider": "Association des médiateurs",
    "kind": "supervision",
    "hours": 10,
    "started_on": "2020-01-15",
}
_CERTIFICATION = {"scheme_code": "fr-ffcm", "issued_on": "2020-01-15"}
_VERIFIED = {"verified": True, "reason": None}

# A valid JSON body for every method but GET, by (endpoint, method). An upload route
# gets a JSON body too: refused (422) once the token is accepted, which is what counts.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("mediator_file_api.put_profile", "PUT"): {"display_name": "Claire Martin"},
    ("mediator_file_api.add_record", "POST"): _RECORD,
    ("mediator_file_api.put_record", "PUT"): _RECORD,
    ("mediator_file_api.delete_record", "DELETE"): {},
    ("mediator_file_api.put_record_evidence", "PUT"): {},
    ("mediator_file_api.add_certification", "POST"): _CERTIFICATION,
    ("mediator_file_api.put_certification", "PUT"): _CERTIFICATION,
    ("mediator_file_api.put_certification_evidence", "PUT"): {},
    ("center_mediators_api.verify_record", "POST"): _VERIFIED,
    ("center_mediators_api.verify_certification", "POST"): _VERIFIED,
    ("center_mediators_api.add_mediator", "POST"): {
        "email": "new.mediator@example.org",
        "display_name": "Jean Dupont",
    },
    ("center_mediators_api.change_affiliation", "PATCH"): {"internal_notes": "Le lundi."},
    # Any valid body: a step the case's status does not allow answers 409, which counts.
    ("referrals_api.create_referral", "POST"): referral_body(SimpleNamespace(slug="centre")),
    ("referrals_api.cancel_referral", "POST"): {},
    ("center_referrals_api.acknowledge", "POST"): {},
    ("center_referrals_api.accept", "POST"): {},
    ("center_referrals_api.decline", "POST"): {"reason": "Aucun médiateur disponible."},
    ("center_referrals_api.assign", "POST"): {"mediator_id": str(uuid.uuid4())},
    ("center_referrals_api.schedule", "POST"): {"scheduled_at": "2026-12-10T14:00:00Z"},
    ("center_referrals_api.outcome", "POST"): {"outcome": "agreement"},
    ("center_referrals_api.close", "POST"): {},
    ("webhooks_api.create_endpoint", "POST"): {"url": "https://hooks.cabinet.example/mediation"},
    ("webhooks_api.update_endpoint", "PATCH"): {"description": "Logiciel du cabinet"},
    ("webhooks_api.delete_endpoint", "DELETE"): {},
    ("webhooks_api.rotate_secret", "POST"): {},
    ("webhooks_api.redeliver", "POST"): {},
    # Any text: what is not a credential of ours is answered "tampered", with a 200.
    ("signed_credentials_api.verify", "POST"): {"credential": "not-a-credential"},
}


def check_tables(route: ApiRoute) -> None:
    missing = [name for name in route.arguments if name not in ARGUMENTS]
    if missing:
        pytest.fail(f"{route}: no value for URL argument(s) {missing}; add them to ARGUMENTS")
    if route.method != "GET" and (route.endpoint, route.method) not in BODIES:
        pytest.fail(f"{route} ({route.endpoint}): no valid JSON body in BODIES; add one")


def build(app: Any, route: ApiRoute, world: World) -> str:
    values = {name: ARGUMENTS[name](world) for name in route.arguments}
    return app.url_map.bind("localhost").build(route.endpoint, values, method=route.method)


def send(http: Any, route: ApiRoute, url: str, headers: dict[str, str] | None = None) -> Any:
    if route.method == "GET":
        return http.get(url, headers=headers)
    body = BODIES[(route.endpoint, route.method)]
    return http.open(url, method=route.method, json=body, headers=headers)


# --- tokens ------------------------------------------------------------------------------


def browser(app: Any, person: Any) -> Any:
    """A test client signed in as the person (for the consent page)."""
    signed_in = app.test_client()
    sign_in(signed_in, person)
    return signed_in


def token_for(app: Any, registered: Registered, person: Any | None) -> str:
    """A token with every scope the client holds that its grant can carry: from the
    authorization code grant, consented by `person`, or from client credentials."""
    if person is None:
        return client_credentials_token(app.test_client(), registered)
    scope = " ".join(registered.client.scopes)
    return authorization_code_tokens(browser(app, person), registered, scope)["access_token"]


def forged_tokens(world: World) -> dict[str, str]:
    """Credentials that must read as no valid token (401) anywhere."""
    registered = world.clients["partner"]
    claims = {
        "iss": issuer(),
        "aud": audience(),
        "sub": registered.client_id,
        "client_id": registered.client_id,
        "scope": " ".join(organisation_scopes("partner")),
        "owner_kind": "partner",
        "owner_id": str(world.partner.id),
    }
    good = encode_access_token(
        jti=uuid.uuid4(),
        client_id=registered.client_id,
        owner_kind="partner",
        owner_id=world.partner.id,
        user_id=None,
        scope=claims["scope"],
        issued_at=now(),
        lifetime=900,
    )
    head, body, signature = good.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    expired = encode_access_token(
        jti=uuid.uuid4(),
        client_id=registered.client_id,
        owner_kind="partner",
        owner_id=world.partner.id,
        user_id=None,
        scope=claims["scope"],
        issued_at=now() - timedelta(seconds=1000),
        lifetime=900,
    )
    stranger = RSAKey.generate_key(2048, parameters={"kid": "stranger"})
    iat = int(now().timestamp())
    foreign = jwt.encode(
        {"alg": ALGORITHM, "typ": JWT_TYPE, "kid": "stranger"},
        {**claims, "iat": iat, "exp": iat + 900, "jti": str(uuid.uuid4())},
        stranger,
        algorithms=[ALGORITHM],
    )
    return {
        "garbage": "not-a-token",
        "tampered signature": f"{head}.{body}.{flipped}",
        "expired": expired,
        "signed by another key": foreign,
        "unsigned": f"{head}.{body}.",
    }


BAD_AUTHORIZATIONS = {
    "an empty bearer": "Bearer ",
    "basic credentials": "Basic dXNlcjpwYXNz",
}


def assert_refused(response: Any, status: int, what: str) -> None:
    assert response.status_code == status, (
        f"{what}: {response.status_code} {response.get_data(as_text=True)[:300]}"
    )
    assert response.mimetype == "application/problem+json", f"{what}: {response.mimetype}"
    challenge = response.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer "), f"{what}: WWW-Authenticate {challenge!r}"


def assert_accepted(response: Any, route: ApiRoute, what: str) -> None:
    assert response.status_code not in (401, 403), (
        f"{what}: {response.status_code} {response.get_data(as_text=True)[:300]}"
    )
    if route.method == "GET":
        assert 200 <= response.status_code < 300, (
            f"{what}: {response.status_code} {response.get_data(as_text=True)[:300]}"
        )


# --- the tests ---------------------------------------------------------------------------


def test_every_api_route_declares_its_access():
    found = api_routes()
    assert found, f"no route under {API_PREFIX}: the enumeration is broken"
    undeclared = sorted(f"{r} ({r.endpoint})" for r in found if r.requirement is None)
    assert not undeclared, (
        f"API routes without @api_access (core.oauth.resource): {undeclared}; every "
        f"{API_PREFIX} route must state what it needs"
    )


def test_the_tables_are_current():
    found = api_routes()
    assert {"/api/v1/me", "/api/v1/organisation"} <= {r.rule for r in found}
    assert set(BODIES) <= {(r.endpoint, r.method) for r in found}, "BODIES names a gone route"
    assert set(ARGUMENTS) <= {a for r in found for a in r.arguments}, "an argument is gone"


@pytest.mark.parametrize("route", api_routes(), ids=str)
def test_the_route_refuses_what_it_must_and_serves_a_good_token(app, route):
    rule = route.requirement
    if rule is None:
        pytest.fail(f"{route}: no @api_access (see test_every_api_route_declares_its_access)")
    check_tables(route)
    world = seed_world()
    url = build(app, route, world)
    api = app.test_client()  # no cookie: the API's callers are programs

    # No token, also with the person's session cookie (a public route serves both).
    signed_in = browser(app, world.person)
    if not rule.public:
        assert_refused(send(api, route, url), 401, f"{route} without a token")
        assert_refused(send(signed_in, route, url), 401, f"{route} with a session and no token")

    # Credentials that are no valid token: 401 on every route, public ones included.
    for label, raw in forged_tokens(world).items():
        response = send(api, route, url, bearer(raw))
        assert_refused(response, 401, f"{route} with a {label} token")
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"], label
    for label, header in BAD_AUTHORIZATIONS.items():
        response = send(api, route, url, {"Authorization": header})
        assert_refused(response, 401, f"{route} with {label}")

    if rule.public:
        assert_accepted(send(api, route, url), route, f"{route} (public) without a token")
        assert_accepted(send(signed_in, route, url), route, f"{route} (public) with a session")
        for kind in OWNER_KINDS:
            good = token_for(app, world.clients[kind], None)
            assert_accepted(send(api, route, url, bearer(good)), route, f"{route}, {kind} token")
        return

    person = world.person if rule.user else None

    # The wrong owner kind.
    for kind in sorted(set(OWNER_KINDS) - rule.owners):
        token = token_for(app, world.clients[kind], person)
        response = send(api, route, url, bearer(token))
        assert_refused(response, 403, f"{route} with a {kind} client's token")

    for kind in sorted(rule.owners):
        # Without the route's scope: a client of the right owner registered without it.
        if rule.scope:
            others = [s for s in scopes_for(kind) if s != rule.scope]
            if person is None:
                others = [s for s in others if not SCOPES[s].user_only]
            lacking = register(
                kind, world.owner_id(kind), scopes=others, grant_types=ALL_GRANTS, name="Lacking"
            )
            token = token_for(app, lacking, person)
            response = send(api, route, url, bearer(token))
            assert_refused(response, 403, f"{route} with a {kind} token without {rule.scope}")
            assert "insufficient_scope" in response.headers["WWW-Authenticate"]

        # A route acting for a person refuses a client's own token.
        if rule.user:
            token = token_for(app, world.clients[kind], None)
            response = send(api, route, url, bearer(token))
            assert_refused(response, 403, f"{route} with a {kind} client-credentials token")

        # The right token.
        token = token_for(app, world.clients[kind], person)
        response = send(api, route, url, bearer(token))
        assert_accepted(response, route, f"{route} with a good {kind} token")


# --- a public route, on a probe ----------------------------------------------------------


@pytest.fixture
def probe_app(app):
    """The app with a public API route, for the checks no real route needs yet."""
    add_public_probe(app)
    return app


def test_a_public_route_answers_without_a_token_and_refuses_a_bad_one(probe_app):
    url = PUBLIC_PROBE
    assert probe_app.view_functions["public_probe.answer"].api_access.public
    api = probe_app.test_client()
    response = api.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json == {"answered": True}
    assert "RateLimit" in response.headers  # counted against the anonymous limit

    world = seed_world()
    for label, raw in forged_tokens(world).items():
        assert_refused(api.get(url, headers=bearer(raw)), 401, f"public route, {label} token")
    good = token_for(probe_app, world.clients["partner"], None)
    response = api.get(url, headers=bearer(good))
    assert response.status_code == 200, response.get_data(as_text=True)


# --- the OpenAPI document ----------------------------------------------------------------


def openapi_path(rule: str) -> str:
    """/api/v1/things/<uuid:thing_id> -> /api/v1/things/{thing_id}"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_the_openapi_document_states_each_operations_security(client):
    document = client.get("/api/openapi.json").json
    scheme = document["components"]["securitySchemes"][SECURITY_SCHEME]
    assert scheme["type"] == "oauth2"
    flows = scheme["flows"]
    assert set(flows) >= {"clientCredentials", "authorizationCode"}
    assert flows["clientCredentials"]["tokenUrl"].endswith("/oauth/token")
    assert flows["authorizationCode"]["authorizationUrl"].endswith("/oauth/authorize")
    assert flows["authorizationCode"]["tokenUrl"].endswith("/oauth/token")
    assert set(flows["authorizationCode"]["scopes"]) == set(SCOPES)
    assert set(flows["clientCredentials"]["scopes"]) == {
        name for name, s in SCOPES.items() if not s.user_only
    }

    for route in api_routes():
        rule = route.requirement
        assert rule is not None, f"{route}: no @api_access"
        operation = document["paths"][openapi_path(route.rule)][route.method.lower()]
        needed = [rule.scope] if rule.scope else []
        expected = [{SECURITY_SCHEME: needed}]
        if rule.public:
            expected = [{}, *expected]
        assert operation.get("security") == expected, f"{route}: {operation.get('security')}"
        for scope in needed:
            flow = "authorizationCode" if rule.user else "clientCredentials"
            assert scope in flows[flow]["scopes"], f"{route}: {scope} is in no {flow} flow"
        if not rule.public:
            assert {"401", "403"} <= set(operation["responses"]), f"{route}: 401/403 undocumented"
