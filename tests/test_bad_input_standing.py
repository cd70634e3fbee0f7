"""The standing bad-input test: every form of the web app and every JSON operation of
the OpenAPI document refuses bad input with a field error or a 4xx, never a 500, and
writes nothing. It enumerates the URL map and the OpenAPI document, so a form or an
operation added later is covered as it appears (a missing entry in FORMS or
JSON_OPERATIONS fails, it does not skip).

Web forms: every rule outside /api/ accepting POST, PUT, PATCH or DELETE has entries in
FORMS (one per form the endpoint can show: /account/two-factor turns on or off). Each
entry names its form class; the fields are read from it, and the entry's valid post
must name exactly those. Every form class of the app is in FORMS or GET_FORMS, and
every text field of every form has a maximum length. From the valid post, each case
changes one thing (tests/bad_input.py, form_cases):
  (a) each required field missing; (b) each field of the wrong type (an email, choice,
  number or date that is not one; text with a shape gets its value from the entry);
  (c) each text field one character over its maximum length; (d) an unknown field;
  every text field 100,000 characters long; (e) a body over 1 MB: url-encoded,
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
accepted post by its one fault only.

JSON operations: every /api/ rule taking a write method is an operation of
/api/openapi.json with a JSON request body (or is listed in BODYLESS_OPERATIONS), and
every such operation has an entry in JSON_OPERATIONS. Cases (tests/bad_input.py,
json_cases): malformed JSON (400), an array instead of an object, an unknown field,
each required property missing, each property of the wrong type, each string property
over its maxLength (422; a string property without one fails), a body over 1 MB with
and without Content-Length (413), and a text/plain body; all answer problem+json and
write nothing, and the valid body writes. Until the API has write operations, a probe
operation registered by the test runs the same checks.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO
from typing import Any, Literal

import pyotp
import pytest
from flask import Flask
from marshmallow import fields as ma
from marshmallow import validate

from core import audit
from core.accounts import forms as account_forms
from core.accounts.tokens import new_token
from core.api import Blueprint, Schema
from core.app import create_app
from core.clock import now
from core.db import db
from core.forms import ButtonForm, LocaleForm, StrictForm
from core.security import csrf as csrf_protect
from tenants import forms as center_forms
from tests.bad_input import (
    ONE_MB,
    UNKNOWN_FIELD,
    WRITE_METHODS,
    Case,
    PageErrors,
    all_form_classes,
    changed,
    form_cases,
    form_fields,
    json_cases,
    json_operations,
    snapshot,
    unbounded_strings,
)
from tests.factories import DEFAULT_PASSWORD, AccountTokenFactory, InvitationFactory, UserFactory
from tests.tenants.helpers import make_center, membership_of, refresh_csrf, sign_in

NEW_PASSWORD = "a brand new passphrase"
SIRET = "53298471300018"
# Forms sent with GET change nothing (no CSRF, no write): they only need their size
# limits. Each with the arguments its constructor needs.
GET_FORMS: dict[type, dict[str, Any]] = {center_forms.AuditFilterForm: {"members": []}}
BASE_FORMS = {StrictForm}  # bases of the others, never shown themselves


# --- the registry of web forms ----------------------------------------------------------


@dataclass
class Ctx:
    app: Flask
    client: Any
    clock: Any


@dataclass
class Stage:
    """Where a form posts and a valid post, once its entry's setup has run."""

    url: str
    valid: dict[str, str]


@dataclass(frozen=True)
class Form:
    label: str
    form: type
    setup: Callable[[Ctx], Stage]
    shows: Literal["field", "alert", "page"] = "field"
    # Values of the wrong shape for text fields that have one.
    wrong: dict[str, str] = field(default_factory=dict)


def _anonymous(url: str, valid: Callable[[], dict[str, str]]) -> Callable[[Ctx], Stage]:
    return lambda ctx: Stage(url, valid())


