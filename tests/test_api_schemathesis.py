"""Schemathesis against the live OpenAPI document: the app served on loopback, every
operation of /api/openapi.json called with generated requests, once with a partner's
token and once with a center's (each holding every scope its owner kind may hold):
no 5xx, and no answer outside its documented schema. Every schema of the document is
closed (`additionalProperties: false`), so an undocumented field fails the check.

Each operation gets a few generated requests (EXAMPLES), with real ids of the callers'
own rows among the path parameters' values so that reads and steps reach real objects.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from core.oauth.scopes import organisation_scopes
from tests.browser import conftest as browser_conftest
from tests.factories import PartnerFactory, ReferralFactory, TenantFactory
from tests.oauth import bearer, client_credentials_token, register
from tests.referrals.helpers import active_mediator

live_server = browser_conftest.live_server
EXAMPLES = 8
CHECKS = [not_a_server_error, response_schema_conformance]


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every object schema in a JSON document (nested ones included)."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            found.append(node)
        for value in node.values():
            found.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk(value))
    return found


@pytest.fixture
def owners(app):
    """A center and a partner with a case between them, and a token for each."""
    center, partner = TenantFactory(), PartnerFactory()
    mediator = active_mediator(center)
    case = ReferralFactory(tenant=center, partner=partner)
    client = app.test_client()
    tokens = {}
    for kind, owner_id in (("tenant", center.id), ("partner", partner.id)):
        scopes = organisation_scopes(kind)
        registered = register(kind, owner_id, scopes=scopes, grant_types=["client_credentials"])
        tokens[kind] = client_credentials_token(client, registered, " ".join(scopes))
    ids = {"referral_id": str(case.id), "profile_id": str(mediator.id)}
    return tokens, ids


def test_every_schema_of_the_document_is_closed(client):
    document = client.get("/api/openapi.json").json
    open_ = [
        name
        for name, schema in document["components"]["schemas"].items()
        if schema.get("additionalProperties") is not False
    ]
    assert not open_, f"schemas without additionalProperties: false: {open_}"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue  # the path's own parameters
            for status, response in operation.get("responses", {}).items():
                for media in response.get("content", {}).values():
                    for schema in _walk(media.get("schema", {})):
                        assert schema.get("additionalProperties") is False or "$ref" in schema, (
                            method,
                            path,
                            status,
                        )


@pytest.mark.parametrize("owner_kind", ["partner", "tenant"])
def test_no_5xx_and_no_answer_outside_its_schema(app, live_server, owners, owner_kind):
    tokens, ids = owners
    app.config["API_RATE_PER_CLIENT"] = "1000000/60"
    app.config["API_RATE_ANONYMOUS"] = "1000000/60"
    schema = schemathesis.openapi.from_url(f"{live_server}/api/openapi.json")
    headers = bearer(tokens[owner_kind])
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30, "the document lists the API's operations"

    for operation in operations:
        failures.extend(_exercise(operation, live_server, headers, ids))
    assert not failures, "\n".join(failures[:20])


def _exercise(operation: Any, base_url: str, headers: dict, ids: dict) -> list[str]:
    """Generated requests to one operation; the failures, described."""
    failures: list[str] = []

    # Derandomized: the same requests every run, so that a run's verdict is repeatable.
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), own=st.booleans())
    def run(case: Any, own: bool) -> None:
        if own:
            for name in case.path_parameters or {}:
                if name in ids:
                    case.path_parameters[name] = ids[name]
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

    try:
        run()
    except Exception as failed:  # each operation's failure is reported with the others
        failures.append(f"{operation.label}: {str(failed)[:600]}")
    return failures
