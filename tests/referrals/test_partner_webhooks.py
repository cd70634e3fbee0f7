"""A partner's webhook pages: an endpoint added with its secret shown once, edited,
disabled and enabled, its secret renewed, deleted; the delivery log of real deliveries
(the outbox of a case's steps, a real HTTP receiver) with its attempts and a redelivery;
bad input refused on its field, writing nothing; and who may see what (administrators
only; another partner's endpoint or delivery is missing)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from core.db import db
from referrals import partner_webhooks
from referrals.models import PartnerRole
from referrals.webhook_jobs import GONE_REASON
from referrals.webhook_models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from referrals.webhooks import DISABLED_BY_PARTNER, EVENT_TYPES, MAX_ENDPOINTS
from tests.bad_input import PageErrors
from tests.factories import (
    PartnerMembershipFactory,
    TenantFactory,
    UserFactory,
    WebhookAttemptFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)
from tests.referrals.helpers import referral_body
from tests.referrals.partner_helpers import Org, make_partner
from tests.referrals.webhook_helpers import Receiver, webhook_token
from tests.tenants.helpers import sign_in

SECRET = re.compile(r'id="webhook-secret"[^>]*>([^<]+)<')
ENDPOINT = {
    "url": "https://hooks.cabinet-durand.example/mediation",
    "description": "Logiciel du cabinet",
    "event_types": ["referral.accepted", "referral.declined"],
}


@pytest.fixture
def app_config(app_config):
    """The receiver listens on the loopback interface: the development setting allows it."""
    return {**app_config, "WEBHOOKS_ALLOW_PRIVATE": True}


@pytest.fixture
def org() -> Org:
    return make_partner(name="Cabinet Durand")


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def _endpoints(org: Org) -> list[WebhookEndpoint]:
    db.session.expire_all()
    query = select(WebhookEndpoint).where(WebhookEndpoint.partner_id == org.partner.id)
    return list(db.session.scalars(query))


def _count(model: Any) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _created_secret(client, org: Org, **changes: Any) -> str:
    response = client.post_form(org.url("webhooks/new"), {**ENDPOINT, **changes})
    assert response.status_code == 200, response.get_data(as_text=True)
    return SECRET.search(response.get_data(as_text=True)).group(1)


# --- the endpoint's life -----------------------------------------------------------------


def test_an_endpoint_is_added_edited_paused_renewed_and_deleted(client, org):
    sign_in(client, org.admin)
    form = _page(client, org.url("webhooks/new"))
    assert set(re.findall(r'name="event_types"[^>]*value="([^"]+)"', form)) == set(EVENT_TYPES)

    response = client.post_form(org.url("webhooks/new"), ENDPOINT)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "it will not be shown again" in page and "webhook-signature" in page
    secret = SECRET.search(page).group(1)
    (endpoint,) = _endpoints(org)
    assert secret.startswith("whsec_") and secret == endpoint.secret
    assert endpoint.url == ENDPOINT["url"] and endpoint.description == "Logiciel du cabinet"
    assert endpoint.event_types == ["referral.accepted", "referral.declined"]

    detail = org.url(f"webhooks/{endpoint.id}")
    listing = _page(client, org.url("webhooks"))
    assert ENDPOINT["url"] in listing and "Accepted by the center" in listing
    assert secret not in listing and secret not in _page(client, detail)

    edited = client.post_form(
        f"{detail}/edit", {"url": "https://hooks.cabinet-durand.example/v2", "description": ""}
    )
    assert edited.status_code == 303 and edited.headers["Location"] == detail
    page = _page(client, detail)
    assert "The endpoint is saved." in page and "Every event" in page
    (endpoint,) = _endpoints(org)
    assert endpoint.url.endswith("/v2") and endpoint.event_types == []
    assert endpoint.description is None and endpoint.secret == secret
    form = _page(client, f"{detail}/edit")
    assert 'value="https://hooks.cabinet-durand.example/v2"' in form

    assert client.post_form(f"{detail}/disable").status_code == 303
    page = _page(client, detail)
    assert "no event is sent to it until it is enabled again" in page
    assert "Disabled by your organisation." in page and DISABLED_BY_PARTNER not in page
    (endpoint,) = _endpoints(org)
    assert not endpoint.enabled and endpoint.disabled_reason == DISABLED_BY_PARTNER
    assert client.post_form(f"{detail}/enable").status_code == 303
    (endpoint,) = _endpoints(org)
    assert endpoint.enabled and endpoint.disabled_reason is None

    renewed = client.post_form(f"{detail}/rotate-secret")
    page = renewed.get_data(as_text=True)
    assert renewed.status_code == 200 and "A new signing secret" in page
    assert "each message carries a second signature" in page
    new = SECRET.search(page).group(1)
    (endpoint,) = _endpoints(org)
    assert new != secret and (endpoint.secret, endpoint.previous_secret) == (new, secret)
    page = _page(client, detail)
    assert "The previous secret also signs until" in page
    assert new not in page and secret not in page

    confirm = _page(client, f"{detail}/delete")
    assert "This cannot be undone" in confirm and "cabinet-durand.example/v2" in confirm
    deleted = client.post_form(f"{detail}/delete")
    assert deleted.status_code == 303 and deleted.headers["Location"] == org.url("webhooks")
    assert "is deleted, with its delivery log" in _page(client, org.url("webhooks"))
    assert _endpoints(org) == []
    _page(client, detail, 404)


# --- the delivery log ----------------------------------------------------------------------


def _refer_a_case(app, org: Org) -> None:
    """A case sent through the API: its first step's message goes to the endpoints."""
    center = TenantFactory()
    headers = webhook_token(app, org.partner.id)
    sent = app.test_client().post("/api/v1/referrals", json=referral_body(center), headers=headers)
    assert sent.status_code == 201, sent.json


