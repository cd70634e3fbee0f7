"""Bad input to the OAuth endpoints that take a body without being forms (token,
revocation, introspection): each is refused as RFC 6749 says, never with a 500, and
writes nothing; the valid request succeeds. The registry and the cases are in
tests/bad_input_oauth.py; tests/test_bad_input_standing.py checks that every web write
route is in it or in FORMS.
"""

from __future__ import annotations

import pytest

from tests.bad_input import Case, web_write_routes
from tests.bad_input_oauth import OAUTH_ENDPOINTS, OAuthSender, oauth_cases
from tests.bad_input_registry import Ctx


def test_every_entry_is_a_current_web_write_route(app):
    routes = set(web_write_routes(app))
    assert set(OAUTH_ENDPOINTS) <= routes, set(OAUTH_ENDPOINTS) - routes
    adapter = app.url_map.bind("localhost")
    for (endpoint, method), entry in OAUTH_ENDPOINTS.items():
        assert adapter.match(entry.url, method=method)[0] == endpoint, entry.url


@pytest.mark.parametrize(
    ("endpoint", "method"),
    sorted(OAUTH_ENDPOINTS),
    ids=[f"{m} {e} ({OAUTH_ENDPOINTS[(e, m)].label})" for e, m in sorted(OAUTH_ENDPOINTS)],
)
def test_bad_input_to_an_oauth_endpoint_is_refused_and_writes_nothing(
    app, client, clock, owner_engine, mailbox, endpoint, method
):
    entry = OAUTH_ENDPOINTS[(endpoint, method)]
    ctx = Ctx(app, client, clock)
    stage = entry.setup(ctx)
    sender = OAuthSender(ctx, entry, owner_engine, mailbox)
    cases = list(oauth_cases(entry, stage))

    failures = sender.failures(stage.url, cases)

    assert not failures, f"{len(failures)} of {len(cases)} cases:\n" + "\n".join(failures)
    valid = Case(
        "valid",
        "the valid request",
        data=stage.valid,
        content_type="application/x-www-form-urlencoded",
        headers=stage.headers,
    )
    response, written = sender.send(stage.url, valid)
    assert entry.accepted(response), (response.status_code, response.get_data(as_text=True))
    if entry.writes:
        assert written, "the valid request wrote nothing: the cases above prove nothing"
    else:
        assert not written, f"introspection wrote to {written}"
