"""Nothing private reaches the marketplace: seeded marker values (each center's contact
email and phone, internal notes, center-specific rates, members' and mediators' emails;
an unpublished, a suspended and a non-consenting mediator; an unverified
certification) appear in no page, JSON-LD, Open Graph tag, sitemap or API answer, and
no unverified credential is ever shown as verified."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from core.credentials.models import VerificationStatus
from tenants.models import AffiliationStatus, Role
from tests import factories
from tests.marketplace.helpers import settle

PUBLIC_NAME = "Zoé Publique"


@pytest.fixture
def seeded(app):
    markers: list[str] = []
    slugs = {"centers": [], "mediators": []}
    for n in (1, 2):
        tenant = factories.TenantFactory(registration_number=f"9988776655{n:04d}")
        owner = factories.MembershipFactory(tenant=tenant, role=Role.OWNER).user
        factories.CenterProfileFactory(
            tenant=tenant,
            contact_email=f"private-contact-{n}@leak-marker.example",
            contact_phone=f"+33 9 99 88 7{n} 66",
        )
        factories.OfferFactory(tenant=tenant, published=False, name=f"Offre cachée marker{n}")
        factories.OfferFactory(tenant=tenant)
        markers += [
            f"private-contact-{n}@leak-marker.example",
            f"+33 9 99 88 7{n} 66",
            f"9988776655{n:04d}",
            owner.email,
            f"Offre cachée marker{n}",
        ]
        listed = factories.MediatorProfileFactory(
            display_name=f"{PUBLIC_NAME} {n}", listed_publicly=True
        )
        factories.AffiliationFactory(
            tenant=tenant,
            profile=listed,
            published=True,
            rate_eur=Decimal(f"98{n}.37"),
            internal_notes=f"Note interne confidentielle marker{n}",
        )
        markers += [f"98{n}.37", f"Note interne confidentielle marker{n}", listed.user.email]
        unverified_scheme = factories.CertificationSchemeFactory(
            name=f"Schéma non vérifié marker{n}", code=f"unverified-marker-{n}"
        )
        factories.CertificationFactory(
            profile=listed,
            scheme=unverified_scheme,
            verification_status=VerificationStatus.PENDING,
            number=f"UNVERIFIED-NUMBER-{n}",
        )
        markers += [f"Schéma non vérifié marker{n}", f"UNVERIFIED-NUMBER-{n}"]
        hidden = {
            "unpublished": {"published": False},
            "suspended": {"published": True, "status": AffiliationStatus.SUSPENDED},
        }
        for label, affiliation in hidden.items():
            profile = factories.MediatorProfileFactory(
                display_name=f"Caché {label} marker{n}", listed_publicly=True
            )
            factories.AffiliationFactory(tenant=tenant, profile=profile, **affiliation)
            markers.append(f"Caché {label} marker{n}")
        refusing = factories.MediatorProfileFactory(
            display_name=f"Sans consentement marker{n}", listed_publicly=False
        )
        factories.AffiliationFactory(tenant=tenant, profile=refusing, published=True)
        markers.append(f"Sans consentement marker{n}")
        slugs["centers"].append(tenant.slug)
    settle(app)
    return markers, slugs


def _everything(client) -> dict[str, str]:
    """Every public answer of the marketplace, by URL."""
    found: dict[str, str] = {}

    def get(url: str, **headers: str) -> str:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        found[url] = response.get_data(as_text=True)
        return found[url]

    api = json.loads(get("/api/v1/marketplace/mediators?limit=100"))
    assert {i["display_name"] for i in api["items"]} == {f"{PUBLIC_NAME} 1", f"{PUBLIC_NAME} 2"}
    for item in api["items"]:
        get(f"/api/v1/marketplace/mediators/{item['id']}")
        get(item["url"].removeprefix("http://localhost"))
        get(item["url"].removeprefix("http://localhost"), **{"Accept-Language": "fr"})
    centers = json.loads(get("/api/v1/marketplace/centers"))
    for center in centers["items"]:
        get(f"/api/v1/marketplace/centers/{center['id']}")
        get(center["url"].removeprefix("http://localhost"))
    for url in ("/marketplace", "/marketplace?q=marker", "/sitemap.xml", "/robots.txt"):
        get(url)
    for url in ("/sitemaps/pages.xml", "/sitemaps/mediators-1.xml"):
        get(url)
    get("/marketplace?language=fr&specialty=family")
    get("/api/v1/marketplace/mediators?q=marker")
    get("/api/v1/marketplace/mediators?q=cach%C3%A9")
    return found


def test_no_private_value_appears_anywhere_on_the_marketplace(client, seeded):
    markers, slugs = seeded
    answers = _everything(client)
    assert len(answers) >= 12
    for url, body in answers.items():
        for marker in markers:
            assert marker.lower() not in body.lower(), f"{marker!r} leaked in {url}"
    for slug in slugs["centers"]:
        assert any(slug in body for body in answers.values())


def test_unverified_certifications_never_show_as_verified(client, seeded):
    answers = _everything(client)
    for url, body in answers.items():
        if url.startswith("/api/"):
            data = json.loads(body)
            for item in data.get("items", [data]):
                assert item.get("badges", []) == [], url
                assert item.get("compliant", False) is False, url
        else:
            assert "unverified-marker" not in body
    # The JSON-LD of a mediator page claims no credential.
    page = next(b for u, b in answers.items() if u.startswith("/marketplace/mediators/"))
    for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S):
        assert "hasCredential" not in json.loads(block)