def test_the_delivery_log_shows_each_attempt_and_redelivers(app, client, org, receiver):
    receiver.script = [500]  # the first attempt fails, the next ones succeed
    sign_in(client, org.admin)
    _created_secret(client, org, url=receiver.url(), event_types=[])
    (endpoint,) = _endpoints(org)
    _refer_a_case(app, org)
    assert len(receiver.wait_for(1)) == 1

    log = _page(client, org.url("webhooks/deliveries"))
    (delivery,) = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert f'data-delivery="{delivery.id}"' in log and "referral.submitted" in log
    assert "HTTP 500" in log
    assert f'data-delivery="{delivery.id}"' in _page(
        client, org.url(f"webhooks/{endpoint.id}/deliveries?status=pending")
    )
    empty = _page(client, org.url("webhooks/deliveries?status=succeeded"))
    assert "data-delivery=" not in empty and "No delivery." in empty
    listing = _page(client, org.url("webhooks"))
    assert 'data-health="pending"' in listing

    shown = org.url(f"webhooks/deliveries/{delivery.id}")
    page = _page(client, shown)
    referral_id = delivery.message.payload["referral"]["id"]
    assert f'data-case="{referral_id}"' in page and "CAB-2026-0042" in page
    assert delivery.message.webhook_id in page and "data-next-attempt" in page
    assert f"&#34;id&#34;: &#34;{referral_id}&#34;" in page  # the payload, indented JSON
    assert "<code data-status-code>500</code>" in page and 'data-attempt="1"' in page

    redelivered = client.post_form(f"{shown}/redeliver")
    assert redelivered.status_code == 303 and redelivered.headers["Location"] == shown
    received = receiver.wait_for(2)
    assert len(received) == 2 and received[0].webhook_id == received[1].webhook_id
    page = _page(client, shown)
    assert "A new attempt is on its way" in page and 'data-attempt="2"' in page
    assert "manual" in page and "<code data-status-code>200</code>" in page
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery.id)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert [a.manual for a in db.session.scalars(select(WebhookAttempt))] == [False, True]


def test_the_log_pages_follow_the_services_cursor(app, client, org, receiver, monkeypatch):
    monkeypatch.setattr(partner_webhooks, "PAGE_SIZE", 1)
    sign_in(client, org.admin)
    for path in ("/first", "/second"):
        _created_secret(client, org, url=receiver.url(path), event_types=[])
    _refer_a_case(app, org)
    receiver.wait_for(2)
    first = _page(client, org.url("webhooks/deliveries"))
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = _page(client, older)
    ids = [re.findall(r'data-delivery="([^"]+)"', page) for page in (first, second)]
    assert len(ids[0]) == len(ids[1]) == 1 and ids[0] != ids[1]
    assert 'rel="next"' not in second and "See the newest deliveries" in second
    refused = client.get(org.url("webhooks/deliveries?cursor=not-a-cursor"))
    assert refused.status_code == 422
    assert "This page link is not valid" in refused.get_data(as_text=True)
    assert client.get(org.url("webhooks/deliveries?status=lost")).status_code == 422


