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
takes no body at all goes in BODYLESS_OPERATIONS. A POST that only looks something up
(credential verification) also goes in LOOKUP_OPERATIONS: its valid body must succeed
and write nothing. An upload (a multipart/form-data body) goes in UPLOAD_OPERATIONS
instead, its valid form giving each file as a (bytes, name) pair.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
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
from core.credentials import forms as credential_forms
from core.credentials.catalogue import by_code
from core.credentials.catalogue_views import NewSchemeForm, SchemeForm
from core.credentials.credential_views import VerifyForm
from core.credentials.reminders import unsubscribe
from core.credentials.reminders.forms import OneClickForm
from core.credentials.reminders.models import ReminderKind
from core.credentials.signed import issue_credential
from core.db import db
from core.forms import ButtonForm, LocaleForm, StrictForm
from core.oauth.clients import disable_client
from core.oauth.forms import ConsentForm
from core.tenancy import tenant_scope
from marketplace.contact import CenterContactForm, MediatorContactForm
from referrals import fee_forms, partner_forms
from referrals import forms as referral_forms
from referrals import partner_webhook_forms as webhook_forms
from referrals.models import ReferralStatus
from tenants import billing_forms, mediator_forms, storefront_forms
from tenants import forms as center_forms
from tests import factories as all_factories
from tests import mediator_api
from tests.factories import (
    DEFAULT_PASSWORD,
    AccountTokenFactory,
    AffiliationFactory,
    CertificationFactory,
    CertificationSchemeFactory,
    InvitationFactory,
    MediatorProfileFactory,
    OAuthTokenFactory,
    PartnerFactory,
    PartnerInvitationFactory,
    ReferralFactory,
    TenantFactory,
    TrainingRecordFactory,
    UserFactory,
)
from tests.oauth import pkce_pair, register
from tests.referrals import fee_helpers
from tests.referrals import helpers as referral_helpers
from tests.referrals.partner_helpers import make_partner
from tests.referrals.partner_helpers import membership_of as partner_membership_of
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
    # False for a lookup posted as a form (the credential verification page): its valid
    # post must succeed and write nothing, like each bad one.
    writes: bool = True


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


def _a_credential() -> str:
    """A credential the platform signed, of a new mediator's certification."""
    certification = CertificationFactory()
    return issue_credential(certification, certification.profile, certification.scheme)


def _credential_verification(ctx: Ctx) -> Stage:
    return Stage("/credentials/verify", {"credential": _a_credential(), "file": ""})


def _unsubscribe_link(ctx: Ctx) -> Stage:
    """A reminder's one-click unsubscribe link (RFC 8058): no session and no CSRF token,
    the signed link is the proof; the body is what a mail client posts."""
    token = unsubscribe.token_for(UserFactory().id, ReminderKind.HOURS_SHORT)
    return Stage(f"/unsubscribe/{token}", {"List-Unsubscribe": "One-Click"})


def _as_staff(path: Callable[[], str], valid: dict[str, str]) -> Callable[[Ctx], Stage]:
    def setup(ctx: Ctx) -> Stage:
        sign_in(ctx.client, UserFactory(is_staff=True))
        return Stage(path(), valid)

    return setup


def _mediator_page(
    path: Callable[[Any], str], valid: Callable[[Any], dict[str, Any]]
) -> Callable[[Ctx], Stage]:
    """A page of a signed-in mediator's own file; `path` and `valid` take their profile."""

    def setup(ctx: Ctx) -> Stage:
        profile = MediatorProfileFactory(user=UserFactory(locale="en"))
        sign_in(ctx.client, profile.user)
        return Stage(path(profile), valid(profile))

    return setup


def _own_record(action: str) -> Callable[[Ctx], Stage]:
    valid = {} if action == "delete" else TRAINING_RECORD
    return _mediator_page(
        lambda profile: (
            f"/me/training/records/{TrainingRecordFactory(profile=profile).id}/{action}"
        ),
        lambda _profile: valid,
    )


def _own_certification(ctx: Ctx) -> Stage:
    held = CertificationFactory(profile=MediatorProfileFactory(user=UserFactory(locale="en")))
    sign_in(ctx.client, held.profile.user)
    valid = {**CERTIFICATION, "scheme_code": held.scheme.code}
    return Stage(f"/me/training/certifications/{held.id}/edit", valid)


def _center_mediator(
    path: Callable[[Center, Any], str], unclaimed: bool = False
) -> Callable[[Ctx], Stage]:
    """A page of a mediator the center works with (consenting to a public listing),
    whose file holds a pending record and certification; its owner signed in."""

    def setup(ctx: Ctx) -> Stage:
        center = make_center(locale="en")
        profile = MediatorProfileFactory(
            listed_publicly=True, **({"user": None} if unclaimed else {})
        )
        AffiliationFactory(tenant=center.tenant, profile=profile)
        sign_in(ctx.client, center.owner)
        return Stage(center.url(f"mediators/{profile.id}{path(center, profile)}"), {})

    return setup


def _with_post(setup: Callable[[Ctx], Stage], valid: dict[str, str]) -> Callable[[Ctx], Stage]:
    def with_valid(ctx: Ctx) -> Stage:
        stage = setup(ctx)
        return Stage(stage.url, valid)

    return with_valid


def _decision(kind: str, action: str) -> Callable[[Ctx], Stage]:
    def path(_center: Center, profile: Any) -> str:
        factory = TrainingRecordFactory if kind == "records" else CertificationFactory
        return f"/{kind}/{factory(profile=profile).id}/{action}"

    valid = {"reason": "L'attestation est illisible."} if action == "reject" else {}
    return _with_post(_center_mediator(path), valid)


