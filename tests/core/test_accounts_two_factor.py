"""Two-factor authentication (TOTP): enabling, signing in with a code, disabling."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from sqlalchemy import select

from core.accounts.models import User
from core.audit import SecurityEvent
from core.clock import now
from core.db import db
from tests.factories import DEFAULT_PASSWORD, UserFactory


def actions(user_id) -> list[str]:
    query = select(SecurityEvent.action).where(SecurityEvent.user_id == user_id)
    return list(db.session.scalars(query))


def code(secret: str, clock, offset: timedelta = timedelta(0)) -> str:
    return pyotp.TOTP(secret).at(clock.now() + offset)


def shown_secret(page: str) -> str:
    """The key shown for manual entry, in groups of four."""
    return re.search(r'translate="no">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def user_with_two_factor(clock, **fields) -> tuple[User, str]:
    secret = pyotp.random_base32()
    return UserFactory(totp_secret=secret, totp_enabled_at=now(), **fields), secret


def test_enabling_shows_a_qr_code_and_needs_a_valid_code(client, clock):
    user = UserFactory(locale="en")  # the assertions read English
    client.sign_in(user.email)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and "<script" not in page.split("<svg", 1)[1].split("</svg>")[0]
    secret = shown_secret(page)
    # The same secret is offered until confirmed, so an app that scanned it keeps working.
    assert shown_secret(client.get("/account/two-factor").get_data(as_text=True)) == secret

    wrong = client.post_form("/account/two-factor", {"code": "000000"})
    assert wrong.status_code == 422
    assert "not valid" in wrong.get_data(as_text=True)
    assert not reload(user).totp_enabled

    response = client.post_form("/account/two-factor", {"code": code(secret, clock)})
    assert response.status_code == 303
    stored = reload(user)
    assert stored.totp_enabled and stored.totp_secret == secret
    assert "two_factor.enabled" in actions(user.id)


def test_enabling_returns_to_the_page_that_required_it(client, clock):
    user = UserFactory(locale="en")  # the assertions read English
    client.sign_in(user.email)
    url = "/account/two-factor?next=/c/centre-a/settings%3Ftab%3D2fa"
    page = client.get(url).get_data(as_text=True)
    assert "to continue to this workspace" in page
    secret = shown_secret(page)
    response = client.post_form(url, {"code": code(secret, clock)})
    assert response.status_code == 303
    assert response.location == "/c/centre-a/settings?tab=2fa"


def test_an_unsafe_next_is_ignored_after_enabling(client, clock):
    user = UserFactory()
    client.sign_in(user.email)
    url = "/account/two-factor?next=//evil.example/"
    page = client.get(url).get_data(as_text=True)
    secret = shown_secret(page)
    assert client.post_form(url, {"code": code(secret, clock)}).location == "/account/two-factor"


def test_sign_in_then_asks_for_a_valid_code(client, clock):
    user, secret = user_with_two_factor(clock)
    response = client.sign_in(user.email, url="/login?next=/account/settings")
    assert response.status_code == 303
    assert response.location == "/login/two-factor?next=/account/settings"
    assert not client.is_signed_in()  # the password alone signs nobody in

    wrong = client.post_form(response.location, {"code": code(secret, clock, timedelta(minutes=5))})
    assert wrong.status_code == 422
    assert not client.is_signed_in()
    failed = db.session.scalars(select(SecurityEvent).where(SecurityEvent.action == "login.failed"))
    assert [e.details.get("factor") for e in failed] == ["totp"]

    ok = client.post_form(response.location, {"code": code(secret, clock)})
    assert ok.status_code == 303
    assert ok.location == "/account/settings"
    client.forget_csrf()
    assert client.is_signed_in()
    assert "login.succeeded" in actions(user.id)


def test_a_code_is_accepted_only_once(app, client, clock):
    user, secret = user_with_two_factor(clock)
    used = code(secret, clock)
    client.sign_in(user.email)
    assert client.post_form("/login/two-factor", {"code": used}).status_code == 303

    other = app.test_client()
    other.sign_in(user.email)
    assert other.post_form("/login/two-factor", {"code": used}).status_code == 422
    assert not other.is_signed_in()
    clock.advance(timedelta(seconds=30))  # the next code, in the next time step
    assert other.post_form("/login/two-factor", {"code": code(secret, clock)}).status_code == 303


def test_wrong_codes_count_as_failed_sign_ins(client, clock):
    user, secret = user_with_two_factor(clock)
    client.sign_in(user.email)
    for _ in range(5):
        assert client.post_form("/login/two-factor", {"code": "123 456"}).status_code == 422
    response = client.post_form("/login/two-factor", {"code": code(secret, clock)})
    assert response.status_code == 429
    assert not client.is_signed_in()
    assert client.sign_in(user.email).status_code == 429  # the password step is locked too
    assert "login.throttled" in actions(user.id)


def test_the_code_step_expires_after_five_minutes(client, clock):
    user, secret = user_with_two_factor(clock)
    client.sign_in(user.email)
    clock.advance(timedelta(minutes=5, seconds=1))
    response = client.post_form("/login/two-factor", {"code": code(secret, clock)})
    assert response.status_code == 303
    assert response.location.startswith("/login")
    assert not client.is_signed_in()
    assert client.get("/login/two-factor").status_code == 303


def test_the_code_step_cannot_be_reached_without_the_password(client):
    response = client.get("/login/two-factor")
    assert response.status_code == 303
    assert response.location == "/login"


def test_disabling_needs_the_password_and_a_code(client, clock):
    user, secret = user_with_two_factor(clock, locale="en")  # the assertions read English
    client.sign_in(user.email)
    client.post_form("/login/two-factor", {"code": code(secret, clock)})
    client.forget_csrf()
    clock.advance(timedelta(seconds=30))

    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Turn off" in page and "<svg" not in page
    bad_password = {"password": "not my password", "code": code(secret, clock)}
    assert client.post_form("/account/two-factor", bad_password).status_code == 422
    bad_code = {"password": DEFAULT_PASSWORD, "code": code(secret, clock, timedelta(minutes=3))}
    assert client.post_form("/account/two-factor", bad_code).status_code == 422
    assert reload(user).totp_enabled

    good = {"password": DEFAULT_PASSWORD, "code": code(secret, clock)}
    assert client.post_form("/account/two-factor", good).status_code == 303
    stored = reload(user)
    assert not stored.totp_enabled and stored.totp_secret is None
    assert actions(user.id).count("reauth.failed") == 2
    assert "two_factor.disabled" in actions(user.id)

    client.post_form("/logout")
    client.forget_csrf()
    assert client.sign_in(user.email).location == "/account/workspaces"