def test_a_disabled_endpoints_delivery_is_not_redelivered(client, org, receiver):
    endpoint = WebhookEndpointFactory(partner_id=org.partner.id, url=receiver.url())
    delivery = WebhookDeliveryFactory(endpoint=endpoint, status=DeliveryStatus.FAILED)
    WebhookAttemptFactory(delivery_id=delivery.id, status_code=503, error="Service Unavailable")
    endpoint.enabled, endpoint.disabled_reason = False, DISABLED_BY_PARTNER
    db.session.commit()
    sign_in(client, org.admin)
    shown = org.url(f"webhooks/deliveries/{delivery.id}")
    assert "Service Unavailable" in _page(client, shown)
    refused = client.post_form(f"{shown}/redeliver")
    assert refused.status_code == 409
    assert "enable it to redeliver" in refused.get_data(as_text=True)
    assert receiver.received == [] and _count(WebhookAttempt) == 1


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": ""}, "url", "This field is required"),
        ({"url": "http://hooks.cabinet.example/"}, "url", "must start with https://"),
        ({"url": "https://192.168.1.20/hooks"}, "url", "webhooks are only sent to public"),
        ({"url": "https://169.254.169.254/"}, "url", "a cloud metadata address"),
        ({"url": "https://h.example/" + "a" * 2000}, "url", "longer than 2000 characters"),
        ({"description": "x" * 201}, "description", "longer than 200 characters"),
        ({"event_types": ["referral.lost"]}, "event_types", "not a valid choice"),
    ],
)
def test_bad_input_shows_on_its_field_and_writes_nothing(app, client, org, changes, field, message):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False  # production: https and public hosts only
    sign_in(client, org.admin)
    response = client.post_form(org.url("webhooks/new"), {**ENDPOINT, **changes})
    assert response.status_code == 422
    shown = PageErrors(response.get_data(as_text=True)).field_error(field)
    assert shown is not None and message in shown, shown
    assert _endpoints(org) == []

    endpoint = WebhookEndpointFactory(partner_id=org.partner.id)
    before = (endpoint.url, endpoint.description, endpoint.event_types, endpoint.updated_at)
    response = client.post_form(org.url(f"webhooks/{endpoint.id}/edit"), {**ENDPOINT, **changes})
    assert response.status_code == 422
    assert message in (PageErrors(response.get_data(as_text=True)).field_error(field) or "")
    (endpoint,) = _endpoints(org)
    assert (endpoint.url, endpoint.description, endpoint.event_types, endpoint.updated_at) == before


def test_an_eleventh_endpoint_is_refused(client, org):
    for _ in range(MAX_ENDPOINTS):
        WebhookEndpointFactory(partner_id=org.partner.id)
    sign_in(client, org.admin)
    listing = _page(client, org.url("webhooks"))
    assert org.url("webhooks/new") not in listing and "the most it may have" in listing
    response = client.post_form(org.url("webhooks/new"), ENDPOINT)
    assert response.status_code == 409
    assert any("at most 10" in a for a in PageErrors(response.get_data(as_text=True)).alerts)
    assert len(_endpoints(org)) == MAX_ENDPOINTS


# --- who may see what ------------------------------------------------------------------------


def _routes(endpoint_id: Any, delivery_id: Any) -> list[tuple[str, str]]:
    """Every webhook route taking an id, as (method, path under the partner's URL)."""
    hook, sent = f"webhooks/{endpoint_id}", f"webhooks/deliveries/{delivery_id}"
    return [
        ("GET", hook),
        ("GET", f"{hook}/edit"),
        ("POST", f"{hook}/edit"),
        ("POST", f"{hook}/disable"),
        ("POST", f"{hook}/enable"),
        ("POST", f"{hook}/rotate-secret"),
        ("GET", f"{hook}/delete"),
        ("POST", f"{hook}/delete"),
        ("GET", f"{hook}/deliveries"),
        ("GET", sent),
        ("POST", f"{sent}/redeliver"),
    ]


def _send(client, method: str, url: str) -> int:
    if method == "GET":
        return client.get(url).status_code
    return client.post_form(url, ENDPOINT if url.endswith("/edit") else {}).status_code