def _claim_link(ctx: Ctx, *, account: bool) -> tuple[str, Any]:
    """A center's link for a new profile it made, to a person with or without an account."""
    from tenants.models import Affiliation
    from tenants.services.mediator_claims import claim_token

    center = make_center(locale="en")
    profile = MediatorProfileFactory(user=None, created_by_tenant_id=center.tenant.id)
    with tenant_scope(center.tenant.id):
        db.session.add(Affiliation(profile_id=profile.id))
        db.session.commit()
    email = "claire.dupont@example.org"
    user = UserFactory(email=email, locale="en") if account else None
    return f"/claim/{claim_token(profile.id, center.tenant.id, email)}", user


def _claim_new_account(ctx: Ctx) -> Stage:
    url, _user = _claim_link(ctx, account=False)
    password = "another good password"
    valid = {"name": "Claire Dupont", "password": password, "password_confirm": password}
    return Stage(url, {**valid, "locale": "en"})


def _claim_signed_in(ctx: Ctx) -> Stage:
    url, user = _claim_link(ctx, account=True)
    sign_in(ctx.client, user)
    return Stage(url, {})


def _marketplace_contact(about_mediator: bool) -> Callable[[Ctx], Stage]:
    """The public contact form of a listed mediator's or center's page, anonymous."""

    def setup(ctx: Ctx) -> Stage:
        from marketplace.models import MediatorListing
        from tests.marketplace.helpers import listed_center, listed_mediator, settle

        center = listed_center()
        mediator = listed_mediator(center)
        settle(ctx.app)
        valid = {
            "name": "Paul Martin",
            "email": "paul.martin@example.net",
            "message": "We need a family mediation in Paris.",
            "consent": "y",
            "website": "",
        }
        if not about_mediator:
            return Stage(f"/marketplace/centers/{center.slug}/contact", valid)
        slug = db.session.get(MediatorListing, mediator.id).slug
        return Stage(f"/marketplace/mediators/{slug}/contact", {**valid, "center": center.slug})

    return setup


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
SCHEME = {
    "name": "Médiateur certifié, nouvelle version",
    "issuing_body": "Organisme certificateur",
    "country": "FR",
    "active": "y",
    "rules": json.dumps(by_code("fr-ffcm").row()["rules"]),
    "sources": '[{"url": "https://www.example.org/referentiel"}]',
}
SCHEME_WRONG = {"country": "France", "rules": '{"initial": null', "sources": "not json"}
SIRET_WRONG = {"registration_number": "12345678901234"}
MEDIATOR_PROFILE: dict[str, Any] = {
    "display_name": "Claire Dubois",
    "title": "Médiatrice familiale",
    "bio_fr": "Médiatrice depuis 2012.",
    "bio_en": "Mediator since 2012.",
    "photo": "",
    "remove_photo": "",
    "languages": ["fr", "en"],
    "specialties": ["family"],
    "regions": ["FR-69", "BE"],
    "modes": ["online"],
    "rate_min_eur": "90",
    "rate_max_eur": "150",
    "listed_publicly": "y",
    **{
        f"registration_{part}_{row}": value if row == 0 else ""
        for row in range(10)
        for part, value in (("kind", "court_of_appeal"), ("name", "Lyon"), ("number", "12"))
    },
}
TRAINING_RECORD = {
    "title": "Formation continue : la médiation en ligne",
    "provider": "Institut de formation à la médiation",
    "kind": "continuing_education",
    "hours": "10",
    "started_on": "2025-05-10",
    "ended_on": "2025-05-11",
    "mediations": "",
    "evidence": "",
}
CERTIFICATION = {
    "number": "FFCM-2024-117",
    "issued_on": "2024-06-01",
    "expires_on": "",
    "stage": "definitive",
    "evidence": "",
}


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
    ("credentials_public.verify", "POST"): (
        Form("credential verification", VerifyForm, _credential_verification, writes=False),
    ),
    ("reminders.unsubscribe", "POST"): (
        Form(
            "one-click unsubscribe",
            OneClickForm,
            _unsubscribe_link,
            "alert",
            wrong={"List-Unsubscribe": "Two-Clicks"},
        ),
    ),
    ("schemes_staff.new", "POST"): (
        Form(
            "new certification scheme",
            NewSchemeForm,
            _as_staff(lambda: "/staff/schemes/new", {**SCHEME, "code": "fr-new-scheme"}),
            wrong={**SCHEME_WRONG, "code": "Not a code!"},
        ),
    ),
    ("schemes_staff.edit", "POST"): (
        Form(
            "certification scheme",
            SchemeForm,
            _as_staff(lambda: f"/staff/schemes/{CertificationSchemeFactory().id}", SCHEME),
            wrong=SCHEME_WRONG,
        ),
    ),
    ("credentials.profile", "POST"): (
        Form(
            "mediator profile",
            credential_forms.ProfileForm,
            _signed_in("/me/profile", MEDIATOR_PROFILE),
        ),
    ),
    ("credentials.new_record", "POST"): (
        Form(
            "new training record",
            credential_forms.RecordForm,
            _mediator_page(lambda _p: "/me/training/records/new", lambda _p: TRAINING_RECORD),
        ),
    ),
    ("credentials.edit_record", "POST"): (
        Form("training record", credential_forms.RecordForm, _own_record("edit")),
    ),
    ("credentials.delete_record", "POST"): (
        Form("training record deletion", ButtonForm, _own_record("delete"), "alert"),
    ),
    ("credentials.new_certification", "POST"): (
        Form(
            "new certification",
            credential_forms.CertificationForm,
            _mediator_page(
                lambda _p: "/me/training/certifications/new",
                lambda _p: {**CERTIFICATION, "scheme_code": CertificationSchemeFactory().code},
            ),
        ),
    ),
    ("credentials.edit_certification", "POST"): (
        Form("certification", credential_forms.CertificationForm, _own_certification),
    ),
    ("mediators.index", "POST"): (
        Form(
            "adding a mediator",
            mediator_forms.AddMediatorForm,
            _center_page(
                "mediators",
                {"email": "jean.dupont@example.org", "display_name": "Jean Dupont", "title": ""},
            ),
        ),
    ),
    ("mediators.show", "POST"): (
        Form(
            "a mediator's affiliation",
            mediator_forms.AffiliationForm,
            _with_post(
                _center_mediator(lambda _c, _p: ""),
                {
                    "status": "active",
                    "rate_eur": "162,50",
                    "internal_notes": "Disponible le jeudi.",
                    "published": "y",
                },
            ),
            wrong={"rate_eur": "twelve"},
        ),
    ),
    ("mediators.send_claim_link", "POST"): (
        Form(
            "a new claim link",
            mediator_forms.ClaimLinkForm,
            _with_post(
                _center_mediator(lambda _c, _p: "/claim-link", unclaimed=True),
                {"email": "jean.dupont@example.org"},
            ),
        ),
    ),
    ("mediators.verify_record", "POST"): (
        Form(
            "verifying a record", center_forms.ConfirmForm, _decision("records", "verify"), "alert"
        ),
    ),
    ("mediators.reject_record", "POST"): (
        Form("rejecting a record", mediator_forms.RejectForm, _decision("records", "reject")),
    ),
    ("mediators.verify_certification", "POST"): (
        Form(
            "verifying a certification",
            center_forms.ConfirmForm,
            _decision("certifications", "verify"),
            "alert",
        ),
    ),
    ("mediators.reject_certification", "POST"): (
        Form(
            "rejecting a certification",
            mediator_forms.RejectForm,
            _decision("certifications", "reject"),
        ),
    ),
    ("mediator_claims.claim", "POST"): (
        Form(
            "claiming a profile with a new account",
            center_forms.JoinForm,
            _claim_new_account,
            wrong=PASSWORD_CONFIRM,
        ),
        Form("claiming a profile, signed in", center_forms.ConfirmForm, _claim_signed_in, "alert"),
    ),
    ("marketplace.contact_mediator", "POST"): (
        Form(
            "contacting a mediator on the marketplace",
            MediatorContactForm,
            _marketplace_contact(about_mediator=True),
        ),
    ),
    ("marketplace.contact_center", "POST"): (
        Form(
            "contacting a center on the marketplace",
            CenterContactForm,
            _marketplace_contact(about_mediator=False),
        ),
    ),
}
# Forms sent with GET change nothing (no CSRF, no write): they only need their size
# limits. Each with the arguments its constructor needs.
GET_FORMS: dict[type, dict[str, Any]] = {
    center_forms.AuditFilterForm: {"members": []},
    mediator_forms.ComplianceFilterForm: {"schemes": []},
}
BASE_FORMS = {StrictForm}  # bases of the others, never shown themselves


