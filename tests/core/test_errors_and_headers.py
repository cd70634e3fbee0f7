"""Errors in one place (problem+json for the API, pages for the web) and security headers."""

from __future__ import annotations

import pytest

from core.access import access


def test_unknown_page_gets_a_friendly_html_404(client):
    response = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert 'href="/"' in response.get_data(as_text=True)


def test_api_errors_are_rfc9457_problems(client):
    response = client.get("/api/v1/no-such-resource")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == 404
    assert body["type"].startswith("https://")
    assert body["title"] == "Not Found"
    assert body["instance"] == "/api/v1/no-such-resource"
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_a_json_client_gets_problems_on_web_routes_too(client):
    response = client.post("/healthz", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "Allow" not in response.headers


def test_bodies_over_one_megabyte_are_refused_with_413(client):
    response = client.post(
        "/login", data={"email": "x" * (1024 * 1024 + 10)}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 413
    api = client.post(
        "/locale",
        data=b"{" + b" " * (1024 * 1024 + 10) + b"}",
        content_type="application/json",
        headers={"Accept": "application/json"},
    )
    assert api.status_code == 413
    assert api.mimetype == "application/problem+json"


@pytest.fixture
def exploding_app(app):
    @access("public")
    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", "explode", explode)
    app.add_url_rule("/api/v1/explode", "api_explode", explode)
    return app


def test_unexpected_errors_never_leak_internals(exploding_app, client):
    page = client.get("/explode", headers={"Accept": "text/html"})
    assert page.status_code == 500
    assert "secret internals" not in page.get_data(as_text=True)
    api = client.get("/api/v1/explode")
    assert api.status_code == 500
    assert api.mimetype == "application/problem+json"
    assert "secret internals" not in api.get_data(as_text=True)


def test_security_headers_on_pages(client):
    response = client.get("/")
    headers = response.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers


def test_hsts_is_sent_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_flags(app, client):
    client.get("/")
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_session_cookie_is_secure_when_served_over_https(app_config):
    from core.app import create_app

    secure_app = create_app({**app_config, "HTTPS": True, "SESSION_COOKIE_SECURE": True})
    client = secure_app.test_client()
    client.get("/", base_url="https://localhost")
    assert client.get_cookie("mh_session", domain="localhost").secure
