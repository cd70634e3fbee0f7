"""Account settings: profile, language and password change."""

from __future__ import annotations

from sqlalchemy import select

from core.accounts.models import User, UserSession
from core.audit import SecurityEvent
from core.db import db
from tests.factories import DEFAULT_PASSWORD, UserFactory

NEW_PASSWORD = "another long passphrase"


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def events(user_id, action: str) -> list[SecurityEvent]:
    query = select(SecurityEvent).where(
        SecurityEvent.user_id == user_id, SecurityEvent.action == action
    )
    return list(db.session.scalars(query))


def change(client, current: str, new: str = NEW_PASSWORD, confirm: str | None = None):
    data = {"current_password": current, "password": new, "confirm": confirm or new}
    return client.post_form("/account/password", data)


def test_settings_need_a_signed_in_user(client):
    for path in ("/account/settings", "/account/two-factor", "/account/workspaces"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.location == f"/login?next={path}"
    assert client.post_form("/account/password", {}).status_code == 401


def test_name_and_language_are_saved_and_audited(client):
    user = UserFactory(name="Camille Martin", locale="fr")
    client.sign_in(user.email)
    page = client.get("/account/settings").get_data(as_text=True)
    assert 'value="Camille Martin"' in page
    assert '<option selected value="fr">' in page

    response = client.post_form("/account/settings", {"name": "  Camille Durand ", "locale": "en"})
    assert response.status_code == 303
    stored = reload(user)
    assert (stored.name, stored.locale) == ("Camille Durand", "en")
    [event] = events(user.id, "account.updated")
    assert sorted(event.details["fields"]) == ["locale", "name"]
    assert '<html lang="en">' in client.get("/account/settings").get_data(as_text=True)

    client.post_form("/account/settings", {"name": "Camille Durand", "locale": "en"})
    assert len(events(user.id, "account.updated")) == 1  # nothing changed, nothing recorded


def test_an_invalid_profile_is_shown_again_and_not_saved(client):
    user = UserFactory(name="Camille Martin")
    client.sign_in(user.email)
    for data in (
        {"name": "", "locale": "fr"},
        {"name": "x" * 121, "locale": "fr"},
        {"name": "Camille", "locale": "de"},
    ):
        response = client.post_form("/account/settings", data)
        assert response.status_code == 422, data
        assert "is-invalid" in response.get_data(as_text=True)
    assert reload(user).name == "Camille Martin"
    assert events(user.id, "account.updated") == []


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(app, client, mailbox):
    user = UserFactory(locale="en")
    elsewhere = app.test_client()
    elsewhere.sign_in(user.email)
    client.sign_in(user.email)

    wrong = change(client, "not my password")
    assert wrong.status_code == 422
    assert "not your current password" in wrong.get_data(as_text=True)
    assert change(client, DEFAULT_PASSWORD, NEW_PASSWORD, "mismatch!!!!").status_code == 422
    assert change(client, DEFAULT_PASSWORD, "short").status_code == 422
    assert len(events(user.id, "reauth.failed")) == 1
    assert elsewhere.is_signed_in()

    response = change(client, DEFAULT_PASSWORD)
    assert response.status_code == 303
    assert client.is_signed_in()  # this session stays
    assert not elsewhere.is_signed_in()
    db.session.expire_all()
    reasons = db.session.scalars(
        select(UserSession.end_reason).where(UserSession.user_id == user.id)
    )
    assert sorted(map(str, reasons)) == ["None", "password_changed"]
    assert len(events(user.id, "password.changed")) == 1
    assert mailbox.last_to(user.email)["Subject"] == "Your Mediation Hub password was changed"

    client.post_form("/logout")
    client.forget_csrf()
    assert client.sign_in(user.email, DEFAULT_PASSWORD).status_code == 422
    assert client.sign_in(user.email, NEW_PASSWORD).status_code == 303


def test_guessing_the_current_password_is_throttled(client):
    user = UserFactory()
    client.sign_in(user.email)
    for _ in range(5):
        assert change(client, "a wrong guess").status_code == 422
    assert change(client, DEFAULT_PASSWORD).status_code == 429
    assert reload(user).password_hash == user.password_hash
