"""The standing bad-input test: every form of the web app and every JSON operation of
the OpenAPI document refuses bad input with a field error or a 4xx, never a 500, and
writes nothing. It enumerates the URL map and the OpenAPI document, so a form or an
operation added later is covered as it appears (a missing entry in FORMS or
JSON_OPERATIONS fails, it does not skip).

The registry (FORMS, GET_FORMS, JSON_OPERATIONS, BODYLESS_OPERATIONS) is in
tests/bad_input_registry.py, whose docstring tells how to add an entry.

Web forms: every rule outside /api/ accepting POST, PUT, PATCH or DELETE has entries in
FORMS (one per form the endpoint can show: /account/two-factor turns on or off), or,
for the OAuth endpoints that take RFC 6749 parameters rather than a form (token,
revocation, introspection), an entry in OAUTH_ENDPOINTS (tests/bad_input_oauth.py,
whose cases tests/core/oauth/test_bad_input.py runs); never both. Each
entry names its form class; the fields are read from it, and the entry's valid post
must name exactly those. Every form class of the app is in FORMS or GET_FORMS, and
every text field of every form has a maximum length. From the valid post, each case
changes one thing (tests/bad_input.py, form_cases):
  (a) each required field missing; (b) each field of the wrong type (an email, choice,
  number or date that is not one; text with a shape gets its value from the entry);
  (c) each text field one character over its maximum length; (d) an unknown field;
  every text field 100,000 characters long; (e) a body over 1 MB (over the route's own
  limit for the upload routes of core.files.uploads.accepts_upload): url-encoded,
  multipart, and chunked (no Content-Length); (f) malformed bodies: broken
  percent-encoding and UTF-8, a multipart cut short or without boundary, and JSON or
  text/plain bodies with the CSRF token in a header (forms read only what a browser
  posts).
(a)-(c) answer 422 (or 400) with the message on the field itself (the `is-invalid`
control and its `invalid-feedback`) or, for entries with `shows="alert"` (the inline
and one-button forms of the members page), in an alert; (d) names the unknown field in
the form's alert; entries with `shows="page"` (the navigation bar's sign-out and
language buttons) answer a 400 error page. (e) answers 413 as an HTML page, (f) a 4xx.
No case answers a 500, and around each one nothing changes: every table, read as the
owner (none is excluded: a refused request records no security event, no session, no
sign-in failure), the app's Redis keys (throttles, rate limits, queued jobs) and the
mailbox. Last, the valid post itself must succeed and write: each case differs from an
accepted post by its one fault only; or, for a lookup posted as a form (an entry with
`writes=False`: the credential verification page), succeed and write nothing.

JSON operations: every /api/ rule taking a write method is an operation of
/api/openapi.json with a JSON request body (or is listed in BODYLESS_OPERATIONS), and
every such operation has an entry in JSON_OPERATIONS. Cases (tests/bad_input_api.py,
json_cases): malformed JSON (400), an array instead of an object, an unknown field,
each required property missing, each property of the wrong type, each string property
over its maxLength (422; a string property without one fails), a body over 1 MB with
and without Content-Length (413), and a text/plain body; all answer problem+json and
write nothing, and the valid body writes (or, for the lookups of LOOKUP_OPERATIONS,
succeeds and writes nothing). Requests carry the entry's bearer token; the
API's per-client request counters (`ratelimit:` keys) are left out of "nothing
written", since every request counts by design. A probe operation registered by the
test (behind `api_access`, with a real client's token) runs the same checks alongside
the real ones, so that they are known to work.

Uploads: every operation taking a multipart/form-data body has an entry in
UPLOAD_OPERATIONS; its bad files and bodies (tests/bad_input_api.py, upload_cases)
answer 4xx problem+json and write nothing, stored files included (see
test_every_upload_operation_refuses_bad_files).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from marshmallow import fields as ma
from marshmallow import validate

from core import audit, jobs
from core.api import Blueprint, Schema
from core.db import db
from core.files.uploads import body_limit
from core.oauth.resource import api_access
from tests import oauth
from tests.bad_input import (
    ONE_MB,
    TOO_LARGE,
    UNKNOWN_FIELD,
    Case,
    PageErrors,
    WithoutRateLimits,
    all_form_classes,
    changed,
    form_cases,
    form_fields,
    json_body,
    snapshot,
    web_write_routes,
)
from tests.bad_input_api import (
    api_write_routes,
    file_properties,
    json_cases,
    json_operations,
    multipart,
    unbounded_strings,
    upload_cases,
    upload_operations,
)
from tests.bad_input_oauth import OAUTH_ENDPOINTS
from tests.bad_input_registry import (
    BASE_FORMS,
    BODYLESS_OPERATIONS,
    FORMS,
    GET_FORMS,
    JSON_OPERATIONS,
    LOOKUP_OPERATIONS,
    MACHINE_ENDPOINTS,
    UPLOAD_OPERATIONS,
    Ctx,
    Form,
    Stage,
)
from tests.factories import PartnerFactory
from tests.url_map import url_map_app

# --- enumeration (at collection time: parametrize needs the list before any fixture) -----


def _form_params() -> list[Any]:
    params = []
    for endpoint, method in web_write_routes(url_map_app()):
        if (endpoint, method) in OAUTH_ENDPOINTS:
            continue  # not a form: tests/core/oauth/test_bad_input.py sends its cases
        if (endpoint, method) in MACHINE_ENDPOINTS:
            continue  # a signed machine request (Stripe's webhook): tested on its own
        for entry in FORMS.get((endpoint, method)) or (None,):
            label = entry.label if entry else "no entry in FORMS"
            params.append(
                pytest.param(endpoint, method, entry, id=f"{method} {endpoint} ({label})")
            )
    return params


# --- web forms ---------------------------------------------------------------------------


def test_every_web_write_route_is_in_exactly_one_registry(app):
    routes = set(web_write_routes(app))
    forms, oauth = set(FORMS), set(OAUTH_ENDPOINTS)
    assert not forms & oauth, f"routes in both FORMS and OAUTH_ENDPOINTS: {forms & oauth}"
    assert oauth <= routes, f"OAUTH_ENDPOINTS names routes that are gone: {oauth - routes}"
    assert routes >= MACHINE_ENDPOINTS, f"gone: {MACHINE_ENDPOINTS - routes}"
    missing = routes - forms - oauth - MACHINE_ENDPOINTS
    assert not missing, f"web write routes in neither FORMS nor OAUTH_ENDPOINTS: {missing}"


def test_every_form_class_is_in_the_registry_and_every_entry_is_current(app):
    routes = set(web_write_routes(app))
    assert set(FORMS) <= routes, f"FORMS names routes that are gone: {set(FORMS) - routes}"
    registered = {entry.form for entries in FORMS.values() for entry in entries}
    known = registered | set(GET_FORMS) | BASE_FORMS
    unknown = [c for c in all_form_classes() if c not in known]
    assert not unknown, f"form classes neither in FORMS nor in GET_FORMS: {unknown}"


def test_every_text_field_of_every_form_has_a_maximum_length(app):
    unbounded = [
        f"{form.__module__}.{form.__qualname__}.{f.name}"
        for form in all_form_classes()
        for f in form_fields(app, form, **GET_FORMS.get(form, {}))
        if f.text and f.max_length is None
    ]
    assert not unbounded, f"text fields without Length(max=...): {unbounded}"


class Sender:
    """Sends a request and tells what it changed."""

    def __init__(self, ctx: Ctx, engine: Any, mailbox: Any, *, api: bool = False) -> None:
        self.ctx, self.engine, self.mailbox = ctx, engine, mailbox
        redis = ctx.app.extensions["redis"]
        # Every API request counts against its client's rate limit, by design.
        self.redis = WithoutRateLimits(redis) if api else redis

    def state(self) -> dict[str, str]:
        return snapshot(self.engine, self.redis, len(self.mailbox.messages))

    def send(self, url: str, method: str, case: Case, accept: str) -> tuple[Any, list[str]]:
        # Jobs the setup queued (e.g. the marketplace's listing refresh after a new
        # offer) run now, on Redis, not in the drain after the refused request.
        if not self.ctx.app.config["JOBS_INLINE"]:
            jobs.run_pending(self.ctx.app)
        before = self.state()
        headers = {"Accept": accept, **case.headers}
        body: dict[str, Any] = {"data": case.data}
        if case.chunked:
            # What a server like gunicorn hands over for a chunked request.
            headers["Transfer-Encoding"] = "chunked"
            body = {
                "input_stream": BytesIO(case.data),
                "environ_overrides": {"wsgi.input_terminated": True},
            }
        response = self.ctx.client.open(
            url, method=method, content_type=case.content_type, headers=headers, **body
        )
        return response, changed(before, self.state())

    def failures(
        self,
        url: str,
        method: str,
        cases: list[Case],
        accept: str,
        judge: Callable[[Case, Any], str | None],
    ) -> list[str]:
        """Each case answered wrongly (as `judge` tells) or that wrote, with what is wrong."""
        found = []
        for case in cases:
            response, written = self.send(url, method, case, accept)
            problems = [judge(case, response), f"wrote to {written}" if written else None]
            if any(problems):
                found.append(f"{case}: {'; '.join(p for p in problems if p)}")
        return found


def judge_page(entry: Form, case: Case, response: Any) -> str | None:
    """What is wrong with the answer to a bad post, or None."""
    status = response.status_code
    if not 400 <= status < 500:
        return f"answered {status} {response.headers.get('Location', '')}"
    if response.mimetype != "text/html":
        return f"answered {response.mimetype}, not an HTML page"
    if case.kind == "too_large":
        page = response.get_data(as_text=True)
        return None if status == 413 and ">413<" in page else f"answered {status}, not a 413 page"
    if case.kind in ("malformed", "huge"):
        return None
    if entry.shows == "page":
        return None if status == 400 else f"answered {status}, not a 400 page"
    if status not in (400, 422):
        return f"answered {status}, not 422"
    page = PageErrors(response.get_data(as_text=True))
    if entry.shows == "alert" or case.kind == "unknown":
        expected = UNKNOWN_FIELD if entry.shows == "field" else ""
        if not any(expected in alert for alert in page.alerts):
            return f"no alert naming {expected!r} (alerts: {page.alerts})"
        return None
    if page.field_error(case.field) is None:
        return (
            f"no error shown on the field {case.field!r} (marked invalid: {sorted(page.invalid)})"
        )
    return None


@pytest.mark.parametrize(("endpoint", "method", "entry"), _form_params())
def test_bad_input_to_a_form_is_refused_and_writes_nothing(
    app, client, clock, owner_engine, mailbox, endpoint, method, entry
):
    if entry is None:
        pytest.fail(f"{method} {endpoint} takes a body and has no entry in FORMS: add one")
    ctx = Ctx(app, client, clock)
    stage = entry.setup(ctx)
    fields = form_fields(app, entry.form)
    declared = {f.name for f in fields}
    assert set(stage.valid) == declared, (
        f"the valid post names {sorted(stage.valid)}; the form declares {sorted(declared)}"
    )
    sender = Sender(ctx, owner_engine, mailbox)
    with app.test_request_context(stage.url, method=method):
        limit = body_limit()  # the app's, or an upload route's own
    cases = list(form_cases(fields, stage.valid, client.csrf_token(), entry.wrong, limit))
    judge = functools.partial(judge_page, entry)
    failures = sender.failures(stage.url, method, cases, "text/html", judge)
    assert not failures, f"{len(failures)} of {len(cases)} cases:\n" + "\n".join(failures)

    valid = Case("valid", "the valid post", data={"csrf_token": client.csrf_token(), **stage.valid})
    response, written = sender.send(stage.url, method, valid, "text/html")
    assert response.status_code < 400, f"the valid post answered {response.status_code}"
    if entry.writes:
        assert written, "the valid post wrote nothing: the cases above prove nothing"
    else:
        assert not written, f"a lookup's valid post wrote to {written}"


# --- JSON operations ------------------------------------------------------------------------


def judge_problem(case: Case, response: Any) -> str | None:
    """What is wrong with the answer to a bad body, or None."""
    status, problems = response.status_code, []
    if response.mimetype != "application/problem+json":
        problems.append(f"answered {response.mimetype}")
    if not 400 <= status < 500 or case.status not in (None, status):
        problems.append(f"answered {status}, not {case.status or '4xx'}")
    return "; ".join(problems) or None


def check_json_operation(
    sender: Sender, method: str, schema: dict[str, Any], stage: Stage, writes: bool = True
) -> None:
    unbounded = unbounded_strings(schema)
    failures = [f"string properties without maxLength: {unbounded}"] if unbounded else []
    cases = list(json_cases(schema, stage.valid, stage.headers))
    failures += sender.failures(stage.url, method, cases, "application/json", judge_problem)
    assert not failures, f"{method} {stage.url}:\n" + "\n".join(failures)

    valid = Case(
        "valid",
        "the valid body",
        data=json_body(stage.valid),
        content_type="application/json",
        headers=stage.headers,
    )
    response, written = sender.send(stage.url, method, valid, "application/json")
    assert 200 <= response.status_code < 300, f"the valid body answered {response.status_code}"
    if writes:
        assert written, "the valid body wrote nothing: the cases above prove nothing"
    else:
        assert not written, f"a lookup's valid body wrote to {written}"


def check_every_json_operation(app, client, clock, owner_engine, mailbox, registry) -> int:
    spec = client.get("/api/openapi.json").json
    operations = json_operations(spec)
    # A view that reads its body by hand has no requestBody in the document: it would
    # escape the checks below. Uploads (multipart) have checks of their own.
    declared = {(m, p) for m, p, _s in operations + upload_operations(spec)}
    undeclared = api_write_routes(app) - declared - BODYLESS_OPERATIONS
    assert not undeclared, (
        f"API writes whose OpenAPI operation declares no JSON body: {sorted(undeclared)}; "
        "declare it (@blp.arguments) or list the operation in BODYLESS_OPERATIONS"
    )
    missing = [f"{m} {p}" for m, p, _schema in operations if (m, p) not in registry]
    assert not missing, f"JSON operations without an entry in JSON_OPERATIONS: {missing}"
    for method, path, schema in operations:
        ctx = Ctx(app, client, clock)
        stage = registry[(method, path)](ctx)
        sender = Sender(ctx, owner_engine, mailbox, api=True)
        writes = (method, path) not in LOOKUP_OPERATIONS
        check_json_operation(sender, method, schema, stage, writes)
    return len(operations)


def test_every_json_operation_refuses_bad_bodies(app, client, clock, owner_engine, mailbox):
    check_every_json_operation(app, client, clock, owner_engine, mailbox, JSON_OPERATIONS)


# --- uploads (multipart/form-data) ----------------------------------------------------------


class UploadSender(Sender):
    """A Sender whose "nothing written" also covers the stored files (FILES_DIR)."""

    def state(self) -> dict[str, str]:
        found = super().state()
        root = Path(self.ctx.app.config["FILES_DIR"])
        found["files"] = repr(sorted(p.name for p in root.rglob("*")) if root.exists() else [])
        return found


def test_every_upload_operation_refuses_bad_files(app, client, clock, owner_engine, mailbox):
    """Every operation of the document that takes a multipart/form-data body has an
    entry in UPLOAD_OPERATIONS. Cases (tests/bad_input_api.py, upload_cases): for each
    file field, the issue's four refused files (a PDF named .png, 10 MB + 1 byte, a
    name like ../../x, an empty file); each required field missing; an unknown file
    field; a body cut short; a body over the route's upload limit with and without
    Content-Length (413); a JSON body instead. Each answers 4xx problem+json and writes
    nothing: no row, no Redis key, no mail, no stored file. Other string fields need a
    maxLength. The valid upload then succeeds and writes."""
    operations = upload_operations(client.get("/api/openapi.json").json)
    missing = [f"{m} {p}" for m, p, _schema in operations if (m, p) not in UPLOAD_OPERATIONS]
    assert not missing, f"upload operations without an entry in UPLOAD_OPERATIONS: {missing}"
    assert set(UPLOAD_OPERATIONS) <= {(m, p) for m, p, _s in operations}, "an upload is gone"
    for method, path, schema in operations:
        ctx = Ctx(app, client, clock)
        stage = UPLOAD_OPERATIONS[(method, path)](ctx)
        assert file_properties(schema), f"{method} {path}: no file field in its schema"
        sender = UploadSender(ctx, owner_engine, mailbox, api=True)
        unbounded = unbounded_strings(schema)
        failures = [f"string fields without maxLength: {unbounded}"] if unbounded else []
        cases = list(upload_cases(schema, stage.valid, stage.headers))
        failures += sender.failures(stage.url, method, cases, "application/json", judge_problem)
        assert not failures, f"{method} {stage.url}:\n" + "\n".join(failures)

        body, content_type = multipart(stage.valid)
        valid = Case(
            "valid", "the valid upload", data=body, content_type=content_type, headers=stage.headers
        )
        response, written = sender.send(stage.url, method, valid, "application/json")
        assert 200 <= response.status_code < 300, (
            f"the valid upload answered {response.status_code}"
        )
        assert "files" in written, f"the valid upload stored no file (wrote {written})"


class _ProbeSchema(Schema):
    name = ma.String(required=True, validate=validate.Length(max=40))
    seats = ma.Integer(required=True, validate=validate.Range(min=1, max=10))
    online = ma.Boolean()


PROBE = "/api/v1/bad-input-probe/things"


@pytest.fixture
def probe_app(app):
    """A JSON write operation built like the API's (core.api's Blueprint, strict Schema,
    `api_access` with a scope), so that the checks are known to work, bearer token
    included, before the first real one."""
    probe = Blueprint("bad_input_probe", __name__, url_prefix="/api/v1/bad-input-probe")

    @probe.route("/things", methods=["POST"])
    @api_access("referrals:write", owners=("partner",))
    @probe.arguments(_ProbeSchema)
    @probe.response(201)
    def create_thing(data: dict[str, Any]) -> dict[str, Any]:
        audit.record_security("probe.thing_created", details={"name": data["name"]})
        db.session.commit()
        return {}

    app.extensions["rest_api"].register_blueprint(probe)
    return app


def _probe_stage(ctx: Ctx) -> Stage:
    registered = oauth.register("partner", PartnerFactory().id, scopes=["referrals:write"])
    token = oauth.client_credentials_token(ctx.client, registered)
    valid = {"name": "Express mediation", "seats": 2, "online": True}
    return Stage(PROBE, valid, headers=oauth.bearer(token))


def test_the_json_checks_work_on_a_probe_operation(probe_app, client, clock, owner_engine, mailbox):
    # The real operations are in the document too: the probe is checked along with them.
    registry = {**JSON_OPERATIONS, ("POST", PROBE): _probe_stage}
    checked = check_every_json_operation(probe_app, client, clock, owner_engine, mailbox, registry)
    assert checked == len(registry)


def test_api_paths_answer_problem_json_and_pages_answer_html(client):
    for body in (b'{"name": ', b"{" + b" " * (ONE_MB + 1) + b"}"):
        response = client.post(
            "/api/v1/no-such-operation", data=body, content_type="application/json"
        )
        assert 400 <= response.status_code < 500
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == response.status_code
    page = client.post("/login", data={"email": TOO_LARGE}, headers={"Accept": "text/html"})
    assert page.status_code == 413
    assert page.mimetype == "text/html"
    assert ">413<" in page.get_data(as_text=True)