def _signed_in(url: str, valid: dict[str, str]) -> Callable[[Ctx], Stage]:
    def setup(ctx: Ctx) -> Stage:
        sign_in(ctx.client, UserFactory(locale="fr"))
        return Stage(url, valid)

    return setup


def _two_factor_user() -> tuple[Any, pyotp.TOTP]:
    totp = pyotp.TOTP(pyotp.random_base32())
    return UserFactory(totp_secret=totp.secret, totp_enabled_at=now()), totp


def _pending_second_factor(ctx: Ctx) -> Stage:
    user, totp = _two_factor_user()
    response = ctx.client.post_form("/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.headers["Location"].startswith("/login/two-factor")
    return Stage("/login/two-factor", {"code": totp.at(ctx.clock.now())})


def _enable_two_factor(ctx: Ctx) -> Stage:
    sign_in(ctx.client, UserFactory())
    page = ctx.client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'translate="no">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    return Stage("/account/two-factor", {"code": pyotp.TOTP(secret).at(ctx.clock.now())})


def _disable_two_factor(ctx: Ctx) -> Stage:
    user, totp = _two_factor_user()
    ctx.client.post_form("/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    response = ctx.client.post_form("/login/two-factor", {"code": totp.at(ctx.clock.now())})
    assert response.status_code == 303, response.status_code
    refresh_csrf(ctx.client)
    ctx.clock.advance(timedelta(seconds=31))  # a code works once: the valid post needs the next
    valid = {"password": DEFAULT_PASSWORD, "code": totp.at(ctx.clock.now())}
    return Stage("/account/two-factor", valid)


def _reset_link(ctx: Ctx) -> Stage:
    token, token_hash = new_token()
    expires_at = now() + timedelta(hours=1)
    AccountTokenFactory(token_hash=token_hash, purpose="reset_password", expires_at=expires_at)
    return Stage(f"/password/reset/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})


def _center_owner(ctx: Ctx) -> Any:
    center = make_center()
    sign_in(ctx.client, center.owner)
    return center


def _center_page(path: str, valid: dict[str, str]) -> Callable[[Ctx], Stage]:
    return lambda ctx: Stage(_center_owner(ctx).url(path), valid)


def _member(action: str, valid: dict[str, str]) -> Callable[[Ctx], Stage]:
    def setup(ctx: Ctx) -> Stage:
        center = _center_owner(ctx)
        membership = membership_of(center.tenant, center.case_manager)
        return Stage(center.url(f"members/{membership.id}/{action}"), valid)

    return setup


def _invitation(action: str) -> Callable[[Ctx], Stage]:
    def setup(ctx: Ctx) -> Stage:
        center = _center_owner(ctx)
        invitation = InvitationFactory(tenant=center.tenant)
        return Stage(center.url(f"invitations/{invitation.id}/{action}"), {})

    return setup


def _join(ctx: Ctx) -> Stage:
    center = make_center()
    token, token_hash = new_token()
    InvitationFactory(tenant=center.tenant, email="new.mediator@example.org", token_hash=token_hash)
    password = "another good password"
    valid = {"name": "Paul Renard", "password": password, "password_confirm": password}
    return Stage(center.url(f"join/{token}"), {**valid, "locale": "en"})


SIGNUP = {
    "legal_name": "Centre de médiation de Brest",
    "slug": "brest",
    "registration_number": SIRET,
    "country": "FR",
    "locale": "fr",
    "timezone": "Europe/Paris",
    "owner_name": "Jeanne Martin",
    "email": "jeanne.martin@example.org",
    "password": NEW_PASSWORD,
    "password_confirm": NEW_PASSWORD,
    "accept_terms": "y",
}
CENTER_SETTINGS = {
    "legal_name": "Centre de médiation, nouveau nom",
    "registration_number": SIRET,
    "country": "FR",
    "locale": "en",
    "timezone": "Europe/Brussels",
    "require_2fa_for_admins": "",
}
PASSWORDS = {"password": "short", "confirm": "not the same passphrase"}
PASSWORD_CONFIRM = {"password": "short", "password_confirm": "not the same passphrase"}
CODE = {"code": "12345a"}
SIRET_WRONG = {"registration_number": "12345678901234"}

FORMS: dict[tuple[str, str], tuple[Form, ...]] = {
    ("core.set_locale", "POST"): (
        Form(
            "language switch",
            LocaleForm,
            _signed_in("/locale", {"locale": "en", "next": "/account/settings"}),
            "page",
        ),
    ),
    ("accounts.login", "POST"): (
        Form(
            "sign-in",
            account_forms.LoginForm,
            _anonymous(
                "/login", lambda: {"email": UserFactory().email, "password": DEFAULT_PASSWORD}
            ),
        ),
    ),
    ("accounts.login_two_factor", "POST"): (
        Form("second factor", account_forms.TwoFactorLoginForm, _pending_second_factor, wrong=CODE),
    ),
    ("accounts.logout", "POST"): (Form("sign-out", ButtonForm, _signed_in("/logout", {}), "page"),),
    ("accounts.settings", "POST"): (
        Form(
            "account settings",
            account_forms.ProfileForm,
            _signed_in("/account/settings", {"name": "A New Name", "locale": "en"}),
        ),
    ),
    ("accounts.change_password", "POST"): (
        Form(
            "password change",
            account_forms.ChangePasswordForm,
            _signed_in(
                "/account/password",
                {
                    "current_password": DEFAULT_PASSWORD,
                    "password": NEW_PASSWORD,
                    "confirm": NEW_PASSWORD,
                },
            ),
            wrong=PASSWORDS,
        ),
    ),
    ("accounts.two_factor", "POST"): (
        Form(
            "turning two-factor on",
            account_forms.EnableTwoFactorForm,
            _enable_two_factor,
            wrong=CODE,
        ),
        Form(
            "turning two-factor off",
            account_forms.DisableTwoFactorForm,
            _disable_two_factor,
            wrong=CODE,
        ),
    ),
    ("accounts.forgot_password", "POST"): (
        Form(
            "forgotten password",
            account_forms.EmailForm,
            _anonymous("/password/forgot", lambda: {"email": UserFactory().email}),
        ),
    ),
    ("accounts.reset_password", "POST"): (
        Form("password reset", account_forms.ResetPasswordForm, _reset_link, wrong=PASSWORDS),
    ),
    ("accounts.resend_verification", "POST"): (
        Form(
            "new confirmation link",
            account_forms.EmailForm,
            _anonymous(
                "/verify-email/resend", lambda: {"email": UserFactory(email_verified_at=None).email}
            ),
        ),
    ),
    ("tenants.signup", "POST"): (
        Form(
            "center sign-up",
            center_forms.SignupForm,
            _anonymous("/signup", lambda: dict(SIGNUP)),
            wrong={"slug": "-Not a slug!", **SIRET_WRONG, **PASSWORD_CONFIRM},
        ),
    ),
    ("tenants.change_role", "POST"): (
        Form("role change", center_forms.RoleForm, _member("role", {"role": "admin"}), "alert"),
    ),
    ("tenants.remove_member", "POST"): (
        Form("member removal", center_forms.ConfirmForm, _member("remove", {}), "alert"),
    ),
    ("tenants.invite", "POST"): (
        Form(
            "invitation",
            center_forms.InviteForm,
            _center_page("invitations", {"email": "invitee@example.org", "role": "mediator"}),
        ),
    ),
    ("tenants.revoke_invitation", "POST"): (
        Form("invitation revocation", center_forms.ConfirmForm, _invitation("revoke"), "alert"),
    ),
    ("tenants.resend_invitation", "POST"): (
        Form("invitation resend", center_forms.ConfirmForm, _invitation("resend"), "alert"),
    ),
    ("tenants.settings", "POST"): (
        Form(
            "center settings",
            center_forms.SettingsForm,
            _center_page("settings", CENTER_SETTINGS),
            wrong=SIRET_WRONG,
        ),
    ),
    ("tenants.join", "POST"): (
        Form("joining through an invitation", center_forms.JoinForm, _join, wrong=PASSWORD_CONFIRM),
    ),
}


# --- enumeration (at collection time: parametrize needs the list before any fixture) -----


@functools.cache
def _url_map_app() -> Flask:
    config = {"TESTING": True, "SECRET_KEY": "url-map-only", "DATABASE_URL": "sqlite://"}
    return create_app({**config, "REDIS_URL": None})


def web_write_routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, method) of every web rule that takes a body (the API has its own test)."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            found.update((rule.endpoint, method) for method in rule.methods & WRITE_METHODS)
    return sorted(found)


def _form_params() -> list[Any]:
    params = []
    for endpoint, method in web_write_routes(_url_map_app()):
        for entry in FORMS.get((endpoint, method)) or (None,):
            label = entry.label if entry else "no entry in FORMS"
            params.append(
                pytest.param(endpoint, method, entry, id=f"{method} {endpoint} ({label})")
            )
    return params


# --- web forms ---------------------------------------------------------------------------


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

    def __init__(self, ctx: Ctx, engine: Any, mailbox: Any) -> None:
        self.ctx, self.engine, self.mailbox = ctx, engine, mailbox
        self.redis = ctx.app.extensions["redis"]

    def state(self) -> dict[str, str]:
        return snapshot(self.engine, self.redis, len(self.mailbox.messages))

    def send(self, url: str, method: str, case: Case, accept: str) -> tuple[Any, list[str]]:
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


def judge(case: Case, entry: Form, response: Any) -> str | None:
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
    cases = list(form_cases(fields, stage.valid, client.csrf_token(), entry.wrong))
    failures = []
    for case in cases:
        response, written = sender.send(stage.url, method, case, "text/html")
        problems = [judge(case, entry, response), f"wrote to {written}" if written else None]
        if any(problems):
            failures.append(f"{case}: {'; '.join(p for p in problems if p)}")
    assert not failures, f"{len(failures)} of {len(cases)} cases:\n" + "\n".join(failures)

    valid = Case("valid", "the valid post", data={"csrf_token": client.csrf_token(), **stage.valid})
    response, written = sender.send(stage.url, method, valid, "text/html")
    assert response.status_code < 400, f"the valid post answered {response.status_code}"
    assert written, "the valid post wrote nothing: the cases above prove nothing"


# --- JSON operations ------------------------------------------------------------------------


@dataclass
class ApiStage:
    url: str
    valid: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)  # e.g. a bearer token


# (METHOD, OpenAPI path) -> a setup returning the URL, a valid body and the auth headers.
JSON_OPERATIONS: dict[tuple[str, str], Callable[[Ctx], ApiStage]] = {}
# (METHOD, OpenAPI path) of API writes that take no body at all (a DELETE, an action).
BODYLESS_OPERATIONS: set[tuple[str, str]] = set()


def api_write_routes(app: Flask) -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) of every /api/ rule that accepts a write method."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found.update((method, path) for method in rule.methods & WRITE_METHODS)
    return found


