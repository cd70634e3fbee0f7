"""Sign-in, throttling, sign-out, session renewal and timeouts, CSRF."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.access import Workspace, register_lister
from core.accounts.models import User, UserSession
from core.audit import SecurityEvent
from core.db import db
from tests.factories import DEFAULT_PASSWORD, UserFactory

COOKIE = "mh_session"


def events(action: str) -> list[SecurityEvent]:
    return list(db.session.scalars(select(SecurityEvent).where(SecurityEvent.action == action)))


def cookie_data(app, client) -> dict:
    value = client.get_cookie(COOKIE).value
    return dict(app.session_interface.get_signing_serializer(app).loads(value))


@pytest.fixture
def listed(app) -> dict:
    """Workspaces per user id, standing in for the listers the domains register."""
    spaces: dict = {}
    register_lister(app, lambda user: spaces.get(user.id, []))
    return spaces


def workspace(kind: str = "tenant", slug: str = "centre-a", role: str = "admin") -> Workspace:
    return Workspace(kind=kind, id=uuid.uuid4(), slug=slug, name=slug.title(), role=role)


# --- landing after sign-in ------------------------------------------------------------


def test_a_user_with_one_center_lands_on_its_dashboard(client, listed):
    user = UserFactory()
    listed[user.id] = [workspace("tenant", "centre-a")]
    response = client.sign_in(user.email)
    assert response.status_code == 303
    assert response.location == "/c/centre-a/"
    assert client.is_signed_in()
    assert len(events("login.succeeded")) == 1


def test_a_user_with_one_partner_lands_on_its_portal(client, listed):
    user = UserFactory()
    listed[user.id] = [workspace("partner", "cabinet-b", "referrer")]
    assert client.sign_in(user.email).location == "/p/cabinet-b/"


def test_a_user_with_several_or_no_workspaces_lands_on_the_list(app, client, listed):
    several, none = UserFactory(), UserFactory()
    listed[several.id] = [workspace("tenant", "centre-a"), workspace("partner", "cabinet-b")]
    assert client.sign_in(several.email).location == "/account/workspaces"
    page = client.get("/account/workspaces").get_data(as_text=True)
    assert 'href="/c/centre-a/"' in page and 'href="/p/cabinet-b/"' in page
    assert "Administrator" in page or "Administrateur" in page

    other = app.test_client()
    assert other.sign_in(none.email).location == "/account/workspaces"
    empty = other.get("/account/workspaces").get_data(as_text=True)
    assert 'href="/signup"' in empty


def test_next_is_followed_only_when_it_stays_on_the_site(app, client, listed):
    user = UserFactory()
    listed[user.id] = [workspace("tenant", "centre-a")]
    assert client.sign_in(user.email, url="/login?next=/account/settings").location == (
        "/account/settings"
    )
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        other = app.test_client()
        response = other.sign_in(user.email, url=f"/login?next={evil}")
        assert response.location == "/c/centre-a/", evil


def test_the_sign_in_page_of_a_signed_in_user_sends_them_on(client):
    user = UserFactory()
    client.sign_in(user.email)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.location == "/account/workspaces"


# --- refusals and throttling -----------------------------------------------------------


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read English
    user = UserFactory()
    wrong = client.sign_in(user.email, "not the password at all")
    unknown = client.sign_in("nobody@example.org", "not the password at all")
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert "Invalid email or password" in response.get_data(as_text=True)
    assert not client.is_signed_in()
    failed = events("login.failed")
    assert sorted(str(e.user_id) for e in failed) == sorted([str(user.id), "None"])
    for event in failed:
        assert len(event.details["email_hash"]) == 64
        assert "not the password" not in str(event.details)
        assert user.email not in str(event.details)


def test_the_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read English
    user = UserFactory()
    for _ in range(5):
        assert client.sign_in(user.email, "wrong password!!").status_code == 422
    response = client.sign_in(user.email)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    assert not client.is_signed_in()
    assert len(events("login.failed")) == 5
    throttled = events("login.throttled")
    assert [e.user_id for e in throttled] == [user.id]
    assert events("login.succeeded") == []


def test_unknown_addresses_are_throttled_like_known_ones(client):
    for _ in range(5):
        client.sign_in("ghost@example.org", "wrong password!!")
    assert client.sign_in("GHOST@example.org ", "wrong password!!").status_code == 429


def test_a_success_resets_the_failure_count(client):
    user = UserFactory()
    for _ in range(4):
        client.sign_in(user.email, "wrong password!!")
    assert client.sign_in(user.email).status_code == 303
    client.post_form("/logout")
    client.forget_csrf()
    for _ in range(4):
        client.sign_in(user.email, "wrong password!!")
    assert client.sign_in(user.email).status_code == 303


def test_a_disabled_account_cannot_sign_in(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read English
    user = UserFactory(is_disabled=True)
    response = client.sign_in(user.email)
    assert response.status_code == 403
    assert "disabled" in response.get_data(as_text=True)
    assert not client.is_signed_in()


def test_an_invalid_form_is_shown_again_with_its_errors(client):
    response = client.post_form("/login", {"email": "", "password": "x" * 201})
    assert response.status_code == 422
    assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SecurityEvent)) == 0


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(app, client):
    user = UserFactory()
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(SecurityEvent)) == 0
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
    assert app.extensions["redis"].keys("login-failures:*") == []

    client.sign_in(user.email)
    response = client.post("/account/settings", data={"name": "Mallory", "locale": "en"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).name == user.name


# --- session renewal, sign-out and timeouts ------------------------------------------


def test_signing_in_renews_the_session_and_signing_out_kills_the_old_cookie(app, client):
    user = UserFactory()
    client.get("/login")
    anonymous = client.get_cookie(COOKIE).value
    assert "sid" not in cookie_data(app, client)

    client.sign_in(user.email)
    first = client.get_cookie(COOKIE).value
    first_sid = cookie_data(app, client)["sid"]
    assert first != anonymous

    client.sign_in(user.email)  # again, in the same browser: a new id, the old one ended
    assert cookie_data(app, client)["sid"] != first_sid
    replaced = db.session.scalars(select(UserSession).where(UserSession.end_reason == "replaced"))
    assert len(list(replaced)) == 1
    signed_in_cookie = client.get_cookie(COOKIE).value

    response = client.post_form("/logout")
    assert response.status_code == 303 and response.location == "/"
    assert not client.is_signed_in()
    assert [e.user_id for e in events("logout")] == [user.id]

    for old in (first, signed_in_cookie):  # replaying an old cookie signs nobody in
        client.set_cookie(COOKIE, old)
        assert not client.is_signed_in()


def test_sign_out_is_a_post(client):
    user = UserFactory()
    client.sign_in(user.email)
    assert client.get("/logout").status_code == 405
    assert client.is_signed_in()


def test_an_idle_session_times_out(client, clock):
    user = UserFactory()
    client.sign_in(user.email)
    clock.advance(timedelta(minutes=29))
    assert client.is_signed_in()
    clock.advance(timedelta(minutes=30))
    response = client.get("/account/workspaces")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    assert [e.user_id for e in events("session.idle_timeout")] == [user.id]
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.end_reason == "idle_timeout"
    assert not client.is_signed_in()  # the timeout is final, not only for one request


def test_an_active_session_still_ends_after_twelve_hours(client, clock):
    user = UserFactory()
    client.sign_in(user.email)
    for _ in range(35):  # 11 h 40 min of activity, one request every 20 minutes
        clock.advance(timedelta(minutes=20))
        assert client.is_signed_in()
    clock.advance(timedelta(minutes=20))
    assert not client.is_signed_in()
    assert [e.user_id for e in events("session.absolute_timeout")] == [user.id]
    assert events("session.idle_timeout") == []
