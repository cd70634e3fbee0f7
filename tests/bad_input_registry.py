"""The registry of the standing bad-input test (tests/test_bad_input_standing.py): for
each web route that takes a body, the forms it can show and how to reach each one with
a valid post; for each JSON operation, how to reach it with a valid body.

Adding a form: every rule outside /api/ accepting POST, PUT, PATCH or DELETE needs
entries in FORMS under (endpoint, METHOD), one per form the endpoint can show
(/account/two-factor turns on or off). A missing entry fails the test. An entry gives:
  - a label, shown in the test id;
  - its form class: the fields are read from it;
  - a setup that signs in and creates what the form needs, then returns the URL to
    post to and a valid post naming exactly the form's fields (it must succeed and
    write: each case differs from it by one fault);
  - where the form shows its errors: "field" (on the control itself, the default),
    "alert" (the inline and one-button forms of the members page) or "page" (a 400
    error page: the navigation bar's sign-out and language buttons);
  - `wrong`: a value of the wrong shape for each text field that has a shape (a code
    that must be digits, passwords that must match...); other fields get theirs from
    their class (tests/bad_input.py, WRONG_BY_TYPE).
A form class only sent with GET (it writes nothing) goes in GET_FORMS instead, with the
arguments its constructor needs; a base class never shown itself, in BASE_FORMS.

Adding a JSON operation: an entry in JSON_OPERATIONS under (METHOD, OpenAPI path),
whose setup returns the URL, a valid body and the auth headers. An API write that
takes no body at all goes in BODYLESS_OPERATIONS.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlencode

import pyotp
from flask import Flask

from core.accounts import forms as account_forms
from core.accounts.tokens import new_token
from core.clock import now
from core.db import db
from core.forms import ButtonForm, LocaleForm, StrictForm
from core.oauth.clients import disable_client
from core.oauth.forms import ConsentForm
from core.tenancy import tenant_scope
from tenants import forms as center_forms
from tests.factories import (
    DEFAULT_PASSWORD,
    AccountTokenFactory,
    InvitationFactory,
    OAuthTokenFactory,
    UserFactory,
)
from tests.oauth import pkce_pair, register
from tests.tenants.helpers import Center, make_center, membership_of, refresh_csrf, sign_in


@dataclass
class Ctx:
    app: Flask
    client: Any
    clock: Any


@dataclass
class Stage:
    """Where a form posts or a JSON operation is sent, and a valid body, once the
    entry's setup has run."""

    url: str
    valid: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)  # JSON: e.g. a bearer token


@dataclass(frozen=True)
class Form:
    label: str
    form: type
    setup: Callable[[Ctx], Stage]
    shows: Literal["field", "alert", "page"] = "field"
    # Values of the wrong shape for text fields that have one.
    wrong: dict[str, str] = field(default_factory=dict)


# --- setups ------------------------------------------------------------------------------

NEW_PASSWORD = "a brand new passphrase"
SIRET = "53298471300018"


def _anonymous(url: str, valid: Callable[[], dict[str, str]]) -> Callable[[Ctx], Stage]:
    return lambda ctx: Stage(url, valid())


def _signed_in(url: str, valid: dict[str, str]) -> Callable[[Ctx], Stage]:
    def setup(ctx: Ctx) -> Stage:
        sign_in(ctx.client, UserFactory(locale="fr"))
        return Stage(url, valid)

    return setup


