"""What search engines read: JSON-LD, Open Graph, canonical and hreflang links, the
sitemap and robots.txt."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

from sqlalchemy import select

from core.db import db
from marketplace.models import MediatorListing
from tests import factories
from tests.marketplace.helpers import listed_center, listed_mediator, settle

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "http://localhost"  # PUBLIC_BASE_URL of the tests


def _slug(profile) -> str:
    db.session.expire_all()
    return db.session.scalar(
        select(MediatorListing.slug).where(MediatorListing.profile_id == profile.id)
    )


def _ld(page: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(blocks) == 1, blocks
    return json.loads(blocks[0])


def _meta(page: str) -> dict[str, str]:
    return {
        name: content.replace("&amp;", "&")
        for name, content in re.findall(
            r'<meta (?:property|name)="((?:og|twitter):[^"]+)" content="([^"]*)"', page
        )
    }


def test_a_mediator_page_describes_a_person_in_json_ld(app, client):
    center = listed_center()
    mediator = listed_mediator(center, display_name="Eve </script><script>alert(1)</script> Roy")
    settle(app)
    page = client.get(f"/marketplace/mediators/{_slug(mediator)}").get_data(as_text=True)
    # The name cannot close the data block: only the block's own </script> is there.
    assert "<script>alert(1)" not in page
    data = _ld(page)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Person"
    assert data["name"] == "Eve </script><script>alert(1)</script> Roy"
    assert data["knowsLanguage"] == ["English", "French"]
    assert data["worksFor"][0]["@type"] == "ProfessionalService"
    assert data["worksFor"][0]["name"] == center.legal_name
    assert data["worksFor"][0]["url"] == f"{BASE}/marketplace/centers/{center.slug}"
    assert data["url"] == f"{BASE}/marketplace/mediators/{_slug(mediator)}"


def test_a_center_page_describes_a_professional_service_with_priced_offers(app, client):
    center = listed_center(address="3 place Bellecour", postal_code="69002")
    listed_mediator(center)
    settle(app)
    page = client.get(f"/marketplace/centers/{center.slug}").get_data(as_text=True)
    data = _ld(page)
    assert data["@type"] == "ProfessionalService"
    assert data["name"] == center.legal_name
    assert data["address"]["streetAddress"] == "3 place Bellecour"
    assert data["address"]["postalCode"] == "69002"
    assert data["address"]["addressCountry"] == "FR"
    assert [area["name"] for area in data["areaServed"]] == ["75 Paris", "92 Hauts-de-Seine"]
    (offer,) = data["makesOffer"]
    assert offer["@type"] == "Offer"
    assert offer["price"] == "300.00" and offer["priceCurrency"] == "EUR"
    specs = {spec["valueAddedTaxIncluded"]: spec["price"] for spec in offer["priceSpecification"]}
    assert specs == {True: "300.00", False: "250.00"}
    assert data["hasOfferCatalog"]["itemListElement"][0]["price"] == "300.00"


def test_open_graph_canonical_and_language_alternates(app, client):
    center = listed_center()
    mediator = listed_mediator(center, display_name="Jeanne Morel")
    settle(app)
    path = f"/marketplace/mediators/{_slug(mediator)}"
    page = client.get(path).get_data(as_text=True)  # English (Accept-Language)
    meta = _meta(page)
    assert meta["og:title"] == "Jeanne Morel"
    assert meta["og:type"] == "profile"
    assert meta["og:url"] == f"{BASE}{path}?lang=en"
    assert meta["og:locale"] == "en_GB" and meta["og:locale:alternate"] == "fr_FR"
    assert center.legal_name in meta["og:description"]
    assert meta["twitter:card"] == "summary" and meta["twitter:title"] == "Jeanne Morel"
    assert f'<link rel="canonical" href="{BASE}{path}?lang=en">' in page
    assert f'<link rel="alternate" hreflang="fr" href="{BASE}{path}">' in page
    assert f'<link rel="alternate" hreflang="en" href="{BASE}{path}?lang=en">' in page
    french = app.test_client().get(path).get_data(as_text=True)
    assert f'<link rel="canonical" href="{BASE}{path}">' in french
    assert _meta(french)["og:locale"] == "fr_FR"
    center_meta = _meta(client.get(f"/marketplace/centers/{center.slug}").get_data(as_text=True))
    assert center_meta["og:type"] == "business.business"
    assert center_meta["og:title"] == center.legal_name


def test_the_sitemap_lists_exactly_the_listed_pages(app, client):
    center = listed_center()
    shown = listed_mediator(center)
    hidden = listed_mediator(center, listed_publicly=False)
    unpublished = factories.TenantFactory()
    factories.CenterProfileFactory(tenant=unpublished, published=False)
    listed_mediator(unpublished)
    settle(app)
    index = client.get("/sitemap.xml")
    assert index.status_code == 200 and index.mimetype == "application/xml"
    root = ElementTree.fromstring(index.data)  # noqa: S314 - the app's own sitemap
    assert root.tag == f"{SITEMAP}sitemapindex"
    files = [s.findtext(f"{SITEMAP}loc") for s in root]
    assert files == [f"{BASE}/sitemaps/pages.xml", f"{BASE}/sitemaps/mediators-1.xml"]
    assert client.get("/sitemaps/mediators-2.xml").status_code == 404
    urls, bodies = {}, []
    for url in files:
        response = client.get(url.removeprefix(BASE))
        assert response.status_code == 200 and response.mimetype == "application/xml"
        bodies.append(response.get_data(as_text=True))
        root = ElementTree.fromstring(response.data)  # noqa: S314 - the app's own sitemap
        urls |= {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in root}
    assert set(urls) == {
        f"{BASE}/marketplace",
        f"{BASE}/marketplace/centers",
        f"{BASE}/marketplace/centers/{center.slug}",
        f"{BASE}/marketplace/mediators/{_slug(shown)}",
    }
    assert not any(hidden.id.hex[:12] in body for body in bodies)
    listing = db.session.get(MediatorListing, shown.id)
    assert (
        urls[f"{BASE}/marketplace/mediators/{listing.slug}"]
        == listing.updated_at.date().isoformat()
    )


def test_robots_txt_opens_the_marketplace_only(app, client):
    app.config["PUBLIC_BASE_URL"] = "https://hub.example.org"
    response = client.get("/robots.txt")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = text.splitlines()
    assert "Allow: /marketplace" in lines
    for path in ("/c/", "/account", "/api/", "/staff", "/login"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: https://hub.example.org/sitemap.xml" in lines


def test_mediators_are_split_across_sitemap_files(app, client, monkeypatch):
    from marketplace import seo

    monkeypatch.setattr(seo, "SITEMAP_SIZE", 2)
    center = listed_center()
    people = [listed_mediator(center) for _ in range(5)]
    settle(app)
    root = ElementTree.fromstring(client.get("/sitemap.xml").data)  # noqa: S314
    files = [s.findtext(f"{SITEMAP}loc").removeprefix(BASE) for s in root]
    assert files[1:] == [f"/sitemaps/mediators-{n}.xml" for n in (1, 2, 3)]
    seen = []
    for url in files[1:]:
        part = ElementTree.fromstring(client.get(url).data)  # noqa: S314
        seen += [u.findtext(f"{SITEMAP}loc") for u in part]
    assert sorted(seen) == sorted(f"{BASE}/marketplace/mediators/{_slug(p)}" for p in people)
    assert client.get("/sitemaps/mediators-4.xml").status_code == 404
    assert client.get("/sitemaps/mediators-0.xml").status_code == 404
