"""API clients in a real browser, in French and in English: a center's administrator
registers a confidential client and reads its secret once; a program uses it (client
credentials); a member of the center lets it act for her through the consent page
(authorization code with PKCE), then withdraws that access from her account, after which
the application's tokens are refused.

The pages are read in the test's language: the browser context's locale sets
Accept-Language (the sign-in page) and each person's locale is that language (the pages
once signed in). The program's side (token endpoint, API) is plain `requests`, never
the browser. The client's redirect URI is on a loopback port where nothing listens: the
browser's arrival there is intercepted and answered by the test, which reads the code
and state from it. (Browsers hold a form's redirect to the page's CSP `form-action`: the
consent page must name the client's origin there, or Allow would never lead back.)
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import Page, Route, expect

from core.oauth.revocation import REVOCATION_CACHE_SECONDS
from tenants.models import Role
from tests.conftest import free_port
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, TenantFactory, UserFactory
from tests.oauth import bearer, pkce_pair

HTTP_TIMEOUT_S = 10
CENTER = "Centre de Médiation de Villeurbanne"
SLUG = "mediation-villeurbanne"
ADMIN = {"name": "Claire Dubois", "email": "claire.dubois@villeurbanne-mediation.example"}
MEMBER = {"name": "Nadia Benali", "email": "nadia.benali@villeurbanne-mediation.example"}
APP = "Agenda des médiations"

# What each page says, in each language (the French from core/translations/fr).
TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "lang": "en",
        "sign_in": "Sign in",
        "email": "Email address",
        "password": "Password",
        "main_navigation": "Main navigation",
        "api_clients": "API clients",
        "no_client": "The center has no API client yet.",
        "new_client": "New API client",
        "app_name": "Application name",
        "type": "Type",
        "confidential": "Confidential: runs on a server that keeps a secret",
        "grant_types": "Grant types",
        "client_credentials": "Client credentials: your own server calls the API",
        "authorization_code": "Authorization code: people sign in and consent",
        "refresh_token": "Refresh tokens: keep access without a new sign-in",
        "scopes": "Scopes",
        "mediators_read": "Read the center's mediators",
        "profile": (
            "Read and edit your mediator profile, training and certifications, and see the "
            "centers and organisations you belong to"
        ),
        "redirect_uris": "Redirect URIs",
        "register": "Register the client",
        "registered": "{name} is registered",
        "not_shown_again": "Copy the secret now: it will not be shown again.",
        "copied": "I have copied the secret",
        "clients_table": "API clients of the center",
        "wants_access": "{name} wants to access your account",
        "registered_by_center": "This application is registered by {owner}.",
        "signed_in_as": "Signed in as {email}.",
        "allow": "Allow",
        "applications": "Connected applications",
        "registered_by": "Registered by {owner}",
        "withdraw_of": "Withdraw the access of {name}",
        "withdrawn": "{name} no longer has access to your account.",
        "no_application": "No application has access to your account.",
    },
    "fr": {
        "lang": "fr",
        "sign_in": "Se connecter",
        "email": "Adresse e-mail",
        "password": "Mot de passe",
        "main_navigation": "Navigation principale",
        "api_clients": "Clients API",
        "no_client": "Le centre n'a pas encore de client API.",
        "new_client": "Nouveau client API",
        "app_name": "Nom de l'application",
        "type": "Type",
        "confidential": "Confidentiel\u00a0: s'exécute sur un serveur qui garde un secret",
        "grant_types": "Types d'autorisation",
        "client_credentials": "Identifiants client\u00a0: votre propre serveur appelle l'API",
        "authorization_code": (
            "Code d'autorisation\u00a0: les personnes se connectent et donnent leur accord"
        ),
        "refresh_token": "Jetons de rafraîchissement\u00a0: garder l'accès sans nouvelle connexion",
        "scopes": "Périmètres",
        "mediators_read": "Consulter les médiateurs du centre",
        "profile": (
            "Lire et modifier votre profil de médiateur, vos formations et certifications, et "
            "voir les centres et organisations dont vous êtes membre"
        ),
        "redirect_uris": "URI de redirection",
        "register": "Enregistrer le client",
        "registered": "{name} est enregistré",
        "not_shown_again": "Copiez le secret maintenant\u00a0: il ne sera plus affiché.",
        "copied": "J'ai copié le secret",
        "clients_table": "Clients API du centre",
        "wants_access": "{name} souhaite accéder à votre compte",
        "registered_by_center": "Cette application est enregistrée par {owner}.",
        "signed_in_as": "Connecté en tant que {email}.",
        "allow": "Autoriser",
        "applications": "Applications connectées",
        "registered_by": "Enregistrée par {owner}",
        "withdraw_of": "Retirer l'accès de {name}",
        "withdrawn": "{name} n'a plus accès à votre compte.",
        "no_application": "Aucune application n'a accès à votre compte.",
    },
}


@pytest.fixture
def center(app: Any, language: str) -> uuid.UUID:
    """The center (its id), its administrator and a case manager, both speaking the
    test's language; the factories commit, so the live server's threads see the rows."""
    tenant_id = uuid.uuid4()
    tenant = TenantFactory(id=tenant_id, slug=SLUG, legal_name=CENTER, locale=language)
    for person, role in ((ADMIN, Role.ADMIN), (MEMBER, Role.CASE_MANAGER)):
        MembershipFactory(tenant=tenant, role=role, user=UserFactory(locale=language, **person))
    return tenant_id


@dataclass
class Callback:
    """The client's redirect URI, on a loopback port where nothing listens."""

    uri: str

    def pattern(self) -> re.Pattern[str]:
        """The URI with any query."""
        return re.compile(rf"^{re.escape(self.uri)}(\?.*)?$")


