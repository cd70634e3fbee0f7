"""The OAuth endpoints' part of the standing bad-input test. The token, revocation and
introspection endpoints are web routes that take a body without being WTForms forms
(RFC 6749 parameters, sent by programs): the form checks of
tests/test_bad_input_standing.py leave them to OAUTH_ENDPOINTS, run by
tests/core/oauth/test_bad_input.py, and that standing test fails for a web write route
in neither registry (or in both).

Each entry's setup registers a real client through core.oauth.clients and returns a
valid request: its parameters and the client's basic authentication. From it, each
case changes one thing (oauth_cases): broken percent-encoding and invalid UTF-8, a
JSON body, a text/plain body, each parameter repeated, each parameter over 2048
characters, an unknown value of the parameter that picks the behaviour (grant_type,
token_type_hint), the required parameter missing, no client authentication, a body
over 1 MB with and without Content-Length. Each is judged as RFC 6749 section 5.2
has it: 400 with a JSON `error` member (401 `invalid_client` without client
authentication), 413 problem+json for the bodies over 1 MB, never a 500; and nothing
is written. Then the valid request must succeed (and write, where it writes at all).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import Engine

from tests.bad_input import ONE_MB, Case, WithoutRateLimits, changed, json_body, snapshot
from tests.bad_input_registry import Ctx, Stage
from tests.factories import PartnerFactory
from tests.oauth import Registered, client_credentials_token, register

TOO_LONG = 2048 + 1  # one character over views.MAX_PARAMETER_LENGTH
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class OAuthEndpoint:
    label: str
    url: str
    setup: Callable[[Ctx], Stage]
    required: str  # the parameter whose absence must be refused
    choice: tuple[str, str]  # (parameter, an unknown value of it)
    accepted: Callable[[Any], bool]  # the valid request's answer is a success
    writes: bool  # the valid request writes (introspection only reads)
    # The token endpoint counts every request against its rate limits (core.ratelimit),
    # refused ones too: a flood of bad requests, or of guessed secrets, is limited like
    # any other. Those Redis counters change by design on each request, so only they
    # are left out of its before/after comparison.
    counts_rate: bool = False


def _basic(registered: Registered) -> dict[str, str]:
    pair = f"{registered.client_id}:{registered.secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def _token_setup(ctx: Ctx) -> Stage:
    registered = register("partner", PartnerFactory().id)
    return Stage("/oauth/token", {"grant_type": "client_credentials"}, _basic(registered))


def _with_a_token(url: str) -> Callable[[Ctx], Stage]:
    def setup(ctx: Ctx) -> Stage:
        registered = register("partner", PartnerFactory().id)
        token = client_credentials_token(ctx.client, registered)
        valid = {"token": token, "token_type_hint": "access_token"}
        return Stage(url, valid, _basic(registered))

    return setup


# (endpoint, METHOD) -> how to reach it with a valid request.
OAUTH_ENDPOINTS: dict[tuple[str, str], OAuthEndpoint] = {
    ("oauth.token", "POST"): OAuthEndpoint(
        "token (client credentials)",
        "/oauth/token",
        _token_setup,
        required="grant_type",
        choice=("grant_type", "urn:example:unknown-grant"),
        accepted=lambda r: r.status_code == 200 and bool(r.json.get("access_token")),
        writes=True,
        counts_rate=True,
    ),
    ("oauth.revoke", "POST"): OAuthEndpoint(
        "revocation of an access token",
        "/oauth/revoke",
        _with_a_token("/oauth/revoke"),
        required="token",
        choice=("token_type_hint", "id_token"),
        accepted=lambda r: r.status_code == 200,
        writes=True,
    ),
    ("oauth.introspect", "POST"): OAuthEndpoint(
        "introspection of an access token",
        "/oauth/introspect",
        _with_a_token("/oauth/introspect"),
        required="token",
        choice=("token_type_hint", "id_token"),
        accepted=lambda r: r.status_code == 200 and r.json.get("active") is True,
        writes=False,
    ),
}


# --- the cases ------------------------------------------------------------------------------


def _form(data: dict[str, str] | list[tuple[str, str]]) -> bytes:
    return urlencode(data).encode()


def oauth_cases(entry: OAuthEndpoint, stage: Stage) -> Iterator[Case]:
    """Each case is the valid request with one thing wrong. `status` is what it must
    answer; the headers carry the client's authentication unless the case drops it."""
    valid, auth = stage.valid, stage.headers

    def case(label: str, data: bytes, status: int = 400, **kwargs: Any) -> Case:
        kwargs.setdefault("content_type", FORM)
        kwargs.setdefault("headers", auth)
        return Case("malformed", label, data=data, status=status, **kwargs)

    broken = "&".join(f"{name}=%zz%ff%C3%" for name in valid) + "&%=%%&==&"
    yield case("broken percent-encoding and UTF-8 in every parameter", broken.encode())
    yield case("a body of invalid UTF-8", b"\xff\xfe" + _form(valid) + b"\xc3")
    yield case("the valid request as JSON", json_body(valid), content_type="application/json")
    yield case("the valid request as text/plain", _form(valid), content_type="text/plain")
    yield case("the valid request as multipart", _form(valid), content_type="multipart/form-data")
    for name, value in valid.items():
        repeated = [*valid.items(), (name, value)]
        yield case(f"{name} repeated", _form(repeated))
        yield case(f"{name} over 2048 characters", _form({**valid, name: "x" * TOO_LONG}))
    name, unknown = entry.choice
    yield case(f"an unknown {name} ({unknown!r})", _form({**valid, name: unknown}))
    missing = {k: v for k, v in valid.items() if k != entry.required}
    yield case(f"{entry.required} missing", _form(missing))
    yield case("no client authentication", _form(valid), status=401, headers={})
    too_large = _form({**valid, "padding": "x" * (ONE_MB + 1)})
    for accept in ("application/json", "*/*"):  # Authlib's Accept, and requests' or curl's
        headers = {**auth, "Accept": accept}
        yield case(f"a body over 1 MB ({accept})", too_large, status=413, headers=headers)
        yield case(
            f"a body over 1 MB without Content-Length ({accept})",
            too_large,
            status=413,
            headers=headers,
            chunked=True,
        )