# --- the center's marketplace page, offers and inquiries (tenants.storefront, .inquiries) ---

CENTER_PAGE = {
    "presentation_fr": "Un centre de médiation à Lyon.",
    "presentation_en": "A mediation center in Lyon.",
    "address": "24 rue de la République",
    "postal_code": "69002",
    "service_area": ["FR-69", "FR-01"],
    "languages": ["fr", "en"],
    "website": "https://www.centre-lyon.example",
    "contact_email": "contact@centre-lyon.example",
    "contact_phone": "+33 4 65 71 00 10",
    "require_compliance": "y",
    "published": "y",
}
OFFER = {
    "name": "Médiation express",
    "kind": "express",
    "included": "Une séance commune de deux heures.",
    "duration_minutes": "120",
    "sessions": "1",
    "price_excl_vat": "180,50",
    "vat_rate": "20",
    "pricing": "per_party",
    "mode": "in_person",
    "steps": "Entretien préalable\nSéance commune\nAccord écrit",
    "position": "1",
    "published": "y",
}
OFFER_WRONG = {"price_excl_vat": "twelve", "vat_rate": "-5", "steps": "x" * 201}


def _center_offer(action: str, valid: dict[str, Any], **fields: Any) -> Callable[[Ctx], Stage]:
    def path(center: Center) -> str:
        offer = all_factories.OfferFactory(tenant=center.tenant, **fields)
        return f"marketplace/offers/{offer.id}{action}"

    return _as_center_owner(path, valid)


def _center_inquiry(center: Center) -> str:
    return f"inquiries/{all_factories.InquiryFactory(tenant=center.tenant).id}"


FORMS.update(
    {
        ("storefront.page", "POST"): (
            Form(
                "the center's marketplace page",
                storefront_forms.CenterPageForm,
                _center_page("marketplace/page", CENTER_PAGE),
                wrong={
                    "website": "not a web address",
                    "contact_phone": "call me",
                    "postal_code": "69-002!",
                },
            ),
        ),
        ("storefront.new_offer", "POST"): (
            Form(
                "a new offer",
                storefront_forms.OfferForm,
                _center_page("marketplace/offers/new", OFFER),
                wrong=OFFER_WRONG,
            ),
        ),
        ("storefront.edit_offer", "POST"): (
            Form(
                "an offer", storefront_forms.OfferForm, _center_offer("", OFFER), wrong=OFFER_WRONG
            ),
        ),
        ("storefront.publish_offer", "POST"): (
            Form(
                "publishing an offer",
                center_forms.ConfirmForm,
                _center_offer("/publish", {}, published=False),
                "alert",
            ),
        ),
        ("storefront.unpublish_offer", "POST"): (
            Form(
                "unpublishing an offer",
                center_forms.ConfirmForm,
                _center_offer("/unpublish", {}),
                "alert",
            ),
        ),
        ("storefront.delete_offer", "POST"): (
            Form(
                "deleting an offer", center_forms.ConfirmForm, _center_offer("/delete", {}), "alert"
            ),
        ),
        ("inquiries.show", "POST"): (
            Form(
                "an inquiry's status",
                storefront_forms.InquiryStatusForm,
                _as_center_owner(_center_inquiry, {"status": "in_progress"}),
            ),
        ),
    }
)
GET_FORMS[storefront_forms.InquiryFilterForm] = {}


# --- a partner's sign-up, members, invitations and API clients (referrals.partner_views) --

