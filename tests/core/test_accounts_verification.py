"""Email verification: the link from the mailbox, the signal, and new links on request."""

from __future__ import annotations

import contextvars
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from sqlalchemy import select

from core import audit, jobs
from core.accounts import services
from core.accounts.models import User
from core.accounts.signals import email_verified
from core.audit import SecurityEvent
from core.clock import now
from core.db import db
from tests.factories import DEFAULT_PASSWORD, UserFactory


def is_signed_in(client) -> bool:
    return client.get("/account/workspaces").status_code == 200


def actions(user_id) -> list[str]:
    return list(
        db.session.scalars(select(SecurityEvent.action).where(SecurityEvent.user_id == user_id))
    )


def page_text(response) -> str:
    """The page without its CSRF tokens, which carry a timestamp."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def send_verification(app, user: User) -> None:
    """What the center sign-up does: call the service, then commit."""
    services.send_email_verification(user)
    db.session.commit()
    if not app.config["JOBS_INLINE"]:  # on Redis, a worker sends it
        contextvars.Context().run(jobs.run_pending, app)


def verification_path(mailbox, user: User) -> str:
    return urlsplit(mailbox.link_in(mailbox.last_to(user.email), "/verify-email/")).path


@pytest.fixture
def subscriber(app):
    """A domain's subscriber, writing in the transaction of the verification."""
    seen: list = []

    def on_verified(sender, user):
        seen.append(user.id)
        audit.record_security("test.subscriber_wrote", user_id=user.id)

    email_verified.connect(on_verified, sender=app)
    yield seen
    email_verified.disconnect(on_verified, sender=app)


def test_the_emailed_link_verifies_the_address_and_signs_in(app, client, mailbox, subscriber):
    user = UserFactory(email_verified_at=None, locale="en")
    send_verification(app, user)
    message = mailbox.last_to(user.email)
    assert message["Subject"] == "Confirm your email address for Mediation Hub"

    response = client.get(verification_path(mailbox, user))
    assert response.status_code == 303
    assert response.location == "/account/workspaces"
    assert is_signed_in(client)

    db.session.expire_all()
    assert db.session.get(User, user.id).email_verified_at is not None
    assert subscriber == [user.id]
    recorded = actions(user.id)
    # The subscriber's write was committed by the same commit as the verification.
    assert {"email.verified", "test.subscriber_wrote", "login.succeeded"} <= set(recorded)


def test_a_used_expired_or_made_up_link_gets_a_friendly_page(app, client, mailbox, clock):
    user = UserFactory(email_verified_at=None)
    send_verification(app, user)
    path = verification_path(mailbox, user)
    assert client.get(path).status_code == 303
    other = app.test_client()
    used = other.get(path, headers={"Accept-Language": "en"})  # the assertions read English
    assert used.status_code == 400
    assert "no longer works" in used.get_data(as_text=True)
    assert not is_signed_in(other)

    late = UserFactory(email_verified_at=None)
    send_verification(app, late)
    clock.advance(timedelta(hours=24, seconds=1))
    assert other.get(verification_path(mailbox, late)).status_code == 400
    for made_up in ("/verify-email/nope", "/verify-email/" + "a" * 300):
        assert other.get(made_up).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, late.id).email_verified_at is None


def test_a_link_does_not_bypass_the_second_factor(app, client, mailbox):
    user = UserFactory(
        email_verified_at=None, totp_secret=pyotp.random_base32(), totp_enabled_at=now()
    )
    send_verification(app, user)
    response = client.get(verification_path(mailbox, user))
    assert response.status_code == 303
    assert response.location == "/login"
    assert not is_signed_in(client)
    db.session.expire_all()
    assert db.session.get(User, user.id).email_verified_at is not None


def test_an_unverified_user_is_refused_and_can_ask_for_a_new_link(client, mailbox):
    user = UserFactory(email_verified_at=None)
    response = client.post_form(
        "/login",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        headers={"Accept-Language": "en"},  # the assertions read English
    )
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "confirm your email address" in page
    assert 'action="/verify-email/resend"' in page
    assert not is_signed_in(client)

    sent = client.post_form("/verify-email/resend", {"email": user.email})
    assert sent.status_code == 200
    path = verification_path(mailbox, user)
    assert client.get(path).status_code == 303
    assert is_signed_in(client)


def test_asking_for_a_link_reveals_nothing_and_is_rate_limited(client, mailbox):
    verified = UserFactory()
    unverified = UserFactory(email_verified_at=None)
    answers = [
        client.post_form("/verify-email/resend", {"email": email})
        for email in (verified.email, unverified.email, "nobody@example.org")
    ]
    assert {a.status_code for a in answers} == {200}
    assert len({page_text(a) for a in answers}) == 1
    assert mailbox.to(verified.email) == [] and mailbox.to("nobody@example.org") == []
    assert len(mailbox.to(unverified.email)) == 1

    for _ in range(2):
        client.post_form("/verify-email/resend", {"email": unverified.email})
    limited = client.post_form("/verify-email/resend", {"email": unverified.email})
    assert limited.status_code == 429
    assert len(mailbox.to(unverified.email)) == 3
    assert client.get("/verify-email/resend").status_code == 200
