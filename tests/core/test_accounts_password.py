"""Forgotten password: the emailed link, read from the SMTP server, works once and in time."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from core.accounts.models import AccountToken, UserSession
from core.audit import SecurityEvent
from core.db import db
from tests.factories import DEFAULT_PASSWORD, UserFactory

NEW_PASSWORD = "a brand new passphrase"
ENGLISH = {"Accept-Language": "en"}  # for the requests whose page text is asserted


def actions(user_id) -> list[str]:
    query = select(SecurityEvent.action).where(SecurityEvent.user_id == user_id)
    return list(db.session.scalars(query.order_by(SecurityEvent.created_at)))


def page_text(response) -> str:
    """The page without its CSRF tokens, which carry a timestamp."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def request_reset_link(client, mailbox, email: str) -> str:
    response = client.post_form("/password/forgot", {"email": email})
    assert response.status_code == 200
    link = mailbox.link_in(mailbox.last_to(email), "/password/reset/")
    assert link.startswith("http://localhost/password/reset/")
    return urlsplit(link).path


def test_the_emailed_link_resets_the_password_once_and_ends_every_session(app, client, mailbox):
    user = UserFactory(locale="en")
    elsewhere = app.test_client()
    elsewhere.sign_in(user.email)

    path = request_reset_link(client, mailbox, user.email.upper())
    assert mailbox.last_to(user.email)["Subject"] == "Reset your Mediation Hub password"
    page = client.get(path)
    assert page.status_code == 200
    assert 'autocomplete="new-password"' in page.get_data(as_text=True)

    response = client.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.location == "/login"

    assert not elsewhere.is_signed_in()
    db.session.expire_all()
    ended = db.session.scalars(select(UserSession.end_reason).where(UserSession.user_id == user.id))
    assert list(ended) == ["password_reset"]
    assert "password.reset" in actions(user.id)
    notice = mailbox.last_to(user.email)
    assert notice["Subject"] == "Your Mediation Hub password was changed"

    assert client.sign_in(user.email, DEFAULT_PASSWORD).status_code == 422
    assert client.sign_in(user.email, NEW_PASSWORD).status_code == 303

    again = app.test_client()
    assert again.get(path).status_code == 400
    second = again.post_form(
        path, {"password": "yet another passphrase", "confirm": "x"}, headers=ENGLISH
    )
    assert second.status_code == 400
    assert "no longer works" in second.get_data(as_text=True)
    assert again.sign_in(user.email, NEW_PASSWORD).status_code == 303


def test_the_link_expires_after_its_ttl(client, mailbox, clock):
    user = UserFactory()
    path = request_reset_link(client, mailbox, user.email)
    clock.advance(timedelta(hours=1, seconds=1))
    assert client.get(path).status_code == 400
    response = client.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert client.sign_in(user.email, DEFAULT_PASSWORD).status_code == 303


def test_a_new_password_must_be_long_enough_and_confirmed(client, mailbox):
    user = UserFactory()
    path = request_reset_link(client, mailbox, user.email)
    short = client.post_form(path, {"password": "short", "confirm": "short"})
    assert short.status_code == 422
    mismatch = client.post_form(
        path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"}, headers=ENGLISH
    )
    assert mismatch.status_code == 422
    assert "do not match" in mismatch.get_data(as_text=True)
    huge = client.post_form(path, {"password": "x" * 201, "confirm": "x" * 201})
    assert huge.status_code == 422
    # The link was not used up by the invalid attempts.
    ok = client.post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert ok.status_code == 303


def test_a_reset_retires_the_other_links_sent_before(client, mailbox):
    user = UserFactory()
    first = request_reset_link(client, mailbox, user.email)
    second = request_reset_link(client, mailbox, user.email)
    assert first != second
    client.post_form(second, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get(first).status_code == 400


def test_the_answer_does_not_tell_whether_an_account_exists(client, mailbox):
    user = UserFactory()
    known = client.post_form("/password/forgot", {"email": user.email})
    unknown = client.post_form("/password/forgot", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert page_text(known) == page_text(unknown)
    assert mailbox.to("nobody@example.org") == []
    assert len(mailbox.to(user.email)) == 1
    assert db.session.scalar(select(AccountToken.user_id)) == user.id


def test_requests_for_one_address_are_rate_limited(client, mailbox):
    user = UserFactory()
    for _ in range(3):
        assert client.post_form("/password/forgot", {"email": user.email}).status_code == 200
    assert client.post_form("/password/forgot", {"email": user.email}).status_code == 429
    assert len(mailbox.to(user.email)) == 3
    # Unknown addresses are limited alike, so the limit reveals nothing either.
    for _ in range(3):
        client.post_form("/password/forgot", {"email": "nobody@example.org"})
    assert client.post_form("/password/forgot", {"email": "nobody@example.org"}).status_code == 429


def test_a_made_up_or_malformed_link_gets_a_friendly_page(client):
    for path in ("/password/reset/not-a-token", "/password/reset/" + "x" * 500):
        response = client.get(path, headers=ENGLISH)
        assert response.status_code == 400
        assert "no longer works" in response.get_data(as_text=True)
    bad_email = client.post_form("/password/forgot", {"email": "not an email"})
    assert bad_email.status_code == 422