PARTNER_SIGNUP = {
    "name": "Cabinet Roux Avocats",
    "kind": "law_firm",
    "registration_number": SIRET,
    "country": "FR",
    "accept_terms": "y",
}
PARTNER_ADMIN = {
    "admin_name": "Jeanne Roux",
    "email": "jeanne.roux@example.org",
    "password": NEW_PASSWORD,
    "password_confirm": NEW_PASSWORD,
}
PARTNER_API_CLIENT = {**API_CLIENT, "scopes": ["referrals:read", "webhooks:manage"], "sandbox": "y"}


def _as_partner_admin(path: Callable[[Any], str], valid: dict[str, Any]) -> Callable[[Ctx], Stage]:
    """The page `path(org)` of a new partner, its administrator signed in."""

    def setup(ctx: Ctx) -> Stage:
        org = make_partner()
        sign_in(ctx.client, org.admin)
        return Stage(org.url(path(org)), valid)

    return setup


def _partner_member(action: str, valid: dict[str, str]) -> Callable[[Ctx], Stage]:
    def path(org: Any) -> str:
        return f"members/{partner_membership_of(org.partner, org.referrer).id}/{action}"

    return _as_partner_admin(path, valid)


def _partner_invitation(action: str) -> Callable[[Ctx], Stage]:
    def path(org: Any) -> str:
        return f"invitations/{PartnerInvitationFactory(partner=org.partner).id}/{action}"

    return _as_partner_admin(path, {})


def _partner_integration(action: str, disabled: bool = False) -> Callable[[Ctx], Stage]:
    def path(org: Any) -> str:
        client = register("partner", org.partner.id).client
        if disabled:
            disable_client(client)
            db.session.commit()
        return f"integrations/{client.id}/{action}"

    return _as_partner_admin(path, {})


def _partner_join(ctx: Ctx) -> Stage:
    org = make_partner()
    token, token_hash = new_token()
    PartnerInvitationFactory(
        partner=org.partner, email="new.referrer@example.org", token_hash=token_hash
    )
    password = "another good password"
    valid = {"name": "Paul Renard", "password": password, "password_confirm": password}
    return Stage(org.url(f"join/{token}"), {**valid, "locale": "en"})


FORMS.update(
    {
        ("partners.signup", "POST"): (
            Form(
                "partner sign-up",
                partner_forms.PartnerSignupForm,
                _anonymous("/partners/signup", lambda: {**PARTNER_SIGNUP, **PARTNER_ADMIN}),
                wrong={**SIRET_WRONG, **PASSWORD_CONFIRM},
            ),
            Form(
                "partner sign-up, signed in",
                partner_forms.PartnerSignupSignedInForm,
                _signed_in("/partners/signup", PARTNER_SIGNUP),
                wrong=SIRET_WRONG,
            ),
        ),
        ("partners.change_role", "POST"): (
            Form(
                "a partner member's role",
                partner_forms.PartnerRoleForm,
                _partner_member("role", {"role": "admin"}),
                "alert",
            ),
        ),
        ("partners.remove_member", "POST"): (
            Form(
                "a partner member's removal",
                center_forms.ConfirmForm,
                _partner_member("remove", {}),
                "alert",
            ),
        ),
        ("partners.invite", "POST"): (
            Form(
                "a partner invitation",
                partner_forms.PartnerInviteForm,
                _as_partner_admin(
                    lambda _org: "invitations", {"email": "invitee@example.org", "role": "referrer"}
                ),
            ),
        ),
        ("partners.revoke_invitation", "POST"): (
            Form(
                "a partner invitation's revocation",
                center_forms.ConfirmForm,
                _partner_invitation("revoke"),
                "alert",
            ),
        ),
        ("partners.resend_invitation", "POST"): (
            Form(
                "a partner invitation sent again",
                center_forms.ConfirmForm,
                _partner_invitation("resend"),
                "alert",
            ),
        ),
        ("partners.join", "POST"): (
            Form(
                "joining a partner through an invitation",
                center_forms.JoinForm,
                _partner_join,
                wrong=PASSWORD_CONFIRM,
            ),
        ),
        ("partners.new_integration", "POST"): (
            Form(
                "a partner's API client registration",
                partner_forms.PartnerClientForm,
                _as_partner_admin(lambda _org: "integrations/new", PARTNER_API_CLIENT),
                wrong={"redirect_uris": "http://app.example.org/callback"},
            ),
        ),
        ("partners.rotate_integration_secret", "POST"): (
            Form(
                "a partner's API client secret rotation",
                center_forms.ConfirmForm,
                _partner_integration("rotate-secret"),
                "alert",
            ),
        ),
        ("partners.disable_integration", "POST"): (
            Form(
                "a partner's API client disabling",
                center_forms.ConfirmForm,
                _partner_integration("disable"),
                "alert",
            ),
        ),
        ("partners.enable_integration", "POST"): (
            Form(
                "a partner's API client enabling",
                center_forms.ConfirmForm,
                _partner_integration("enable", disabled=True),
                "alert",
            ),
        ),
    }
)


# --- a partner's webhook pages (referrals.partner_webhooks) -------------------------------

WEBHOOK_ENDPOINT = {
    "url": "https://hooks.cabinet.example/mediation",
    "description": "Logiciel du cabinet",
    "event_types": ["referral.accepted", "referral.declined"],
}
# The URL's shape is the service's rule (https only, no user name, no private address).
WEBHOOK_URL_WRONG = {"url": "ftp://hooks.cabinet.example/mediation"}


def _partner_webhook(
    path: Callable[[Any], str], valid: dict[str, Any], enabled: bool = True
) -> Callable[[Ctx], Stage]:
    """A page of one of a new partner's webhook endpoints; `path` takes the endpoint,
    whose host resolves to a loopback address that deliveries refuse."""

    def endpoint_path(org: Any) -> str:
        endpoint = all_factories.WebhookEndpointFactory(
            partner_id=org.partner.id, url="https://localhost:9/hooks", enabled=enabled
        )
        return path(endpoint)

    return _as_partner_admin(endpoint_path, valid)


