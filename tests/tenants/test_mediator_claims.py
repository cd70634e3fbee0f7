"""A center adds a mediator by email: a profile it creates for someone without one, to
be claimed by emailed link once (the center keeps its affiliation, the mediator takes
ownership, a mediator membership follows), or an invitation to someone's own profile,
accepted by the same kind of link. Wrong account, expired, altered, replaced or used
links are refused."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from core.accounts.models import User
from core.credentials.models import MediatorProfile
from core.db import db
from core.tenancy import tenant_scope
from tenants.models import Affiliation, AffiliationStatus, Role
from tests.factories import DEFAULT_PASSWORD, MediatorProfileFactory, UserFactory
from tests.tenants.helpers import audit_actions, make_center, membership_of, sign_in
from tests.tenants.mediator_helpers import affiliated, record_of, with_evidence

EMAIL = "claire.dupont@example.org"
NEW_ACCOUNT = {
    "name": "Claire Dupont",
    "password": "another good password",
    "password_confirm": "another good password",
    "locale": "en",
}


@pytest.fixture
def center(app):
    return make_center(legal_name="Centre de Médiation de Lyon", locale="en")


@pytest.fixture
def admin(client, center):
    sign_in(client, center.admin)
    return client


def _add(admin, center, email=EMAIL, name="Claire Dupont", title="Médiatrice familiale"):
    return admin.post_form(
        center.url("mediators"), {"email": email, "display_name": name, "title": title}
    )


def _link(mailbox, email=EMAIL) -> str:
    return urlsplit(mailbox.link_in(mailbox.last_to(email), "/claim/")).path


def _visitor(app):
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return other


def _profile(name="Claire Dupont") -> MediatorProfile:
    db.session.expire_all()
    return db.session.scalar(select(MediatorProfile).where(MediatorProfile.display_name == name))


def _affiliation(center, profile) -> Affiliation:
    db.session.expire_all()
    with tenant_scope(center.tenant.id):
        return db.session.scalar(select(Affiliation).where(Affiliation.profile_id == profile.id))


def test_a_new_mediator_claims_the_profile_the_center_made_once(app, admin, center, mailbox):
    response = _add(admin, center, email=" Claire.Dupont@Example.org ")
    profile = _profile()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/c/{center.slug}/mediators/{profile.id}"
    assert profile.user_id is None and profile.created_by_tenant_id == center.tenant.id
    assert profile.title == "Médiatrice familiale"
    assert _affiliation(center, profile).status == AffiliationStatus.INVITED
    message = mailbox.last_to(EMAIL)
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == "Centre de Médiation de Lyon created your mediator profile on Mediation Hub"
    assert "Claire Dupont" in mailbox.body(message)
    path = _link(mailbox)

    visitor = _visitor(app)
    page = visitor.get(path)
    assert page.status_code == 200
    assert "Claim your mediator profile" in page.get_data(as_text=True)
    claimed = visitor.post_form(path, NEW_ACCOUNT)
    assert claimed.status_code == 303 and claimed.headers["Location"] == "/me/profile"
    assert visitor.is_signed_in()

    user = db.session.scalar(select(User).where(User.email == EMAIL))
    assert user.email_verified_at is not None  # following the link proved the address
    assert _profile().user_id == user.id
    affiliation = _affiliation(center, profile)
    assert affiliation.status == AffiliationStatus.ACTIVE
    assert membership_of(center.tenant, user).role == Role.MEDIATOR
    assert audit_actions(center.tenant)[-2:] == ["mediator.created", "mediator.claimed"]
    # The mediator's own page is theirs now, and the center sees their file.
    assert "Claire Dupont" in visitor.get("/me/profile").get_data(as_text=True)
    assert admin.get(center.url(f"mediators/{profile.id}")).status_code == 200

    # Once only: for anyone, the claimer included.
    assert _visitor(app).get(path).status_code == 410
    again = visitor.get(path)
    assert again.status_code == 410 and "already used" in again.get_data(as_text=True)


def test_an_existing_account_signs_in_then_confirms(app, admin, center, mailbox):
    user = UserFactory(email=EMAIL, locale="en")
    _add(admin, center)
    path = _link(mailbox)
    visitor = _visitor(app)
    response = visitor.get(path)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/login?next={path}"
    signed = visitor.post_form(
        f"/login?next={path}", {"email": EMAIL, "password": DEFAULT_PASSWORD}
    )
    assert signed.headers["Location"] == path
    visitor.forget_csrf()
    page = visitor.get(path)
    assert page.status_code == 200 and "Claim my profile" in page.get_data(as_text=True)
    assert _profile().user_id is None  # opening the page changes nothing
    token = visitor.csrf_token()
    assert visitor.post(path, data={"csrf_token": token}).status_code == 303
    assert _profile().user_id == user.id
    assert membership_of(center.tenant, user).role == Role.MEDIATOR


def test_another_account_is_refused_and_nothing_changes(app, admin, center, mailbox):
    _add(admin, center)
    path = _link(mailbox)
    other = _visitor(app)
    sign_in(other, UserFactory(email="someone.else@example.org", locale="en"))
    page = other.get(path)
    assert page.status_code == 403 and "for someone else" in page.get_data(as_text=True)
    assert other.post_form(path, {}).status_code == 403
    profile = _profile()
    assert profile.user_id is None
    assert _affiliation(center, profile).status == AffiliationStatus.INVITED


def test_an_expired_or_altered_link_is_refused(app, admin, center, mailbox, clock):
    _add(admin, center)
    path = _link(mailbox)
    clock.advance(timedelta(days=14) - timedelta(minutes=1))
    assert _visitor(app).get(path).status_code == 200
    clock.advance(timedelta(minutes=2))
    expired = _visitor(app).post_form(path, NEW_ACCOUNT)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == EMAIL)) is None

    altered = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    assert _visitor(app).get(altered).status_code == 404
    assert _visitor(app).get("/claim/" + "x" * 600).status_code == 404


def test_someone_with_their_own_profile_cannot_claim_a_second(app, admin, center, mailbox):
    _add(admin, center)
    path = _link(mailbox)
    user = UserFactory(email=EMAIL, locale="en")
    MediatorProfileFactory(user=user, display_name="Claire Dupont-Martin")
    visitor = _visitor(app)
    sign_in(visitor, user)
    refused = visitor.post_form(path, {})
    assert refused.status_code == 409
    assert "You already have a mediator profile" in refused.get_data(as_text=True)
    assert _profile().user_id is None
    assert membership_of(center.tenant, user) is None


def test_a_person_with_a_profile_is_invited_and_accepts(app, admin, center, mailbox):
    user = UserFactory(email=EMAIL, locale="en")
    own = MediatorProfileFactory(user=user, display_name="Claire Dupont")
    record = with_evidence(record_of(user))
    _add(admin, center, name="Typed by the center")
    assert _profile("Typed by the center") is None  # their own profile is used
    assert _affiliation(center, own).status == AffiliationStatus.INVITED
    subject = str(make_header(decode_header(mailbox.last_to(EMAIL)["Subject"])))
    assert subject == "Centre de Médiation de Lyon invites you to work with them on Mediation Hub"

    # Until they accept, the center reads nothing of their file.
    page = admin.get(center.url(f"mediators/{own.id}"))
    assert page.status_code == 200
    assert record.title not in page.get_data(as_text=True)
    evidence = center.url(f"mediators/{own.id}/records/{record.id}/evidence")
    assert admin.get(evidence).status_code == 404
    # Nor does it accept for them.
    form = {"status": "active", "rate_eur": "", "internal_notes": "", "published": ""}
    assert admin.post_form(center.url(f"mediators/{own.id}"), form).status_code == 422

    visitor = _visitor(app)
    sign_in(visitor, user)
    page = visitor.get(_link(mailbox))
    assert "Accept the invitation" in page.get_data(as_text=True)
    assert visitor.post_form(_link(mailbox), {}).status_code == 303
    assert _affiliation(center, own).status == AffiliationStatus.ACTIVE
    assert membership_of(center.tenant, user).role == Role.MEDIATOR
    assert admin.get(evidence).status_code == 200
    assert "mediator.accepted" in audit_actions(center.tenant)
    assert visitor.post_form(_link(mailbox), {}).status_code == 410


def test_adding_a_mediator_twice_or_badly_is_refused(app, admin, center, mailbox):
    user = UserFactory(email=EMAIL)
    affiliated(center.tenant, MediatorProfileFactory(user=user))
    refused = _add(admin, center)
    assert refused.status_code == 422
    assert "already works with the center" in refused.get_data(as_text=True)
    assert not mailbox.to(EMAIL)
    bad = _add(admin, center, email="paul@example.org", name="")
    assert bad.status_code == 422 and _profile("") is None


def test_ending_the_affiliation_withdraws_the_link(app, admin, center, mailbox):
    _add(admin, center)
    path = _link(mailbox)
    profile = _profile()
    form = {"status": "ended", "rate_eur": "", "internal_notes": "", "published": ""}
    assert admin.post_form(center.url(f"mediators/{profile.id}"), form).status_code == 303
    page = _visitor(app).get(path)
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)


def test_a_new_link_to_a_corrected_address_retires_the_old_one(app, admin, center, mailbox, clock):
    _add(admin, center, email="claire.dupont@exmaple.org")
    wrong_path = _link(mailbox, "claire.dupont@exmaple.org")
    profile = _profile()
    page = admin.get(center.url(f"mediators/{profile.id}")).get_data(as_text=True)
    assert 'value="claire.dupont@exmaple.org"' in page  # offered again
    clock.advance(timedelta(minutes=5))
    sent = admin.post_form(center.url(f"mediators/{profile.id}/claim-link"), {"email": EMAIL})
    assert sent.status_code == 303
    assert _visitor(app).get(wrong_path).status_code == 410
    visitor = _visitor(app)
    assert visitor.post_form(_link(mailbox), NEW_ACCOUNT).status_code == 303
    assert _profile().user_id is not None
    # Once claimed, there is no link to send.
    again = admin.post_form(center.url(f"mediators/{profile.id}/claim-link"), {"email": EMAIL})
    assert again.status_code == 303
    assert len(mailbox.to(EMAIL)) == 1


def test_only_owners_and_admins_add_mediators(app, client, center, mailbox):
    sign_in(client, center.case_manager)
    assert client.get(center.url("mediators")).status_code == 200
    assert _add(client, center).status_code == 403
    assert _profile() is None and not mailbox.messages