def check_json_operation(
    sender: Sender, method: str, schema: dict[str, Any], stage: ApiStage
) -> None:
    unbounded = unbounded_strings(schema)
    failures = [f"string properties without maxLength: {unbounded}"] if unbounded else []
    for bad in json_cases(schema, stage.valid):
        case = Case(
            "json",
            bad.label,
            data=bad.body,
            content_type=bad.content_type,
            headers=stage.headers,
            chunked=bad.chunked,
        )
        response, written = sender.send(stage.url, method, case, "application/json")
        status, problems = response.status_code, []
        if response.mimetype != "application/problem+json":
            problems.append(f"answered {response.mimetype}")
        if not 400 <= status < 500 or bad.status not in (None, status):
            problems.append(f"answered {status}, not {bad.status or '4xx'}")
        if written:
            problems.append(f"wrote to {written}")
        if problems:
            failures.append(f"{bad.label}: {'; '.join(problems)}")
    assert not failures, f"{method} {stage.url}:\n" + "\n".join(failures)

    body = json.dumps(stage.valid).encode()
    valid = Case(
        "valid", "valid", data=body, content_type="application/json", headers=stage.headers
    )
    response, written = sender.send(stage.url, method, valid, "application/json")
    assert 200 <= response.status_code < 300, f"the valid body answered {response.status_code}"
    assert written, "the valid body wrote nothing: the cases above prove nothing"