def _webhook_button(label: str, path: Callable[[Any], str], enabled: bool = True) -> Form:
    return Form(label, center_forms.ConfirmForm, _partner_webhook(path, {}, enabled), "alert")


FORMS.update(
    {
        ("partners.new_webhook_endpoint", "POST"): (
            Form(
                "a partner's new webhook endpoint",
                webhook_forms.WebhookEndpointForm,
                _as_partner_admin(lambda _org: "webhooks/new", WEBHOOK_ENDPOINT),
                wrong=WEBHOOK_URL_WRONG,
            ),
        ),
        ("partners.edit_webhook_endpoint", "POST"): (
            Form(
                "a partner's webhook endpoint edited",
                webhook_forms.WebhookEndpointForm,
                _partner_webhook(lambda e: f"webhooks/{e.id}/edit", WEBHOOK_ENDPOINT),
                wrong=WEBHOOK_URL_WRONG,
            ),
        ),
        ("partners.disable_webhook_endpoint", "POST"): (
            _webhook_button("a webhook endpoint disabled", lambda e: f"webhooks/{e.id}/disable"),
        ),
        ("partners.enable_webhook_endpoint", "POST"): (
            _webhook_button(
                "a webhook endpoint enabled", lambda e: f"webhooks/{e.id}/enable", enabled=False
            ),
        ),
        ("partners.rotate_webhook_secret", "POST"): (
            _webhook_button(
                "a webhook endpoint's secret renewed", lambda e: f"webhooks/{e.id}/rotate-secret"
            ),
        ),
        ("partners.delete_webhook_endpoint", "POST"): (
            _webhook_button("a webhook endpoint deleted", lambda e: f"webhooks/{e.id}/delete"),
        ),
        ("partners.redeliver_webhook", "POST"): (
            _webhook_button(
                "a webhook delivery sent again",
                lambda e: f"webhooks/deliveries/{_a_delivery(e)}/redeliver",
            ),
        ),
    }
)
GET_FORMS[webhook_forms.DeliveryFilterForm] = {}


# --- the center's inbox and the partner's portal (referrals.inbox, referrals.portal) -------


def _inbox_step(
    step: str, status: ReferralStatus, valid: Callable[[Any], dict[str, str]] = lambda m: {}
) -> Callable[[Ctx], Stage]:
    """A step's form on a case in `status`, from which the valid post succeeds; `valid`
    takes an active mediator of the center."""

    def setup(ctx: Ctx) -> Stage:
        center = make_center(locale="en")
        mediator = referral_helpers.active_mediator(center.tenant)
        case = ReferralFactory(tenant=center.tenant, status=status)
        sign_in(ctx.client, center.owner)
        return Stage(center.url(f"referrals/{case.id}/{step}"), valid(mediator))

    return setup


def _as_partner_member(path: Callable[[Any], str], valid: Callable[[], dict[str, str]]) -> Any:
    def setup(ctx: Ctx) -> Stage:
        partner = PartnerFactory()
        member = all_factories.PartnerMembershipFactory(
            partner=partner, user=UserFactory(locale="en")
        ).user
        sign_in(ctx.client, member)
        return Stage(f"/p/{partner.slug}/referrals{path(partner)}", valid())

    return setup


def _portal_referral() -> dict[str, str]:
    """A valid post of the portal's referral form, to a new center: two parties."""
    center = TenantFactory()
    parties = {
        f"party_{part}_{row}": ""
        for row in range(referral_forms.MAX_FORM_PARTIES)
        for part in ("name", "role", "email", "phone", "lawyer")
    }
    parties.update(
        {
            "party_name_0": "Société Delta",
            "party_role_0": "claimant",
            "party_email_0": "juridique@delta.example",
            "party_phone_0": "+33 4 72 00 00 00",
            "party_lawyer_0": "Me Anne Roux",
            "party_name_1": "Hélène Garnier",
            "party_role_1": "respondent",
        }
    )
    return {
        "center": center.slug,
        "preferred_mediator_id": "",
        "reference": "CAB-2026-0042",
        "dispute_type": "commercial",
        "summary": "Désaccord sur la livraison et le paiement de trois commandes.",
        "amount_eur": "18 500,50",
        "urgency": "standard",
        "language": "fr",
        "preferred_mode": "hybrid",
        **parties,
        "parties_informed": "y",
        "contact_consent": "y",
    }


def _partner_case(partner: Any) -> str:
    return f"/{ReferralFactory(partner=partner).id}/cancel"


FORMS.update(
    {
        ("inbox.acknowledge", "POST"): (
            Form(
                "acknowledging a referral",
                ButtonForm,
                _inbox_step("acknowledge", ReferralStatus.SUBMITTED),
                "alert",
            ),
        ),
        ("inbox.accept", "POST"): (
            Form(
                "accepting a referral",
                ButtonForm,
                _inbox_step("accept", ReferralStatus.ACKNOWLEDGED),
                "alert",
            ),
        ),
        ("inbox.decline", "POST"): (
            Form(
                "declining a referral",
                referral_forms.DeclineForm,
                _inbox_step(
                    "decline",
                    ReferralStatus.SUBMITTED,
                    lambda m: {"reason": "Aucun médiateur disponible."},
                ),
            ),
        ),
        ("inbox.assign", "POST"): (
            Form(
                "assigning a mediator to a referral",
                referral_forms.AssignForm,
                _inbox_step(
                    "assign",
                    ReferralStatus.ACCEPTED,
                    lambda m: {"mediator_id": str(m.id), "override_reason": ""},
                ),
            ),
        ),
        ("inbox.schedule", "POST"): (
            Form(
                "scheduling a referral's first session",
                referral_forms.ScheduleForm,
                _inbox_step(
                    "schedule",
                    ReferralStatus.ASSIGNED,
                    lambda m: {"scheduled_at": "2026-12-10T14:00"},
                ),
            ),
        ),
        ("inbox.outcome", "POST"): (
            Form(
                "recording a referral's outcome",
                referral_forms.OutcomeForm,
                _inbox_step(
                    "outcome", ReferralStatus.SCHEDULED, lambda m: {"outcome": "agreement"}
                ),
            ),
        ),
        ("inbox.close", "POST"): (
            Form(
                "closing a referral",
                ButtonForm,
                _inbox_step("close", ReferralStatus.CONCLUDED),
                "alert",
            ),
        ),
        ("portal.new", "POST"): (
            Form(
                "a new referral from the partner's portal",
                referral_forms.ReferralForm,
                _as_partner_member(lambda _p: "/new", _portal_referral),
                wrong={"amount_eur": "twelve"},
            ),
        ),
        ("portal.cancel", "POST"): (
            Form(
                "cancelling a referral",
                ButtonForm,
                _as_partner_member(_partner_case, lambda: {}),
                "alert",
            ),
        ),
    }
)
GET_FORMS[referral_forms.ReferralFilterForm] = {}


