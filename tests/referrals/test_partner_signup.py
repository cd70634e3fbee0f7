"""Partner sign-up: a pending organisation, its administrator's verification link, then a
live workspace; or, for someone signed in with a verified address, a live one at once."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from core import jobs
from core.accounts.models import User
from core.db import db
from referrals import partner_signup, services
from referrals.models import Partner, PartnerKind, PartnerRole, PartnerStatus
from tests.factories import PartnerFactory, PartnerMembershipFactory, UserFactory
from tests.referrals.partner_helpers import membership_of, security_actions
from tests.tenants.helpers import sign_in

VALID = {
    "name": "Cabinet Martin & Associés",
    "kind": "law_firm",
    "registration_number": "732 829 320",  # a SIREN, spaced as people type it
    "country": "FR",
    "admin_name": "Claire Martin",
    "email": "Claire.Martin@Cabinet-Martin.example",
    "password": "a long enough password",
    "password_confirm": "a long enough password",
    "accept_terms": "y",
}
SIGNED_IN = {
    k: VALID[k] for k in ("name", "kind", "registration_number", "country", "accept_terms")
}
SLUG = "cabinet-martin-associes"
EMAIL = "claire.martin@cabinet-martin.example"


def _partner(slug: str = SLUG) -> Partner | None:
    db.session.expire_all()
    return db.session.scalar(select(Partner).where(Partner.slug == slug))


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_signup_creates_a_pending_partner_that_goes_live_with_the_emailed_link(client, mailbox):
    assert client.get("/partners/signup").status_code == 200
    response = client.post_form("/partners/signup", VALID)
    assert response.status_code == 303
    assert response.headers["Location"] == "/partners/signup/check-email"
    assert EMAIL in client.get("/partners/signup/check-email").get_data(as_text=True)

    partner = _partner()
    assert partner.status == PartnerStatus.PENDING and not partner.is_live
    assert (partner.name, partner.kind, partner.country) == (
        "Cabinet Martin & Associés",
        PartnerKind.LAW_FIRM,
        "FR",
    )
    assert partner.registration_number == "732829320"
    admin = db.session.scalar(select(User).where(User.email == EMAIL))
    assert admin.email_verified_at is None and admin.name == "Claire Martin"
    assert admin.locale == "en"  # the language the page was read in
    assert membership_of(partner, admin).role == PartnerRole.ADMIN
    assert security_actions(partner) == ["partner.created"]
    # Pending: nobody gets into the workspace yet, not even its administrator.
    assert services.resolve_workspace(SLUG, admin) is None
    assert services.list_workspaces(admin) == []

    link = mailbox.link_in(mailbox.last_to(EMAIL), "/verify-email/")
    landed = client.get(urlsplit(link).path)
    assert landed.status_code == 303
    assert landed.headers["Location"] == f"/p/{SLUG}/"
    dashboard = client.get(f"/p/{SLUG}/")
    assert dashboard.status_code == 200
    assert "Cabinet Martin &amp; Associés" in dashboard.get_data(as_text=True)
    assert _partner().status == PartnerStatus.ACTIVE
    assert sorted(security_actions(_partner())) == ["partner.activated", "partner.created"]


def test_following_the_link_again_does_not_activate_twice(client, mailbox):
    client.post_form("/partners/signup", VALID)
    path = urlsplit(mailbox.link_in(mailbox.last_to(EMAIL), "/verify-email/")).path
    client.get(path)
    client.get(path)
    assert security_actions(_partner()).count("partner.activated") == 1


def test_someone_signed_in_registers_with_their_own_account_and_it_is_live(client, mailbox):
    user = UserFactory(email="paul.roux@example.org", locale="en")
    sign_in(client, user)
    page = client.get("/partners/signup").get_data(as_text=True)
    assert "Signed in as" in page and 'name="password"' not in page
    response = client.post_form("/partners/signup", SIGNED_IN)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/p/{SLUG}/"
    assert client.get(f"/p/{SLUG}/").status_code == 200
    partner = _partner()
    assert partner.is_live and membership_of(partner, user).role == PartnerRole.ADMIN
    assert sorted(security_actions(partner)) == ["partner.activated", "partner.created"]
    assert _count(User) == 1 and mailbox.messages == []


def test_an_administrator_with_an_unverified_address_waits_for_the_link(app, client, mailbox):
    """Sign-in needs a verified address, so only the service meets this case."""
    user = UserFactory(email="paul.roux@example.org", email_verified_at=None)
    organisation = partner_signup.Organisation(
        name=VALID["name"], kind="association", registration_number="", country="FR"
    )
    with app.test_request_context():
        partner = partner_signup.sign_up(organisation, user=user)
    if not app.config["JOBS_INLINE"]:  # the mail job, queued on Redis
        jobs.run_pending(app)
    assert partner.status == PartnerStatus.PENDING
    link = mailbox.link_in(mailbox.last_to(user.email), "/verify-email/")
    assert client.get(urlsplit(link).path).headers["Location"] == f"/p/{SLUG}/"
    assert _partner().is_live


def test_the_address_is_derived_from_the_name_and_made_unique(client):
    PartnerFactory(slug=SLUG)
    assert client.post_form("/partners/signup", VALID).status_code == 303
    assert _partner(f"{SLUG}-2") is not None


@pytest.mark.parametrize(
    ("changes", "stored"),
    [
        ({"registration_number": "732 829 320 00074"}, "73282932000074"),  # a SIRET
        ({"registration_number": ""}, None),  # optional
        ({"country": "BE", "registration_number": "be0123456789"}, "BE0123456789"),
        ({"kind": "court", "registration_number": ""}, None),
    ],
)
def test_registration_numbers_that_are_accepted(client, changes, stored):
    assert client.post_form("/partners/signup", {**VALID, **changes}).status_code == 303
    assert _partner().registration_number == stored


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"registration_number": "732829321"}, "This SIREN number is not valid"),
        ({"registration_number": "73282932000075"}, "This SIRET number is not valid"),
        ({"registration_number": "7328293"}, "a SIREN (9 digits) or a SIRET (14 digits)"),
        ({"country": "BE", "registration_number": "BE0123456789012"}, "Use 1 to 14 letters"),
        ({"registration_number": "1" * 21}, "Field cannot be longer than 20 characters"),
        ({"kind": "bank"}, "Not a valid choice"),
        ({"country": "EU"}, "Not a valid choice"),
        ({"name": ""}, "This field is required"),
        ({"admin_name": "x" * 121}, "Field must be between 2 and 120 characters long"),
        ({"email": "not-an-email"}, "Invalid email address"),
        ({"password": "short", "password_confirm": "short"}, "Use between 10 and 200 characters"),
        ({"password_confirm": "another long password"}, "The two passwords do not match"),
        ({"accept_terms": ""}, "Please accept the terms"),
        ({"unexpected": "1"}, "Unexpected field(s): unexpected"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_writes_nothing(client, mailbox, changes, message):
    response = client.post_form("/partners/signup", {**VALID, **changes})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert (_count(Partner), _count(User)) == (0, 0)
    assert mailbox.messages == []


def test_a_known_email_is_asked_to_sign_in_first(client, mailbox):
    UserFactory(email=EMAIL)
    response = client.post_form("/partners/signup", VALID)
    assert response.status_code == 422
    assert "Please sign in first" in response.get_data(as_text=True)
    assert _count(Partner) == 0 and mailbox.messages == []


def test_a_pending_partner_is_neither_listed_nor_reachable(client):
    admin = UserFactory()
    live = PartnerMembershipFactory(user=admin).partner
    pending = PartnerMembershipFactory(
        user=admin, partner=PartnerFactory(status=PartnerStatus.PENDING)
    ).partner
    assert [w.slug for w in services.list_workspaces(admin)] == [live.slug]
    assert services.resolve_workspace(pending.slug, admin) is None
    sign_in(client, admin)
    assert client.get(f"/p/{live.slug}/").status_code == 200
    for path in ("", "members", "integrations"):
        assert client.get(f"/p/{pending.slug}/{path}").status_code == 404


def test_the_home_login_and_center_sign_up_pages_link_to_the_partner_sign_up(client):
    for page in ("/", "/login", "/signup"):
        assert 'href="/partners/signup"' in client.get(page).get_data(as_text=True), page


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("fr", ['lang="fr"', "Cabinet d'avocats<", "Pays", "Vos nom et prénom"], "Law firm<"),
        ("en", ['lang="en"', "Law firm", "Country", "Your full name"], "Cabinet d'avocats<"),
    ],
)
def test_the_sign_up_page_in_french_and_in_english(app, language, expected, absent):
    reader = app.test_client()
    reader.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    page = reader.get("/partners/signup").get_data(as_text=True)
    for text in expected:
        assert text in page, text
    assert absent not in page
