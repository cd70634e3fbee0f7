"""French by default, English on request, the signed-in user's choice remembered."""

from __future__ import annotations

import re


def _lang(response) -> str:
    return re.search(r'<html lang="(\w+)"', response.get_data(as_text=True)).group(1)


def test_french_is_the_default(client):
    response = client.get("/")
    assert _lang(response) == "fr"
    assert "Inscrire un centre" in response.get_data(as_text=True)


def test_a_browser_asking_for_english_gets_english(client):
    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert _lang(response) == "en"
    assert "Register a center" in response.get_data(as_text=True)


def test_the_language_switch_is_remembered(client):
    response = client.post_form("/locale", {"locale": "en", "next": "/"})
    assert response.status_code == 303
    assert _lang(client.get("/")) == "en"
    client.post_form("/locale", {"locale": "fr", "next": "//evil.example/"})
    assert _lang(client.get("/")) == "fr"


def test_an_unknown_language_is_ignored(client):
    client.post_form("/locale", {"locale": "de"})
    assert _lang(client.get("/")) == "fr"


def test_outside_a_request_the_default_language_applies(app):
    from flask_babel import get_locale

    with app.app_context():
        assert str(get_locale()) == "fr"