# --- JSON operations ------------------------------------------------------------------------

# (METHOD, OpenAPI path) -> a setup returning the URL, a valid body and the auth headers.
JSON_OPERATIONS: dict[tuple[str, str], Callable[[Ctx], Stage]] = {
    ("POST", "/api/v1/credentials/verify"): lambda ctx: Stage(
        "/api/v1/credentials/verify", {"credential": _a_credential()}
    ),
}
# (METHOD, OpenAPI path) of API writes that take no body at all (a DELETE, an action).
BODYLESS_OPERATIONS: set[tuple[str, str]] = set()
# (METHOD, OpenAPI path) of operations that take a body but write nothing (lookups).
LOOKUP_OPERATIONS: set[tuple[str, str]] = {("POST", "/api/v1/credentials/verify")}


# --- the mediator's file over the API (/api/v1/me/..., /api/v1/center/mediators/...) -----

_RECORD = {
    "title": "Analyse de la pratique",
    "provider": "Association des médiateurs",
    "kind": "supervision",
    "hours": 10.5,
    "started_on": "2020-01-15",
    "ended_on": "2020-01-16",
    "mediations": None,
}


def _my_file(ctx: Ctx) -> tuple[dict[str, str], Any, Any, Any]:
    """A mediator with a profile, a record and a certification, affiliated with a
    center; their own token (`profile`, authorization code)."""
    center = TenantFactory()
    person = UserFactory(locale="en")
    profile = MediatorProfileFactory(user=person)
    AffiliationFactory(tenant=center, profile=profile)
    record = TrainingRecordFactory(profile=profile)
    certification = CertificationFactory(profile=profile)
    return mediator_api.person_token(ctx.app, person, center.id), record, certification, center


def _me(path: Callable[[Any, Any], str], valid: Callable[[Any], dict]) -> Callable:
    def setup(ctx: Ctx) -> Stage:
        headers, record, certification, _center = _my_file(ctx)
        return Stage(path(record, certification), valid(certification), headers)

    return setup


def _new_profile(ctx: Ctx) -> Stage:
    person = UserFactory(locale="en")
    headers = mediator_api.person_token(ctx.app, person, TenantFactory().id)
    valid = {
        "display_name": "Claire Martin",
        "title": "Médiatrice",
        "bio_fr": "Médiatrice familiale.",
        "bio_en": "Family mediator.",
        "languages": ["fr"],
        "specialties": ["family"],
        "regions": ["FR-75"],
        "modes": ["online"],
        "rate_min_eur": "100",
        "rate_max_eur": "150.50",
        "registrations": [{"kind": "bar", "name": "Paris", "number": None}],
        "listed_publicly": True,
    }
    return Stage("/api/v1/me/profile", valid, headers)


def _certification_body(certification: Any) -> dict[str, Any]:
    return {
        "scheme_code": certification.scheme.code,
        "number": "CERT-1",
        "issued_on": "2020-01-15",
        "expires_on": None,
        "stage": "definitive",
    }


def _verification(kind: str) -> Callable[[Ctx], Stage]:
    def setup(ctx: Ctx) -> Stage:
        _headers, record, certification, center = _my_file(ctx)
        row = record if kind == "records" else certification
        url = f"/api/v1/center/mediators/{row.profile_id}/{kind}/{row.id}/verification"
        headers = mediator_api.center_token(ctx.app, center.id, "mediators:write")
        return Stage(url, {"verified": False, "reason": "Illisible."}, headers)

    return setup


def _new_mediator(ctx: Ctx) -> Stage:
    headers = mediator_api.center_token(ctx.app, TenantFactory().id, "mediators:write")
    valid = {
        "email": "jean.dupont@example.org",
        "display_name": "Jean Dupont",
        "title": "Médiateur",
        "bio_fr": "Médiateur civil.",
        "bio_en": "Civil mediator.",
        "languages": ["fr"],
        "specialties": ["civil"],
        "regions": ["FR-69"],
        "modes": ["in_person"],
        "rate_min_eur": "90",
        "rate_max_eur": None,
        "registrations": [],
    }
    return Stage("/api/v1/center/mediators", valid, headers)


def _affiliation_change(ctx: Ctx) -> Stage:
    _headers, record, _certification, center = _my_file(ctx)
    headers = mediator_api.center_token(ctx.app, center.id, "mediators:write")
    valid = {
        "status": "suspended",
        "rate_eur": "175.50",
        "internal_notes": "Disponible le lundi.",
        "published": False,
    }
    return Stage(f"/api/v1/center/mediators/{record.profile_id}", valid, headers)