def _past_the_password(ctx: Ctx) -> pyotp.TOTP:
    """Signs a user with two-factor on in up to the second step; returns their codes."""
    totp = pyotp.TOTP(pyotp.random_base32())
    user = UserFactory(totp_secret=totp.secret, totp_enabled_at=now())
    response = ctx.client.post_form("/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.headers["Location"].startswith("/login/two-factor")
    return totp


def _pending_second_factor(ctx: Ctx) -> Stage:
    totp = _past_the_password(ctx)
    return Stage("/login/two-factor", {"code": totp.at(ctx.clock.now())})


def _enable_two_factor(ctx: Ctx) -> Stage:
    sign_in(ctx.client, UserFactory())
    page = ctx.client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'translate="no">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    return Stage("/account/two-factor", {"code": pyotp.TOTP(secret).at(ctx.clock.now())})


def _disable_two_factor(ctx: Ctx) -> Stage:
    totp = _past_the_password(ctx)
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


def _as_center_owner(
    path: Callable[[Center], str], valid: dict[str, str]
) -> Callable[[Ctx], Stage]:
    """The page `path(center)` of a new center, its owner signed in."""

    def setup(ctx: Ctx) -> Stage:
        center = make_center()
        sign_in(ctx.client, center.owner)
        return Stage(center.url(path(center)), valid)

    return setup


def _center_page(path: str, valid: dict[str, str]) -> Callable[[Ctx], Stage]:
    return _as_center_owner(lambda _center: path, valid)


def _member(action: str, valid: dict[str, str]) -> Callable[[Ctx], Stage]:
    def path(center: Center) -> str:
        return f"members/{membership_of(center.tenant, center.case_manager).id}/{action}"

    return _as_center_owner(path, valid)


def _invitation(action: str) -> Callable[[Ctx], Stage]:
    def path(center: Center) -> str:
        return f"invitations/{InvitationFactory(tenant=center.tenant).id}/{action}"

    return _as_center_owner(path, {})


def _integration(action: str, disabled: bool = False) -> Callable[[Ctx], Stage]:
    """A button of an API client's page, the client registered by the center."""

    def path(center: Center) -> str:
        client = register("tenant", center.tenant.id).client
        if disabled:
            with tenant_scope(center.tenant.id):
                disable_client(client)
                db.session.commit()
        return f"integrations/{client.id}/{action}"

    return _as_center_owner(path, {})


def _connected_application(ctx: Ctx) -> Stage:
    """Withdrawing what a signed-in person granted to a center's application."""
    user = UserFactory()
    client = register("tenant", make_center().tenant.id).client
    OAuthTokenFactory(
        client_pk=client.id, user_id=user.id, grant_type="authorization_code", scope="profile"
    )
    sign_in(ctx.client, user)
    return Stage(f"/account/applications/{client.id}/revoke", {})


def _consent(ctx: Ctx) -> Stage:
    """The consent page of an authorization request with PKCE, as an application sends."""
    registered = register("tenant", make_center().tenant.id)
    sign_in(ctx.client, UserFactory())
    _verifier, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": registered.client.redirect_uris[0],
        "scope": "profile",
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return Stage(f"/oauth/authorize?{urlencode(query)}", {"decision": "allow"})


def _join(ctx: Ctx) -> Stage:
    center = make_center()
    token, token_hash = new_token()
    InvitationFactory(tenant=center.tenant, email="new.mediator@example.org", token_hash=token_hash)
    password = "another good password"
    valid = {"name": "Paul Renard", "password": password, "password_confirm": password}
    return Stage(center.url(f"join/{token}"), {**valid, "locale": "en"})


# --- valid posts and wrong values ----------------------------------------------------------

SIGNUP = {
    "legal_name": "Centre de médiation de Brest",
    "slug": "brest",
    "registration_number": SIRET,
    "city": "Brest",
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
    "city": "Quimper",
    "country": "FR",
    "locale": "en",
    "timezone": "Europe/Brussels",
    "require_2fa_for_admins": "",
}
API_CLIENT = {
    "name": "CaseBook Pro",
    "client_type": "confidential",
    "grant_types": ["client_credentials", "authorization_code", "refresh_token"],
    "scopes": ["referrals:read", "profile"],
    "redirect_uris": "https://app.example.org/callback\nhttp://127.0.0.1:8400/callback",
}
PASSWORDS = {"password": "short", "confirm": "not the same passphrase"}
PASSWORD_CONFIRM = {"password": "short", "password_confirm": "not the same passphrase"}
CODE = {"code": "12345a"}
SIRET_WRONG = {"registration_number": "12345678901234"}


# --- web forms ---------------------------------------------------------------------------

# (endpoint, METHOD) -> the forms the endpoint can show.
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
    ("tenants.new_integration", "POST"): (
        Form(
            "API client registration",
            center_forms.ClientForm,
            _center_page("integrations/new", API_CLIENT),
            wrong={"redirect_uris": "http://app.example.org/callback"},
        ),
    ),
    ("tenants.rotate_integration_secret", "POST"): (
        Form(
            "API client secret rotation",
            center_forms.ConfirmForm,
            _integration("rotate-secret"),
            "alert",
        ),
    ),
    ("tenants.disable_integration", "POST"): (
        Form("API client disabling", center_forms.ConfirmForm, _integration("disable"), "alert"),
    ),
    ("tenants.enable_integration", "POST"): (
        Form(
            "API client enabling",
            center_forms.ConfirmForm,
            _integration("enable", disabled=True),
            "alert",
        ),
    ),
    ("accounts.revoke_application", "POST"): (
        Form("withdrawing an application's access", ButtonForm, _connected_application, "alert"),
    ),
    ("oauth.authorize", "POST"): (Form("consent", ConsentForm, _consent, "alert"),),
    ("tenants.join", "POST"): (
        Form("joining through an invitation", center_forms.JoinForm, _join, wrong=PASSWORD_CONFIRM),
    ),
}
# Forms sent with GET change nothing (no CSRF, no write): they only need their size
# limits. Each with the arguments its constructor needs.
GET_FORMS: dict[type, dict[str, Any]] = {center_forms.AuditFilterForm: {"members": []}}
BASE_FORMS = {StrictForm}  # bases of the others, never shown themselves


# --- JSON operations ------------------------------------------------------------------------

# (METHOD, OpenAPI path) -> a setup returning the URL, a valid body and the auth headers.
JSON_OPERATIONS: dict[tuple[str, str], Callable[[Ctx], Stage]] = {}
# (METHOD, OpenAPI path) of API writes that take no body at all (a DELETE, an action).
BODYLESS_OPERATIONS: set[tuple[str, str]] = set()