def judge_oauth(case: Case, response: Any) -> str | None:
    """What is wrong with the answer to a bad request, or None."""
    status = response.status_code
    if status != case.status:
        return f"answered {status}, not {case.status}: {response.get_data(as_text=True)[:200]}"
    if status == 413:
        if response.mimetype != "application/problem+json":
            return f"answered 413 as {response.mimetype}, not problem+json"
        return None
    if response.mimetype != "application/json":
        return f"answered {response.mimetype}, not an RFC 6749 JSON error"
    body = response.json
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return f"no `error` member in {body!r}"
    if status == 401 and body["error"] != "invalid_client":
        return f"answered 401 with {body['error']!r}: 401 is for invalid_client only"
    if "access_token" in body or "active" in body:
        return f"answered a result: {body!r}"
    return None


# --- sending ----------------------------------------------------------------------------------


class OAuthSender:
    """Sends a request to an OAuth endpoint and tells what it changed."""

    def __init__(self, ctx: Ctx, entry: OAuthEndpoint, engine: Engine, mailbox: Any) -> None:
        self.ctx, self.entry, self.engine, self.mailbox = ctx, entry, engine, mailbox
        redis = ctx.app.extensions["redis"]
        self.redis = WithoutRateLimits(redis) if entry.counts_rate else redis

    def state(self) -> dict[str, str]:
        return snapshot(self.engine, self.redis, len(self.mailbox.messages))

    def send(self, url: str, case: Case) -> tuple[Any, list[str]]:
        before = self.state()
        # What an OAuth client library sends (Authlib's, for one).
        headers = {"Accept": "application/json", **case.headers}
        body: dict[str, Any] = {"data": case.data}
        if case.chunked:
            headers["Transfer-Encoding"] = "chunked"
            body = {
                "input_stream": BytesIO(case.data),
                "environ_overrides": {"wsgi.input_terminated": True},
            }
        response = self.ctx.client.open(
            url, method="POST", content_type=case.content_type, headers=headers, **body
        )
        return response, changed(before, self.state())

    def failures(self, url: str, cases: list[Case]) -> list[str]:
        found = []
        for case in cases:
            response, written = self.send(url, case)
            problems = [judge_oauth(case, response), f"wrote to {written}" if written else None]
            if any(problems):
                found.append(f"{case}: {'; '.join(p for p in problems if p)}")
        return found