_ME = "/api/v1/me"
_CENTER = "/api/v1/center/mediators/{profile_id}"
JSON_OPERATIONS.update(
    {
        ("PUT", f"{_ME}/profile"): _new_profile,
        ("POST", f"{_ME}/training-records"): _me(
            lambda r, c: f"{_ME}/training-records", lambda c: _RECORD
        ),
        ("PUT", f"{_ME}/training-records/{{record_id}}"): _me(
            lambda r, c: f"{_ME}/training-records/{r.id}", lambda c: _RECORD
        ),
        ("POST", f"{_ME}/certifications"): _me(
            lambda r, c: f"{_ME}/certifications", _certification_body
        ),
        ("PUT", f"{_ME}/certifications/{{certification_id}}"): _me(
            lambda r, c: f"{_ME}/certifications/{c.id}", _certification_body
        ),
        ("POST", f"{_CENTER}/records/{{record_id}}/verification"): _verification("records"),
        ("POST", "/api/v1/center/mediators"): _new_mediator,
        ("PATCH", _CENTER): _affiliation_change,
        ("POST", f"{_CENTER}/certifications/{{certification_id}}/verification"): _verification(
            "certifications"
        ),
    }
)
BODYLESS_OPERATIONS.add(("DELETE", f"{_ME}/training-records/{{record_id}}"))

_EVIDENCE = {"file": (mediator_api.PDF, "attestation.pdf")}
# (METHOD, OpenAPI path) -> a setup returning the URL, a valid form and the auth headers.
UPLOAD_OPERATIONS: dict[tuple[str, str], Callable[[Ctx], Stage]] = {
    ("PUT", f"{_ME}/training-records/{{record_id}}/evidence"): _me(
        lambda r, c: f"{_ME}/training-records/{r.id}/evidence", lambda c: _EVIDENCE
    ),
    ("PUT", f"{_ME}/certifications/{{certification_id}}/evidence"): _me(
        lambda r, c: f"{_ME}/certifications/{c.id}/evidence", lambda c: _EVIDENCE
    ),
}


# --- referrals (/api/v1/referrals, /api/v1/center/referrals) -------------------------------


def _new_referral(ctx: Ctx) -> Stage:
    center, partner = TenantFactory(), PartnerFactory()
    headers = referral_helpers.partner_token(ctx.app, partner.id)
    return Stage("/api/v1/referrals", referral_helpers.referral_body(center), headers)


def _referral_step(
    step: str, status: ReferralStatus, body: Callable[[Any], dict[str, Any]] = lambda m: {}
) -> Callable[[Ctx], Stage]:
    """A step on a case in `status`, from which the valid body succeeds."""

    def setup(ctx: Ctx) -> Stage:
        center, partner = TenantFactory(), PartnerFactory()
        mediator = referral_helpers.active_mediator(center)
        case_id = uuid.uuid4()
        ReferralFactory(id=case_id, tenant=center, partner=partner, status=status)
        if step == "cancel":
            headers = referral_helpers.partner_token(ctx.app, partner.id)
            return Stage(f"/api/v1/referrals/{case_id}/cancel", body(mediator), headers)
        headers = referral_helpers.center_token(ctx.app, center.id)
        return Stage(f"/api/v1/center/referrals/{case_id}/{step}", body(mediator), headers)

    return setup


_CASE = "/api/v1/center/referrals/{referral_id}"
JSON_OPERATIONS.update(
    {
        ("POST", "/api/v1/referrals"): _new_referral,
        ("POST", "/api/v1/referrals/{referral_id}/cancel"): _referral_step(
            "cancel", ReferralStatus.SUBMITTED
        ),
        ("POST", f"{_CASE}/acknowledge"): _referral_step("acknowledge", ReferralStatus.SUBMITTED),
        ("POST", f"{_CASE}/accept"): _referral_step("accept", ReferralStatus.ACKNOWLEDGED),
        ("POST", f"{_CASE}/decline"): _referral_step(
            "decline", ReferralStatus.SUBMITTED, lambda m: {"reason": "Aucun médiateur libre."}
        ),
        ("POST", f"{_CASE}/assign"): _referral_step(
            "assign",
            ReferralStatus.ACCEPTED,
            lambda m: {"mediator_id": str(m.id), "override_reason": None},
        ),
        ("POST", f"{_CASE}/schedule"): _referral_step(
            "schedule", ReferralStatus.ASSIGNED, lambda m: {"scheduled_at": "2026-12-10T14:00:00Z"}
        ),
        ("POST", f"{_CASE}/outcome"): _referral_step(
            "outcome", ReferralStatus.SCHEDULED, lambda m: {"outcome": "agreement"}
        ),
        ("POST", f"{_CASE}/close"): _referral_step("close", ReferralStatus.CONCLUDED),
    }
)


# --- webhooks (/api/v1/webhooks) ------------------------------------------------------------

_HOOKS = "/api/v1/webhooks"
_ENDPOINT = {
    "url": "https://hooks.cabinet.example/mediation",
    "description": "Logiciel du cabinet",
    "event_types": ["referral.accepted", "referral.declined"],
}


def _webhooks(path: Callable[[Any], str], valid: dict[str, Any]) -> Callable[[Ctx], Stage]:
    """An operation of a partner's webhooks; `path` takes one of its endpoints, whose host
    resolves to a loopback address that deliveries refuse (nothing leaves the machine)."""

    def setup(ctx: Ctx) -> Stage:
        partner = PartnerFactory()
        endpoint = all_factories.WebhookEndpointFactory(
            partner_id=partner.id, url="https://localhost:9/hooks"
        )
        headers = referral_helpers.partner_token(ctx.app, partner.id, "webhooks:manage")
        return Stage(f"{_HOOKS}{path(endpoint)}", valid, headers)

    return setup


def _a_delivery(endpoint: Any) -> Any:
    return all_factories.WebhookDeliveryFactory(endpoint=endpoint).id