def _fingerprint(org: Org) -> list[tuple]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.partner_id == org.partner.id)
    )
    return [(e.id, e.url, e.secret, e.enabled, e.event_types, e.updated_at) for e in rows]


def test_another_partners_endpoints_and_deliveries_are_missing(client, org):
    endpoint = WebhookEndpointFactory(partner_id=org.partner.id, url="https://localhost:9/hooks")
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    routes = _routes(endpoint.id, delivery.id)
    sign_in(client, org.admin)
    for method, path in routes:
        if method == "GET":
            assert _send(client, method, org.url(path)) == 200, path
    before = _fingerprint(org)

    other = make_partner()
    sign_in(client, other.admin)
    for method, path in routes:
        for base in (org, other):
            assert _send(client, method, base.url(path)) == 404, (method, base.url(path))
    for path in ("webhooks", "webhooks/new", "webhooks/deliveries"):
        assert client.get(org.url(path)).status_code == 404, path
    assert client.post_form(org.url("webhooks/new"), ENDPOINT).status_code == 404
    assert endpoint.url not in _page(client, other.url("webhooks"))
    assert str(delivery.id) not in _page(client, other.url("webhooks/deliveries"))
    assert _fingerprint(org) == before and _endpoints(other) == []
    assert _count(WebhookAttempt) == 0


def test_referrers_are_refused_the_webhook_pages(client, org):
    endpoint = WebhookEndpointFactory(partner_id=org.partner.id)
    delivery = WebhookDeliveryFactory(endpoint=endpoint)
    before = _fingerprint(org)
    sign_in(client, org.referrer)
    for method, path in _routes(endpoint.id, delivery.id):
        assert _send(client, method, org.url(path)) == 403, (method, path)
    for path in ("webhooks", "webhooks/new", "webhooks/deliveries"):
        assert client.get(org.url(path)).status_code == 403, path
    assert client.post_form(org.url("webhooks/new"), ENDPOINT).status_code == 403
    assert _fingerprint(org) == before
    dashboard = _page(client, org.url())
    assert org.url("webhooks") not in dashboard and org.url("members") in dashboard


def test_the_administrators_navigation_leads_to_the_pages(client, org):
    sign_in(client, org.admin)
    dashboard = _page(client, org.url())
    assert dashboard.count(f'href="{org.url("webhooks")}"') == 2  # the menu and the dashboard
    assert "The organisation has no webhook endpoint yet." in _page(client, org.url("webhooks"))


def test_the_pages_read_in_french_with_the_stored_reasons_translated(client, org):
    endpoint = WebhookEndpointFactory(
        partner_id=org.partner.id, event_types=["referral.accepted"], description="Logiciel"
    )
    WebhookEndpointFactory(partner_id=org.partner.id, enabled=False, disabled_reason=GONE_REASON)
    WebhookEndpointFactory(partner_id=org.partner.id, enabled=False, disabled_reason="By hand.")
    french = UserFactory(locale="fr")
    PartnerMembershipFactory(partner=org.partner, user=french, role=PartnerRole.ADMIN)
    sign_in(client, french)
    page = _page(client, org.url(f"webhooks/{endpoint.id}"))
    assert "<title>Point de réception de webhooks" in page
    assert "Renouveler le secret de signature" in page and "Acceptée par le centre" in page
    assert "Aucun envoi vers ce point de réception pour l\u2019instant" in page
    listing = _page(client, org.url("webhooks"))
    assert "Le destinataire a répondu 410 Gone\u00a0: il ne veut plus" in listing
    assert GONE_REASON not in listing and "By hand." in listing  # unknown: as stored
    assert "Journal des envois" in listing and "Ajouter un point de réception" in listing


def test_a_refused_url_is_explained_in_french(app, client, org):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    french = UserFactory(locale="fr")
    PartnerMembershipFactory(partner=org.partner, user=french, role=PartnerRole.ADMIN)
    sign_in(client, french)
    for url, reason in (
        ("http://hooks.cabinet.example/", "L\u2019URL doit commencer par https://."),
        ("https://127.0.0.1/hooks", "127.0.0.1 est une adresse de bouclage"),
    ):
        response = client.post_form(org.url("webhooks/new"), {**ENDPOINT, "url": url})
        assert response.status_code == 422
        shown = PageErrors(response.get_data(as_text=True)).field_error("url") or ""
        assert "Cette URL ne peut pas recevoir de webhooks" in shown and reason in shown, shown
    assert _endpoints(org) == []