def check_every_json_operation(app, client, clock, owner_engine, mailbox, registry) -> int:
    operations = json_operations(client.get("/api/openapi.json").json)
    # A view that reads its body by hand has no requestBody in the document: it would
    # escape the checks below.
    undeclared = api_write_routes(app) - {(m, p) for m, p, _s in operations} - BODYLESS_OPERATIONS
    assert not undeclared, (
        f"API writes whose OpenAPI operation declares no JSON body: {sorted(undeclared)}; "
        "declare it (@blp.arguments) or list the operation in BODYLESS_OPERATIONS"
    )
    missing = [f"{m} {p}" for m, p, _schema in operations if (m, p) not in registry]
    assert not missing, f"JSON operations without an entry in JSON_OPERATIONS: {missing}"
    for method, path, schema in operations:
        ctx = Ctx(app, client, clock)
        stage = registry[(method, path)](ctx)
        check_json_operation(Sender(ctx, owner_engine, mailbox), method, schema, stage)
    return len(operations)


def test_every_json_operation_refuses_bad_bodies(app, client, clock, owner_engine, mailbox):
    check_every_json_operation(app, client, clock, owner_engine, mailbox, JSON_OPERATIONS)


class _ProbeSchema(Schema):
    name = ma.String(required=True, validate=validate.Length(max=40))
    seats = ma.Integer(required=True, validate=validate.Range(min=1, max=10))
    online = ma.Boolean()