JSON_OPERATIONS.update(
    {
        ("POST", f"{_HOOKS}/endpoints"): _webhooks(lambda e: "/endpoints", _ENDPOINT),
        ("PATCH", f"{_HOOKS}/endpoints/{{endpoint_id}}"): _webhooks(
            lambda e: f"/endpoints/{e.id}", {**_ENDPOINT, "enabled": False}
        ),
        ("POST", f"{_HOOKS}/endpoints/{{endpoint_id}}/rotate-secret"): _webhooks(
            lambda e: f"/endpoints/{e.id}/rotate-secret", {}
        ),
        ("POST", f"{_HOOKS}/deliveries/{{delivery_id}}/redeliver"): _webhooks(
            lambda e: f"/deliveries/{_a_delivery(e)}/redeliver", {}
        ),
    }
)
BODYLESS_OPERATIONS.add(("DELETE", f"{_HOOKS}/endpoints/{{endpoint_id}}"))


# --- party fees (referrals.fee_views) -------------------------------------------------------


def _fees_settings(ctx: Ctx) -> Stage:
    center = make_center(locale="en")
    sign_in(ctx.client, center.owner)
    return Stage(center.url("fees/settings"), dict(fee_helpers.PROFILE))


def _fees_case(ctx: Ctx) -> Stage:
    """An accepted case with two parties, its center's invoicing details saved."""
    center = make_center(locale="en")
    all_factories.CenterBillingProfileFactory(tenant=center.tenant)
    case = ReferralFactory(tenant=center.tenant, status=ReferralStatus.ACCEPTED)
    sign_in(ctx.client, center.owner)
    return Stage(center.url(f"fees/cases/{case.id}"), fee_helpers.fees_form(count=2))


def _fees_invoice(action: str) -> Callable[[Ctx], Stage]:
    def setup(ctx: Ctx) -> Stage:
        center = make_center(locale="en")
        invoice = all_factories.PartyInvoiceFactory(tenant=center.tenant)
        sign_in(ctx.client, center.owner)
        return Stage(center.url(f"fees/invoices/{invoice.id}/{action}"), {})

    return setup


FORMS.update(
    {
        ("fees.settings", "POST"): (
            Form(
                "a center's invoicing details",
                fee_forms.BillingProfileForm,
                _fees_settings,
                wrong={
                    "country": "France",
                    "siret": "12345678901234",
                    "vat_number": "FR00000000000",
                    "iban": "FR00 1234",
                    "bic": "12",
                    "stripe_secret_key": "pk_test_not_a_secret",
                    "stripe_publishable_key": "sk_test_not_public",
                },
            ),
        ),
        ("fees.case", "POST"): (
            Form(
                "a case's fees: quote and invoices",
                fee_forms.FeesForm,
                _fees_case,
                wrong={
                    "party_country_0": "France",
                    "party_siret_0": "12345678901234",
                    "party_vat_number_0": "FR00000000000",
                    "party_share_0": "a third",
                },
            ),
        ),
        ("fees.mark_paid", "POST"): (
            Form("marking a party invoice paid", ButtonForm, _fees_invoice("paid"), "alert"),
        ),
        ("fees.credit", "POST"): (
            Form("crediting a party invoice", ButtonForm, _fees_invoice("credit"), "alert"),
        ),
    }
)


# --- the center's billing page (tenants.billing_views), against the platform's localstripe ---


def _billing_page(
    path: str, valid: dict[str, str], *, card: bool = False
) -> Callable[[Ctx], Stage]:
    def setup(ctx: Ctx) -> Stage:
        from tests.core.billing import helpers as billing_helpers

        billing = billing_helpers.billing_on(ctx.app)
        center = make_center()
        sign_in(ctx.client, center.owner)
        if card:
            billing_helpers.add_card(ctx.client, billing, center)
        return Stage(center.url(path), valid)

    return setup


def _billing_card(ctx: Ctx) -> Stage:
    """The card page made a SetupIntent, confirmed as Stripe.js would."""
    from tests.core.billing import helpers as billing_helpers

    billing = billing_helpers.billing_on(ctx.app)
    center = make_center()
    sign_in(ctx.client, center.owner)
    page = ctx.client.get(center.url("billing/card")).get_data(as_text=True)
    setup_intent = billing_helpers.SETUP_INTENT.search(page).group(1)
    billing.post(f"setup_intents/{setup_intent}/confirm", {"payment_method": "pm_card_visa"})
    return Stage(center.url("billing/card"), {"setup_intent": setup_intent})


def _billing_button(action: str, *, cancelled: bool = False) -> Callable[[Ctx], Stage]:
    def setup(ctx: Ctx) -> Stage:
        from tests.core.billing import helpers as billing_helpers

        center = billing_helpers.subscribed_center(ctx.client, ctx.app, cancelled=cancelled)
        return Stage(center.url(f"billing/{action}"), {})

    return setup


FORMS.update(
    {
        ("center_billing.choose_plan", "POST"): (
            Form(
                "subscribing to a plan",
                billing_forms.PlanForm,
                _billing_page("billing/plan", {"plan": "center", "interval": "month"}, card=True),
            ),
        ),
        ("center_billing.save_card", "POST"): (
            Form(
                "saving the subscription's card",
                billing_forms.CardForm,
                _billing_card,
                wrong={"setup_intent": "pm_not_a_setup_intent"},
            ),
        ),
        ("center_billing.overage_cap", "POST"): (
            Form(
                "the overage cap",
                billing_forms.OverageCapForm,
                _billing_page("billing/overage-cap", {"overage_cap": "50"}),
            ),
        ),
        ("center_billing.cancel", "POST"): (
            Form("cancelling the subscription", ButtonForm, _billing_button("cancel"), "alert"),
        ),
        ("center_billing.resume", "POST"): (
            Form(
                "resuming the subscription",
                ButtonForm,
                _billing_button("resume", cancelled=True),
                "alert",
            ),
        ),
    }
)

# Web routes that take no form: a machine's signed request. Stripe's webhook takes a
# JSON event signed with the endpoint's secret; its bad input (no or a bad signature,
# a stale one, a malformed body) is refused with a 4xx problem and writes nothing, as
# tests/core/billing/test_stripe_webhooks.py proves.
MACHINE_ENDPOINTS: frozenset[tuple[str, str]] = frozenset({("stripe_webhooks.receive", "POST")})
