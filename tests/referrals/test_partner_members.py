"""A partner's members and invitations: administrators invite (an emailed, single-use
link valid 7 days, revocable and resendable), change roles and remove members, never
the last administrator; referrers read; another partner's members get 404."""

from __future__ import annotations

import re
from datetime import timedelta
from email.header import decode_header, make_header
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from core.accounts.models import User
from core.db import db
from referrals.models import PartnerMembership, PartnerRole
from referrals.partner_models import PartnerInvitation
from tests.bad_input import PageErrors
from tests.factories import DEFAULT_PASSWORD, PartnerInvitationFactory, UserFactory
from tests.referrals.partner_helpers import (
    make_partner,
    membership_of,
    security_actions,
    security_events,
)
from tests.tenants.helpers import refresh_csrf, sign_in

INVITEE = "paul.renard@example.org"
NEW_ACCOUNT = {
    "name": "Paul Renard",
    "password": "another good password",
    "password_confirm": "another good password",
    "locale": "en",
}


@pytest.fixture
def org(app):
    return make_partner(name="Cabinet Martin Avocats", slug="cabinet-martin")


@pytest.fixture
def admin(client, org):
    sign_in(client, org.admin)
    return client


def _invite(admin, org, email=INVITEE, role="referrer"):
    return admin.post_form(org.url("invitations"), {"email": email, "role": role})


def _link_path(mailbox, email=INVITEE) -> str:
    return urlsplit(mailbox.link_in(mailbox.last_to(email), "/join/")).path


def _invitation(org, email=INVITEE) -> PartnerInvitation:
    db.session.expire_all()
    return db.session.scalar(
        select(PartnerInvitation).where(
            PartnerInvitation.partner_id == org.partner.id, PartnerInvitation.email == email
        )
    )


def _stranger(app):
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return other


def _membership_id(org, user):
    return membership_of(org.partner, user).id


def _rows() -> tuple[int, int]:
    db.session.expire_all()
    count = func.count()
    return (
        db.session.scalar(select(count).select_from(PartnerMembership)),
        db.session.scalar(select(count).select_from(PartnerInvitation)),
    )


# --- invitations and joining -----------------------------------------------------------


def test_a_new_person_joins_through_the_emailed_link_once(app, admin, org, mailbox):
    response = _invite(admin, org, email=" Paul.Renard@Example.org ", role="admin")
    assert response.status_code == 303
    assert response.headers["Location"] == org.url("members")
    message = mailbox.last_to(INVITEE)
    assert "Cabinet Martin Avocats" in str(make_header(decode_header(message["Subject"])))
    assert "as Administrator" in mailbox.body(message)
    path = _link_path(mailbox)
    assert path.startswith(org.url("join/"))
    invitation = _invitation(org)
    assert path.rsplit("/", 1)[1] not in invitation.token_hash  # only the hash is stored
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert INVITEE in admin.get(org.url("members")).get_data(as_text=True)

    invitee = _stranger(app)
    form = invitee.get(path)
    assert form.status_code == 200
    assert "Join Cabinet Martin Avocats" in form.get_data(as_text=True)
    refresh_csrf(invitee)
    joined = invitee.post_form(path, NEW_ACCOUNT)
    assert joined.status_code == 303
    assert joined.headers["Location"] == org.url()
    assert invitee.get(org.url()).status_code == 200  # signed in, a member

    user = db.session.scalar(select(User).where(User.email == INVITEE))
    assert user.name == "Paul Renard" and user.email_verified_at is not None
    assert membership_of(org.partner, user).role == PartnerRole.ADMIN
    assert _invitation(org).accepted_by_id == user.id
    events = {e.action: e for e in security_events(org.partner, "partner_invitation.")}
    assert set(events) == {"partner_invitation.created", "partner_invitation.accepted"}
    assert events["partner_invitation.created"].actor_id == org.admin.id
    assert events["partner_invitation.accepted"].user_id == user.id

    again = _stranger(app).get(path)
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)


def test_an_existing_account_signs_in_first_then_the_link_just_accepts(app, admin, org, mailbox):
    person = UserFactory(email=INVITEE)
    _invite(admin, org)
    path = _link_path(mailbox)
    invitee = _stranger(app)
    asked = invitee.get(path)
    assert asked.status_code == 303
    assert urlsplit(asked.headers["Location"]).path == "/login"
    assert membership_of(org.partner, person) is None

    invitee.forget_csrf()
    signed_in = invitee.post_form(
        asked.headers["Location"], {"email": INVITEE, "password": DEFAULT_PASSWORD}
    )
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == path
    accepted = invitee.get(path)
    assert accepted.status_code == 303 and accepted.headers["Location"] == org.url()
    assert membership_of(org.partner, person).role == PartnerRole.REFERRER