PROBE = "/api/v1/bad-input-probe/things"


@pytest.fixture
def probe_app(app):
    """A JSON write operation built like the API's (core.api's Blueprint and strict
    Schema), so that the checks are known to work before the first real one."""
    probe = Blueprint("bad_input_probe", __name__, url_prefix="/api/v1/bad-input-probe")

    @probe.route("/things", methods=["POST"])
    @probe.arguments(_ProbeSchema)
    @probe.response(201)
    def create_thing(data: dict[str, Any]) -> dict[str, Any]:
        audit.record_security("probe.thing_created", details={"name": data["name"]})
        db.session.commit()
        return {}

    csrf_protect.exempt(probe)  # a bearer-token API has no session cookie to protect
    app.extensions["rest_api"].register_blueprint(probe)
    return app


def test_the_json_checks_work_on_a_probe_operation(probe_app, client, clock, owner_engine, mailbox):
    valid = {"name": "Express mediation", "seats": 2, "online": True}
    registry = {("POST", PROBE): lambda ctx: ApiStage(PROBE, valid)}
    assert (
        check_every_json_operation(probe_app, client, clock, owner_engine, mailbox, registry) == 1
    )


def test_api_paths_answer_problem_json_and_pages_answer_html(client):
    for body in (b'{"name": ', b"{" + b" " * (ONE_MB + 1) + b"}"):
        response = client.post(
            "/api/v1/no-such-operation", data=body, content_type="application/json"
        )
        assert 400 <= response.status_code < 500
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == response.status_code
    page = client.post(
        "/login", data={"email": "x" * (ONE_MB + 1)}, headers={"Accept": "text/html"}
    )
    assert page.status_code == 413
    assert page.mimetype == "text/html"
    assert ">413<" in page.get_data(as_text=True)
