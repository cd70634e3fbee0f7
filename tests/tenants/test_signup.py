"""Sign-up: a pending center, the owner's verification link, then a live workspace."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from core.accounts.models import User
from core.db import db
from tenants import services
from tenants.models import Role, Tenant, TenantStatus
from tests.factories import TenantFactory, UserFactory
from tests.tenants.helpers import audit_actions, audit_rows, membership_of

VALID = {
    "legal_name": "Centre de Médiation d'Écully",
    "slug": "mediation-ecully",
    "registration_number": "812 345 676 00017",  # spaces as people type them
    "city": "Lyon",
    "country": "FR",
    "locale": "fr",
    "timezone": "Europe/Paris",
    "owner_name": "Louise Martin",
    "email": "Louise.Martin@Ecully-Mediation.example",
    "password": "a long enough password",
    "password_confirm": "a long enough password",
    "accept_terms": "y",
}


def _tenant(slug: str) -> Tenant | None:
    db.session.expire_all()
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def _tenant_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Tenant))


def test_signup_creates_a_pending_center_that_goes_live_with_the_emailed_link(client, mailbox):
    assert client.get("/signup").status_code == 200
    response = client.post_form("/signup", VALID)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/signup/check-email")
    done = client.get("/signup/check-email").get_data(as_text=True)
    assert "louise.martin@ecully-mediation.example" in done

    tenant = _tenant("mediation-ecully")
    assert tenant.status == TenantStatus.PENDING and tenant.activated_at is None
    assert tenant.registration_number == "81234567600017" and tenant.city == "Lyon"
    owner = db.session.scalar(
        select(User).where(User.email == "louise.martin@ecully-mediation.example")
    )
    assert owner.email_verified_at is None and owner.name == "Louise Martin"
    assert membership_of(tenant, owner).role == Role.OWNER
    assert audit_actions(tenant) == ["center.created"]
    # Pending: nobody gets into the workspace yet, not even its owner.
    assert services.resolve_workspace("mediation-ecully", owner) is None

    link = mailbox.link_in(mailbox.last_to(owner.email), "/verify-email/")
    landed = client.get(urlsplit(link).path)
    assert landed.status_code == 303
    assert landed.headers["Location"] == "/c/mediation-ecully/"

    dashboard = client.get("/c/mediation-ecully/")
    assert dashboard.status_code == 200
    assert "Centre de Médiation d&#39;Écully" in dashboard.get_data(as_text=True)
    tenant = _tenant("mediation-ecully")
    assert tenant.status == TenantStatus.ACTIVE and tenant.activated_at is not None
    assert audit_actions(tenant) == ["center.created", "center.activated"]
    assert audit_rows(tenant, "center.activated")[0].actor_id == owner.id


def test_following_the_link_again_does_not_activate_twice(client, mailbox):
    client.post_form("/signup", VALID)
    path = urlsplit(mailbox.link_in(mailbox.last_to(VALID["email"]), "/verify-email/")).path
    client.get(path)
    client.get(path)
    assert audit_actions(_tenant("mediation-ecully")).count("center.activated") == 1


def test_an_empty_slug_is_derived_from_the_name_and_made_unique(client):
    TenantFactory(slug="centre-de-mediation-d-ecully")
    response = client.post_form("/signup", {**VALID, "slug": ""})
    assert response.status_code == 303
    assert _tenant("centre-de-mediation-d-ecully-2") is not None


def test_a_refused_form_suggests_the_slug_from_the_name(client):
    response = client.post_form("/signup", {**VALID, "slug": "", "password_confirm": "other"})
    assert response.status_code == 422
    assert 'value="centre-de-mediation-d-ecully"' in response.get_data(as_text=True)


def test_other_countries_take_short_alphanumeric_registration_numbers(client):
    data = {**VALID, "country": "BE", "registration_number": "be0123456789", "locale": "en"}
    assert client.post_form("/signup", data).status_code == 303
    tenant = _tenant("mediation-ecully")
    assert (tenant.country, tenant.registration_number, tenant.locale) == (
        "BE",
        "BE0123456789",
        "en",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slug": "Ab"}, "Use 3 to 63 lowercase letters"),
        ({"slug": "-mediation"}, "Use 3 to 63 lowercase letters"),
        ({"slug": "mediation--lyon"}, "Use 3 to 63 lowercase letters"),
        ({"slug": "x" * 64}, "Field cannot be longer than 63 characters"),
        ({"slug": "admin"}, "This address is reserved"),
        ({"registration_number": "81234567600018"}, "This SIRET number is not valid"),
        ({"registration_number": "8123456760001"}, "A SIRET number has exactly 14 digits"),
        ({"country": "BE", "registration_number": "BE0123456789012"}, "Use 1 to 14 letters"),
        ({"country": "EU"}, "Not a valid choice"),
        ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
        ({"locale": "de"}, "Not a valid choice"),
        ({"email": "not-an-email"}, "Invalid email address"),
        ({"password": "short", "password_confirm": "short"}, "Use between 10 and 200 characters"),
        ({"password_confirm": "another long password"}, "The two passwords do not match"),
        ({"accept_terms": ""}, "Please accept the terms"),
        ({"legal_name": ""}, "This field is required"),
        ({"owner_name": "x" * 121}, "Field must be between 2 and 120 characters long"),
        ({"unexpected": "1"}, "Unexpected field(s): unexpected"),
    ],
)
def test_bad_input_is_refused_field_by_field(client, changes, message):
    response = client.post_form("/signup", {**VALID, **changes})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _tenant_count() == 0


def test_a_taken_slug_is_a_field_error_with_a_suggestion(client):
    TenantFactory(slug="mediation-ecully")
    response = client.post_form("/signup", VALID)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This address is already taken" in page and "mediation-ecully-2" in page
    assert _tenant_count() == 1


def test_a_known_email_is_asked_to_sign_in_first(client, mailbox):
    UserFactory(email="louise.martin@ecully-mediation.example")
    response = client.post_form("/signup", VALID)
    assert response.status_code == 422
    assert "Please sign in first" in response.get_data(as_text=True)
    assert _tenant_count() == 0
    assert mailbox.messages == []


def test_the_pending_center_is_not_listed_and_a_suspended_one_is_not_reachable(app):
    owner = UserFactory()
    from tests.factories import MembershipFactory

    live = MembershipFactory(user=owner, role=Role.OWNER).tenant
    pending = MembershipFactory(
        user=owner, role=Role.OWNER, tenant=TenantFactory(status=TenantStatus.PENDING)
    ).tenant
    suspended = MembershipFactory(
        user=owner, role=Role.OWNER, tenant=TenantFactory(status=TenantStatus.SUSPENDED)
    ).tenant
    assert [w.slug for w in services.list_workspaces(owner)] == [live.slug]
    assert services.resolve_workspace(live.slug, owner).role == "owner"
    assert services.resolve_workspace(pending.slug, owner) is None
    assert services.resolve_workspace(suspended.slug, owner) is None
    assert services.resolve_workspace("no-such-center", owner) is None


def test_identity_rules():
    assert (
        services.suggest_slug("  Médiation Sud-Ouest & Associés ") == "mediation-sud-ouest-associes"
    )
    assert services.suggest_slug("Ö") == "o-centre"
    assert services.slug_problem(services.suggest_slug("é" * 300)) is None
    assert services.luhn_ok("73282932000074")  # INSEE's published example
    assert not services.luhn_ok("73282932000075")
    # La Poste's establishments share one SIREN and use a digit-sum check.
    assert services.registration_problem("35600000000010", "FR") is None
    assert services.registration_problem("35600000000011", "FR") is not None


def test_losing_a_race_for_the_email_is_a_field_error_not_a_500(client, owner_engine):
    """Another sign-up commits the same email between our checks and our insert."""
    from sqlalchemy import event, insert
    from sqlalchemy.orm import Session

    def concurrent_signup(session, _context, _instances):
        with owner_engine.begin() as conn:
            conn.execute(
                insert(User.__table__).values(
                    id=uuid.uuid4(),
                    email=VALID["email"].lower(),
                    name="Someone Faster",
                    locale="fr",
                    is_staff=False,
                    is_disabled=False,
                    created_at=datetime.now(UTC),
                )
            )

    client.get("/signup")  # the CSRF token first, outside the race
    client.csrf_token()
    event.listen(Session, "before_flush", concurrent_signup, once=True)
    try:
        response = client.post_form("/signup", VALID)
    finally:
        if event.contains(Session, "before_flush", concurrent_signup):
            event.remove(Session, "before_flush", concurrent_signup)
    assert response.status_code == 422
    assert "Please sign in first" in response.get_data(as_text=True)
    assert _tenant("mediation-ecully") is None


def test_an_overlong_center_reference_names_no_center(client):
    from tests.factories import MembershipFactory
    from tests.tenants.helpers import sign_in

    long_slug = "c" * 63
    member = MembershipFactory(tenant=TenantFactory(slug=long_slug)).user
    sign_in(client, member)
    assert client.get(f"/c/{long_slug}/").status_code == 200
    assert client.get(f"/c/{long_slug}xyz/").status_code == 404
