"""Invitations: an emailed, single-use link valid 7 days, revocable and resendable."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from email.header import decode_header, make_header
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from core.accounts.models import User
from core.db import db
from core.tenancy import tenant_scope
from tenants.models import Invitation, Role
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.tenants.helpers import (
    audit_rows,
    make_center,
    membership_of,
    refresh_csrf,
    sign_in,
)

INVITEE = "paul.renard@example.org"
NEW_ACCOUNT = {
    "name": "Paul Renard",
    "password": "another good password",
    "password_confirm": "another good password",
    "locale": "en",
}


@pytest.fixture
def center(app):
    return make_center(legal_name="Centre de Médiation de Nantes")


@pytest.fixture
def admin(client, center):
    sign_in(client, center.admin)
    return client


def _invite(admin, center, email=INVITEE, role="mediator"):
    return admin.post_form(center.url("invitations"), {"email": email, "role": role})


def _link_path(mailbox, email=INVITEE) -> str:
    return urlsplit(mailbox.link_in(mailbox.last_to(email), "/join/")).path


def _invitation(center, email=INVITEE) -> Invitation:
    db.session.expire_all()
    with tenant_scope(center.tenant.id):
        return db.session.scalar(
            select(Invitation).where(Invitation.email == email).order_by(Invitation.created_at)
        )


def _stranger(app):
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return other


def test_a_new_person_joins_through_the_emailed_link_once(app, admin, center, mailbox):
    response = _invite(admin, center, email=" Paul.Renard@Example.org ")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/c/{center.slug}/members"
    message = mailbox.last_to(INVITEE)
    assert "Centre de Médiation de Nantes" in str(make_header(decode_header(message["Subject"])))
    path = _link_path(mailbox)
    assert path.startswith(f"/c/{center.slug}/join/")
    invitation = _invitation(center)
    assert path.rsplit("/", 1)[1] not in invitation.token_hash  # only the hash is stored
    assert (invitation.expires_at - invitation.created_at) == timedelta(days=7)

    invitee = _stranger(app)
    form = invitee.get(path)
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert "Join Centre de Médiation de Nantes" in page
    # The language offered is the one the invitee reads in, not the (French) center's.
    assert re.search(r'<option selected value="en">|<option value="en" selected', page)
    refresh_csrf(invitee)
    joined = invitee.post_form(path, NEW_ACCOUNT)
    assert joined.status_code == 303
    assert joined.headers["Location"] == f"/c/{center.slug}/"
    assert invitee.get(f"/c/{center.slug}/").status_code == 200  # signed in, a member

    user = db.session.scalar(select(User).where(User.email == INVITEE))
    assert user.name == "Paul Renard" and user.locale == "en"
    assert user.email_verified_at is not None
    assert membership_of(center.tenant, user).role == Role.MEDIATOR
    invitation = _invitation(center)
    assert invitation.accepted_by_id == user.id and invitation.accepted_at is not None
    assert [e.actor_id for e in audit_rows(center.tenant, "invitation.accepted")] == [user.id]
    assert [e.actor_id for e in audit_rows(center.tenant, "invitation.created")] == [
        center.admin.id
    ]

    # Single use: the same link answers "already used", for anyone.
    again = _stranger(app).get(path)
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)


def test_the_link_stops_working_after_seven_days(app, admin, center, mailbox, clock):
    _invite(admin, center)
    path = _link_path(mailbox)
    clock.advance(timedelta(days=6, hours=23))
    assert _stranger(app).get(path).status_code == 200
    clock.advance(timedelta(hours=1))
    expired = _stranger(app).get(path)
    assert expired.status_code == 410
    assert "expired" in expired.get_data(as_text=True)


def test_a_revoked_invitation_cannot_be_used(app, admin, center, mailbox):
    _invite(admin, center)
    path = _link_path(mailbox)
    invitation_id = _invitation(center).id
    revoked = admin.post_form(center.url(f"invitations/{invitation_id}/revoke"))
    assert revoked.status_code == 303
    page = _stranger(app).get(path)
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)
    assert _invitation(center).revoked_at is not None
    assert len(audit_rows(center.tenant, "invitation.revoked")) == 1
    # Revoking twice, or resending a revoked one, is refused without a change.
    assert admin.post_form(center.url(f"invitations/{invitation_id}/revoke")).status_code == 422
    assert admin.post_form(center.url(f"invitations/{invitation_id}/resend")).status_code == 422


def test_resend_replaces_the_link_and_restarts_the_week(app, admin, center, mailbox, clock):
    _invite(admin, center)
    old_path = _link_path(mailbox)
    clock.advance(timedelta(days=6))
    sign_in(admin, center.admin)  # the earlier session timed out meanwhile
    invitation_id = _invitation(center).id
    assert admin.post_form(center.url(f"invitations/{invitation_id}/resend")).status_code == 303
    new_path = _link_path(mailbox)
    assert new_path != old_path and len(mailbox.to(INVITEE)) == 2
    assert _stranger(app).get(old_path).status_code == 404  # the old token is gone
    clock.advance(timedelta(days=6))
    assert _stranger(app).get(new_path).status_code == 200
    assert len(audit_rows(center.tenant, "invitation.resent")) == 1


def test_unknown_links_are_404(app, center):
    stranger = _stranger(app)
    assert stranger.get(center.url("join/not-a-real-token")).status_code == 404
    assert stranger.get(center.url("join/" + "x" * 500)).status_code == 404
    assert stranger.get("/c/no-such-center/join/abc").status_code == 404


def test_an_existing_account_signs_in_first_then_the_link_just_accepts(app, admin, center, mailbox):
    person = UserFactory(email=INVITEE)
    _invite(admin, center, role="case_manager")
    path = _link_path(mailbox)

    invitee = _stranger(app)
    asked = invitee.get(path)
    assert asked.status_code == 303
    assert urlsplit(asked.headers["Location"]).path == "/login"
    assert f"next={path}" in asked.headers["Location"].replace("%2F", "/")
    assert membership_of(center.tenant, person) is None

    invitee.forget_csrf()
    signed_in = invitee.post_form(
        asked.headers["Location"], {"email": INVITEE, "password": DEFAULT_PASSWORD}
    )
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == path
    accepted = invitee.get(path)
    assert accepted.status_code == 303
    assert accepted.headers["Location"] == f"/c/{center.slug}/"
    assert membership_of(center.tenant, person).role == Role.CASE_MANAGER
    assert [e.actor_id for e in audit_rows(center.tenant, "invitation.accepted")] == [person.id]


def test_someone_signed_in_with_another_email_cannot_use_the_link(app, admin, center, mailbox):
    _invite(admin, center)
    path = _link_path(mailbox)
    intruder_user = UserFactory()
    intruder = _stranger(app)
    sign_in(intruder, intruder_user)
    refused = intruder.get(path)
    assert refused.status_code == 403
    assert INVITEE not in refused.get_data(as_text=True)
    assert membership_of(center.tenant, intruder_user) is None
    assert _invitation(center).accepted_at is None


def test_a_bad_account_form_is_a_422_and_leaves_the_invitation_open(app, admin, center, mailbox):
    _invite(admin, center)
    path = _link_path(mailbox)
    invitee = _stranger(app)
    refresh_csrf(invitee)
    bad = invitee.post_form(path, {**NEW_ACCOUNT, "password_confirm": "something else"})
    assert bad.status_code == 422
    assert "The two passwords do not match" in bad.get_data(as_text=True)
    assert _invitation(center).accepted_at is None
    assert db.session.scalar(select(User).where(User.email == INVITEE)) is None


def test_invitation_input_rules(admin, center, mailbox):
    assert _invite(admin, center, email="not-an-email").status_code == 422
    assert _invite(admin, center, role="owner").status_code == 422  # admins cannot
    already = _invite(admin, center, email=center.case_manager.email)
    assert already.status_code == 422
    assert "already a member" in already.get_data(as_text=True)
    assert _invite(admin, center).status_code == 303
    twice = _invite(admin, center)
    assert twice.status_code == 422
    assert "already pending" in twice.get_data(as_text=True)
    assert len(mailbox.to(INVITEE)) == 1
    assert len(audit_rows(center.tenant, "invitation.created")) == 1


def test_an_owner_may_invite_an_owner(client, center, mailbox):
    sign_in(client, center.owner)
    assert _invite(client, center, role="owner").status_code == 303
    assert _invitation(center).role == Role.OWNER


def test_foreign_and_unknown_invitation_ids_are_404(app, admin, center):
    other = make_center()
    owner_b = _stranger(app)
    sign_in(owner_b, other.owner)
    assert _invite(owner_b, other, email="b-invitee@example.org").status_code == 303
    foreign = _invitation(other, "b-invitee@example.org")
    foreign_id, foreign_hash = foreign.id, foreign.token_hash
    for action in ("revoke", "resend"):
        for target in (foreign_id, uuid.uuid4()):
            assert admin.post_form(center.url(f"invitations/{target}/{action}")).status_code == 404
    untouched = _invitation(other, "b-invitee@example.org")
    assert untouched.revoked_at is None and untouched.token_hash == foreign_hash
    # B's invitation link does not open A's center either.
    assert admin.get(center.url("members")).status_code == 200
    assert (
        admin.post_form(
            other.url("invitations"), {"email": "x@example.org", "role": "viewer"}
        ).status_code
        == 404
    )