def test_someone_signed_in_with_another_email_cannot_use_the_link(app, admin, org, mailbox):
    _invite(admin, org)
    path = _link_path(mailbox)
    intruder_user = UserFactory()
    intruder = _stranger(app)
    sign_in(intruder, intruder_user)
    refused = intruder.get(path)
    assert refused.status_code == 403
    assert INVITEE not in refused.get_data(as_text=True)
    assert membership_of(org.partner, intruder_user) is None
    assert _invitation(org).accepted_at is None


def test_a_revoked_invitation_cannot_be_used(app, admin, org, mailbox):
    _invite(admin, org)
    path = _link_path(mailbox)
    invitation_id = _invitation(org).id
    assert admin.post_form(org.url(f"invitations/{invitation_id}/revoke")).status_code == 303
    page = _stranger(app).get(path)
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)
    assert "partner_invitation.revoked" in security_actions(org.partner)
    again = admin.post_form(org.url(f"invitations/{invitation_id}/revoke"))
    assert again.status_code == 422
    assert "already accepted or revoked" in again.get_data(as_text=True)
    assert admin.post_form(org.url(f"invitations/{invitation_id}/resend")).status_code == 422


def test_resend_replaces_the_link_and_restarts_the_week(app, admin, org, mailbox, clock):
    _invite(admin, org)
    old_path = _link_path(mailbox)
    clock.advance(timedelta(days=6))
    sign_in(admin, org.admin)  # the earlier session timed out meanwhile
    invitation_id = _invitation(org).id
    assert admin.post_form(org.url(f"invitations/{invitation_id}/resend")).status_code == 303
    new_path = _link_path(mailbox)
    assert new_path != old_path and len(mailbox.to(INVITEE)) == 2
    assert _stranger(app).get(old_path).status_code == 404
    clock.advance(timedelta(days=6, hours=23))
    assert _stranger(app).get(new_path).status_code == 200
    clock.advance(timedelta(hours=1))
    expired = _stranger(app).get(new_path)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert "partner_invitation.resent" in security_actions(org.partner)


def test_unknown_links_are_404(app, org):
    stranger = _stranger(app)
    assert stranger.get(org.url("join/not-a-real-token")).status_code == 404
    assert stranger.get(org.url("join/" + "x" * 500)).status_code == 404
    assert stranger.get("/p/no-such-partner/join/abc").status_code == 404


def test_a_link_only_works_at_its_own_partner(app, admin, org, mailbox):
    other = make_partner()
    _invite(admin, org)
    token = _link_path(mailbox).rsplit("/", 1)[1]
    assert _stranger(app).get(other.url(f"join/{token}")).status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-email", "role": "referrer"}, "email", "Invalid email address"),
        ({"email": INVITEE, "role": "owner"}, "role", "Not a valid choice"),
        ({"email": "", "role": "referrer"}, "email", "This field is required"),
    ],
)
def test_a_bad_invitation_is_a_field_error_and_writes_nothing(
    admin, org, mailbox, data, field, message
):
    before = _rows()
    response = admin.post_form(org.url("invitations"), data)
    assert response.status_code == 422
    shown = PageErrors(response.get_data(as_text=True)).field_error(field)
    assert shown is not None and message in shown
    assert _rows() == before and mailbox.messages == []


def test_a_member_or_a_pending_invitee_cannot_be_invited_again(admin, org, mailbox):
    response = _invite(admin, org, email=org.referrer.email)
    assert response.status_code == 422
    assert "already a member of the organisation" in response.get_data(as_text=True)
    _invite(admin, org)
    again = _invite(admin, org)
    assert again.status_code == 422
    assert "An invitation is already pending" in again.get_data(as_text=True)
    assert len(mailbox.to(INVITEE)) == 1


# --- roles and removal -----------------------------------------------------------------


def test_an_administrator_changes_a_role_and_removes_a_member(app, admin, org):
    referrer_id = _membership_id(org, org.referrer)
    response = admin.post_form(org.url(f"members/{referrer_id}/role"), {"role": "admin"})
    assert response.status_code == 303
    assert membership_of(org.partner, org.referrer).role == PartnerRole.ADMIN
    changed = security_events(org.partner, "partner_member.role_changed")
    assert [(e.user_id, e.details["from"], e.details["to"]) for e in changed] == [
        (org.referrer.id, "referrer", "admin")
    ]

    removed_client = _stranger(app)
    sign_in(removed_client, org.referrer)
    assert removed_client.get(org.url()).status_code == 200
    response = admin.post_form(org.url(f"members/{referrer_id}/remove"))
    assert response.status_code == 303
    assert "no longer has access to the organisation" in admin.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert membership_of(org.partner, org.referrer) is None
    assert "partner_member.removed" in security_actions(org.partner)
    assert removed_client.get(org.url()).status_code == 404  # on their next request