@pytest.fixture
def callback() -> Callback:
    return Callback(f"http://127.0.0.1:{free_port()}/callback")


def _sign_in(page: Page, person: dict[str, str], t: dict[str, str]) -> None:
    """Fill and send the sign-in form the page shows (after a redirect or not)."""
    expect(page.get_by_role("heading", level=1)).to_have_text(t["sign_in"])
    expect(page.locator("html")).to_have_attribute("lang", t["lang"])
    page.get_by_label(t["email"], exact=True).fill(person["email"])
    page.get_by_label(t["password"], exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("main").get_by_role("button", name=t["sign_in"], exact=True).click()


def _register_client(page: Page, base_url: str, callback: Callback, t: dict[str, str]) -> None:
    """From the dashboard, through the navigation, to the new client form, sent."""
    expect(page).to_have_url(f"{base_url}/c/{SLUG}/")
    navigation = page.get_by_role("navigation", name=t["main_navigation"])
    navigation.get_by_role("link", name=t["api_clients"], exact=True).click()
    expect(page).to_have_url(f"{base_url}/c/{SLUG}/integrations")
    expect(page.locator("html")).to_have_attribute("lang", t["lang"])
    expect(page.get_by_role("heading", level=1)).to_have_text(t["api_clients"])
    expect(page.get_by_text(t["no_client"], exact=True)).to_be_visible()

    page.get_by_role("link", name=t["new_client"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["new_client"])
    page.get_by_label(t["app_name"], exact=True).fill(APP)
    kind = page.get_by_role("group", name=t["type"], exact=True)
    kind.get_by_label(t["confidential"], exact=True).check()
    grants = page.get_by_role("group", name=t["grant_types"], exact=True)
    for grant in ("client_credentials", "authorization_code", "refresh_token"):
        grants.get_by_label(t[grant], exact=True).check()
    # Each scope's label is its description followed by its name.
    scopes = page.get_by_role("group", name=t["scopes"], exact=True)
    for scope, name in (("mediators_read", "mediators:read"), ("profile", "profile")):
        scopes.get_by_label(f"{t[scope]} {name}", exact=True).check()
    page.get_by_label(t["redirect_uris"], exact=True).fill(callback.uri)
    page.get_by_role("button", name=t["register"], exact=True).click()


def _read_secret_page(page: Page, t: dict[str, str]) -> tuple[str, str]:
    """The client id and the secret, shown this once."""
    expect(page.get_by_role("heading", level=1)).to_have_text(t["registered"].format(name=APP))
    expect(page.locator("html")).to_have_attribute("lang", t["lang"])
    expect(page.get_by_role("status")).to_contain_text(t["not_shown_again"])
    client_id = page.locator("#client-id").inner_text().strip()
    secret = page.locator("#client-secret").inner_text().strip()
    assert client_id.startswith("mhc_"), client_id
    assert secret.startswith("mhs_"), secret
    return client_id, secret


def _expect_client_listed(
    page: Page, base_url: str, client_id: str, secret: str, t: dict[str, str]
) -> None:
    """Past the secret page, the client's page and the list show only the secret's end."""
    page.get_by_role("link", name=t["copied"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(APP)
    expect(page.get_by_text(client_id, exact=True)).to_be_visible()
    expect(page.get_by_text(f"…{secret[-4:]}", exact=True)).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(secret)
    page.get_by_role("main").get_by_role("link", name=t["api_clients"], exact=True).click()
    expect(page).to_have_url(f"{base_url}/c/{SLUG}/integrations")
    row = page.get_by_role("table", name=t["clients_table"]).get_by_role("row").filter(has_text=APP)
    expect(row).to_contain_text(client_id)
    expect(row).to_contain_text("mediators:read")
    expect(page.locator("main")).not_to_contain_text(secret)


def _post_token(base_url: str, auth: tuple[str, str], **data: str) -> requests.Response:
    return requests.post(f"{base_url}/oauth/token", data=data, auth=auth, timeout=HTTP_TIMEOUT_S)


def _api(base_url: str, path: str, token: str) -> requests.Response:
    return requests.get(f"{base_url}{path}", headers=bearer(token), timeout=HTTP_TIMEOUT_S)


def _authorization_url(base_url: str, client_id: str, callback: Callback) -> tuple[str, str, str]:
    """(url, state, code verifier) of an authorization request for the profile scope."""
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(12)
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": callback.uri,
        "scope": "profile",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{base_url}/oauth/authorize?{urlencode(query)}", state, verifier


def _expect_consent_page(page: Page, t: dict[str, str]) -> None:
    heading = t["wants_access"].format(name=APP)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("html")).to_have_attribute("lang", t["lang"])
    main = page.get_by_role("main")
    expect(main).to_contain_text(t["registered_by_center"].format(owner=CENTER))
    expect(main).to_contain_text(t["signed_in_as"].format(email=MEMBER["email"]))
    requested = main.get_by_role("listitem")
    expect(requested).to_have_count(1)
    expect(requested).to_contain_text(t["profile"])


def _allow(page: Page, t: dict[str, str], callback: Callback) -> str:
    """Click Allow and return the URL the browser is sent back to (the client's
    redirect URI with the code and state), where the test answers in its place."""
    reached: list[str] = []

    def client_side(route: Route) -> None:
        reached.append(route.request.url)
        route.fulfill(status=200, content_type="text/plain", body="back at the client")

    page.route(callback.pattern(), client_side)
    page.get_by_role("main").get_by_role("button", name=t["allow"], exact=True).click()
    expect(page).to_have_url(callback.pattern())
    expect(page.get_by_text("back at the client")).to_be_visible()
    assert len(reached) == 1, reached
    return reached[0]


def _withdraw(page: Page, base_url: str, t: dict[str, str]) -> None:
    page.goto(f"{base_url}/account/applications")
    expect(page.get_by_role("heading", level=1)).to_have_text(t["applications"])
    expect(page.locator("html")).to_have_attribute("lang", t["lang"])
    item = (
        page.get_by_role("main")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", name=APP, exact=True))
    )
    expect(item).to_contain_text(t["registered_by"].format(owner=CENTER))
    expect(item).to_contain_text(t["profile"])
    item.get_by_role("button", name=t["withdraw_of"].format(name=APP), exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(t["withdrawn"].format(name=APP))
    expect(page.get_by_text(t["no_application"], exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=APP, exact=True)).to_have_count(0)


@pytest.mark.usefixtures("center")
def test_an_admin_registers_a_client_a_member_consents_then_withdraws(
    live_server: str, new_context: Any, language: str, callback: Callback, clock: Any
) -> None:
    t = TEXTS[language]

    # 1. The administrator registers the client and reads its secret, once.
    admin = new_context()
    admin.goto(f"{live_server}/login")
    _sign_in(admin, ADMIN, t)
    _register_client(admin, live_server, callback, t)
    client_id, secret = _read_secret_page(admin, t)
    _expect_client_listed(admin, live_server, client_id, secret, t)

    # The center's own server uses it: client credentials, then the API.
    answer = _post_token(live_server, (client_id, secret), grant_type="client_credentials")
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"].lower() == "bearer"
    organisation = _api(live_server, "/api/v1/organisation", answer.json()["access_token"])
    assert organisation.status_code == 200, organisation.text
    assert organisation.json()["organisation"]["name"] == CENTER
    assert organisation.json()["organisation"]["slug"] == SLUG
    assert organisation.json()["client"]["client_id"] == client_id
    assert "mediators:read" in organisation.json()["client"]["granted_scopes"]

    # 2. A member is sent by the application to the authorization URL; she signs in
    # on the way, and allows it.
    member = new_context()
    url, state, verifier = _authorization_url(live_server, client_id, callback)
    member.goto(url)
    expect(member).to_have_url(re.compile(re.escape(f"{live_server}/login?next=")))
    _sign_in(member, MEMBER, t)
    _expect_consent_page(member, t)
    location = _allow(member, t, callback)
    assert callback.pattern().match(location), location
    back = parse_qs(urlsplit(location).query)
    assert back["state"] == [state], back
    assert len(back["code"]) == 1 and back["code"][0], back

    tokens = _post_token(
        live_server,
        (client_id, secret),
        grant_type="authorization_code",
        code=back["code"][0],
        redirect_uri=callback.uri,
        code_verifier=verifier,
    )
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["refresh_token"], tokens.json()
    me = _api(live_server, "/api/v1/me", tokens.json()["access_token"])
    assert me.status_code == 200, me.text
    assert me.json()["email"] == MEMBER["email"]
    assert me.json()["name"] == MEMBER["name"]

    # 3. She withdraws the access from her account: the application is signed out.
    _withdraw(member, live_server, t)
    refreshed = _post_token(
        live_server,
        (client_id, secret),
        grant_type="refresh_token",
        refresh_token=tokens.json()["refresh_token"],
    )
    assert refreshed.status_code == 400, refreshed.text
    assert refreshed.json()["error"] == "invalid_grant"
    # Its access token (15 minutes) is refused too, once the API's revocation cache
    # (core.oauth.revocation) has been read again.
    clock.advance(timedelta(seconds=REVOCATION_CACHE_SECONDS))
    refused = _api(live_server, "/api/v1/me", tokens.json()["access_token"])
    assert refused.status_code == 401, refused.text