def test_the_last_administrator_can_be_neither_demoted_nor_removed(admin, org):
    own_id = _membership_id(org, org.admin)
    for path, data in (("role", {"role": "referrer"}), ("remove", {})):
        response = admin.post_form(org.url(f"members/{own_id}/{path}"), data)
        assert response.status_code == 422
        assert "keeps at least one administrator" in response.get_data(as_text=True)
    assert membership_of(org.partner, org.admin).role == PartnerRole.ADMIN
    assert security_actions(org.partner, "partner_member.") == []


def test_with_two_administrators_one_steps_down_only_through_the_other(app, admin, org):
    second = _stranger(app)
    referrer_id = _membership_id(org, org.referrer)
    admin.post_form(org.url(f"members/{referrer_id}/role"), {"role": "admin"})
    own_id = _membership_id(org, org.admin)
    refused = admin.post_form(org.url(f"members/{own_id}/role"), {"role": "referrer"})
    assert refused.status_code == 422
    assert "You cannot change your own role" in refused.get_data(as_text=True)
    sign_in(second, org.referrer)
    demoted = second.post_form(org.url(f"members/{own_id}/role"), {"role": "referrer"})
    assert demoted.status_code == 303
    assert membership_of(org.partner, org.admin).role == PartnerRole.REFERRER
    # Now the only administrator, the former referrer cannot step down either.
    last = second.post_form(org.url(f"members/{referrer_id}/role"), {"role": "referrer"})
    assert last.status_code == 422


def test_a_referrer_reads_the_members_but_manages_nothing(client, org, mailbox):
    invitation = PartnerInvitationFactory(partner=org.partner, email=INVITEE)
    sign_in(client, org.referrer)
    page = client.get(org.url("members"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert org.admin.email in text and org.referrer.email in text
    assert 'name="role"' not in text and INVITEE not in text  # no forms, no invitations
    admin_id = _membership_id(org, org.admin)
    before = _rows()
    for path, data in (
        (f"members/{admin_id}/role", {"role": "referrer"}),
        (f"members/{admin_id}/remove", {}),
        ("invitations", {"email": "someone@example.org", "role": "admin"}),
        (f"invitations/{invitation.id}/revoke", {}),
        (f"invitations/{invitation.id}/resend", {}),
    ):
        assert client.post_form(org.url(path), data).status_code == 403, path
    assert _rows() == before and mailbox.messages == []
    assert membership_of(org.partner, org.admin).role == PartnerRole.ADMIN
    assert _invitation(org).is_pending


def test_another_partners_members_get_404_on_every_route(client, org, mailbox):
    other = make_partner()
    sign_in(client, other.admin)
    member_id = _membership_id(org, org.referrer)
    invitation = PartnerInvitationFactory(partner=org.partner, email=INVITEE)
    before = _rows()
    assert client.get(org.url("members")).status_code == 404
    for base in (org, other):  # the foreign partner's URLs, and B's ids in A's own
        for path, data in (
            (f"members/{member_id}/role", {"role": "admin"}),
            (f"members/{member_id}/remove", {}),
            (f"invitations/{invitation.id}/revoke", {}),
            (f"invitations/{invitation.id}/resend", {}),
        ):
            assert client.post_form(base.url(path), data).status_code == 404, base.url(path)
    assert client.post_form(org.url("invitations"), {"email": "x@example.org"}).status_code == 404
    assert _rows() == before and mailbox.messages == []
    assert membership_of(org.partner, org.referrer).role == PartnerRole.REFERRER
    assert _invitation(org).is_pending


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            ['lang="fr"', ">Membres<", "Prescripteur", "Administrateur", "Inviter une personne"],
        ),
        ("en", ['lang="en"', ">Members<", "Referrer", "Administrator", "Invite someone"]),
    ],
)
def test_the_members_page_in_french_and_in_english(client, org, language, expected):
    sign_in(client, org.admin)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    db.session.get(User, org.admin.id).locale = language
    db.session.commit()
    page = client.get(org.url("members")).get_data(as_text=True)
    for text in expected:
        assert text in page, text
    assert re.search(r"<html lang=\"(fr|en)\"", page).group(1) == language
