"""What search engines and link previews read: schema.org JSON-LD, Open Graph and
Twitter tags, canonical and hreflang links, the sitemap and robots.txt.

Everything here is built from the public listing tables only. JSON-LD goes into a
`<script type="application/ld+json">` element, a data block the CSP does not execute;
`ld_json` escapes `<`, `>` and `&` so that no text can close that element.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from flask import current_app
from markupsafe import Markup
from sqlalchemy import func, select

from core.accounts.services.links import public_url
from core.db import db
from marketplace.models import CenterListing, MediatorListing

OG_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
DESCRIPTION_LENGTH = 200

# Crawlers stay out of everything but the public pages.
DISALLOWED = (
    "/c/",
    "/p/",
    "/account",
    "/api/",
    "/staff",
    "/login",
    "/logout",
    "/signup",
    "/partners/signup",
    "/password",
    "/me/",
    "/join",
    "/oauth",
    "/locale",
)


def ld_json(data: dict[str, Any]) -> Markup:
    """JSON for a `<script type="application/ld+json">` element, safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return Markup(text)  # noqa: S704 - escaped above for a script data block


def absolute(endpoint: str, locale: str | None = None, **values: Any) -> str:
    """The public address of a page; `locale` adds `?lang=` (the English version)."""
    url = public_url(endpoint, **values)
    return f"{url}?{urlencode({'lang': locale})}" if locale else url


def alternates(endpoint: str, **values: Any) -> dict[str, str]:
    """hreflang -> URL: French is the default (no parameter), English takes `?lang=en`."""
    default = absolute(endpoint, **values)
    return {"fr": default, "en": absolute(endpoint, "en", **values), "x-default": default}


def canonical(endpoint: str, locale: str, **values: Any) -> str:
    return alternates(endpoint, **values)["fr" if locale == "fr" else "en"]


def summary(text: str, length: int = DESCRIPTION_LENGTH) -> str:
    """One line of at most `length` characters, cut at a word."""
    flat = " ".join((text or "").split())
    if len(flat) <= length:
        return flat
    return flat[: length - 1].rsplit(" ", 1)[0] + "…"


def _price(value: Decimal | str | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def mediator_ld(listing: MediatorListing, bio: str, languages: list[str]) -> dict[str, Any]:
    """schema.org Person: the mediator, the centers they work for, their languages."""
    url = canonical("marketplace.mediator", "fr", slug=listing.slug)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Person",
        "@id": url,
        "name": listing.display_name,
        "url": url,
        "knowsLanguage": languages,
        "worksFor": [
            {
                "@type": "ProfessionalService",
                "name": center["name"],
                "url": absolute("marketplace.center", slug=center["slug"]),
                **(
                    {"address": {"@type": "PostalAddress", "addressLocality": center["city"]}}
                    if center.get("city")
                    else {}
                ),
            }
            for center in listing.centers
        ],
    }
    if listing.title:
        data["jobTitle"] = listing.title
    if bio:
        data["description"] = summary(bio, 500)
    if listing.has_photo:
        data["image"] = absolute("marketplace.mediator_photo", slug=listing.slug)
    if listing.badges:
        data["hasCredential"] = [
            {
                "@type": "EducationalOccupationalCredential",
                "name": badge["scheme_name"],
                "recognizedBy": {"@type": "Organization", "name": badge["issuing_body"]},
                **({"validUntil": badge["valid_until"]} if badge.get("valid_until") else {}),
            }
            for badge in listing.badges
        ]
    return data


def offer_ld(offer: dict[str, Any], offered_by: str, description: str) -> dict[str, Any]:
    """schema.org Offer with its price incl. VAT and both price specifications."""
    return {
        "@type": "Offer",
        "name": offer["name"],
        "description": description,
        "price": _price(offer["price_incl_vat"]),
        "priceCurrency": "EUR",
        "offeredBy": {"@id": offered_by},
        "priceSpecification": [
            {
                "@type": "UnitPriceSpecification",
                "price": _price(offer["price_incl_vat"]),
                "priceCurrency": "EUR",
                "valueAddedTaxIncluded": True,
            },
            {
                "@type": "UnitPriceSpecification",
                "price": _price(offer["price_excl_vat"]),
                "priceCurrency": "EUR",
                "valueAddedTaxIncluded": False,
            },
        ],
    }


def center_ld(
    center: CenterListing,
    presentation: str,
    areas: list[str],
    languages: list[str],
    offer_descriptions: list[str],
) -> dict[str, Any]:
    """schema.org ProfessionalService: address, area served, languages and priced offers."""
    url = canonical("marketplace.center", "fr", slug=center.slug)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ProfessionalService",
        "@id": url,
        "name": center.name,
        "url": url,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": center.address,
            "postalCode": center.postal_code,
            "addressLocality": center.city,
            "addressCountry": center.country,
        },
        "areaServed": [{"@type": "AdministrativeArea", "name": name} for name in areas],
        "knowsLanguage": languages,
    }
    if presentation:
        data["description"] = summary(presentation, 500)
    if center.website:
        data["sameAs"] = [center.website]
    if center.price_from_eur is not None:
        data["priceRange"] = f"€{_price(center.price_from_eur)}+"
    offers = [
        offer_ld(offer, url, description)
        for offer, description in zip(center.offers, offer_descriptions, strict=True)
    ]
    if offers:
        data["makesOffer"] = offers
        data["hasOfferCatalog"] = {
            "@type": "OfferCatalog",
            "name": center.name,
            "itemListElement": offers,
        }
    return data


def open_graph(
    *, title: str, description: str, url: str, locale: str, kind: str, image: str | None = None
) -> list[tuple[str, str, str]]:
    """(attribute, name, content) of each Open Graph and Twitter meta tag."""
    other = [code for code in OG_LOCALES if code != locale]
    tags = [
        ("property", "og:site_name", "Mediation Hub"),
        ("property", "og:type", kind),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "og:url", url),
        ("property", "og:locale", OG_LOCALES.get(locale, "fr_FR")),
        *(("property", "og:locale:alternate", OG_LOCALES[code]) for code in other),
        ("name", "twitter:card", "summary"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
    ]
    if image:
        tags += [("property", "og:image", image), ("name", "twitter:image", image)]
    return tags


# --- sitemap and robots.txt ---------------------------------------------------------------


def _lastmod(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else ""


def _url(endpoint: str, lastmod: str, **values: Any) -> str:
    links = "".join(
        f'<xhtml:link rel="alternate" hreflang="{lang}" href="{escape(url)}"/>'
        for lang, url in alternates(endpoint, **values).items()
    )
    modified = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(absolute(endpoint, **values))}</loc>{modified}{links}</url>\n"


# Below the protocol's 50,000 URLs and 50 MB per file (each entry, with its two
# hreflang links, is about 400 bytes).
SITEMAP_SIZE = 40_000
URLSET = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
)


def mediator_sitemap_count() -> int:
    listed = db.session.scalar(select(func.count()).select_from(MediatorListing)) or 0
    return max(1, -(-listed // SITEMAP_SIZE))


def sitemap_index() -> Iterator[str]:
    """The index: one sitemap of the search and center pages, then the mediators' pages
    in files of SITEMAP_SIZE, so that a million mediators stay within the protocol."""
    newest = db.session.scalar(select(func.max(MediatorListing.updated_at)))
    centers = db.session.scalar(select(func.max(CenterListing.updated_at)))
    modified = _lastmod(max((m for m in (newest, centers) if m), default=None))
    stamp = f"<lastmod>{modified}</lastmod>" if modified else ""
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    )
    files = [public_url("marketplace.sitemap_pages")]
    files += [
        public_url("marketplace.sitemap_mediators", number=n)
        for n in range(1, mediator_sitemap_count() + 1)
    ]
    for url in files:
        yield f"<sitemap><loc>{escape(url)}</loc>{stamp}</sitemap>\n"
    yield "</sitemapindex>\n"


def sitemap_pages() -> Iterator[str]:
    """The search page, the centers' list and every listed center."""
    yield URLSET
    centers = db.session.execute(
        select(CenterListing.slug, CenterListing.updated_at).order_by(CenterListing.slug)
    ).all()
    moments = [c.updated_at for c in centers]
    moments.append(db.session.scalar(select(func.max(MediatorListing.updated_at))))
    newest = max((m for m in moments if m is not None), default=None)
    yield _url("marketplace.search_page", _lastmod(newest))
    yield _url("marketplace.centers", _lastmod(newest))
    for center in centers:
        yield _url("marketplace.center", _lastmod(center.updated_at), slug=center.slug)
    yield "</urlset>\n"


def sitemap_mediators(number: int) -> Iterator[str]:
    """The `number`-th file (from 1) of listed mediators' pages, in slug order."""
    yield URLSET
    mediators = db.session.execute(
        select(MediatorListing.slug, MediatorListing.updated_at)
        .order_by(MediatorListing.slug)
        .offset((number - 1) * SITEMAP_SIZE)
        .limit(SITEMAP_SIZE)
        .execution_options(yield_per=1000)
    )
    for mediator in mediators:
        yield _url("marketplace.mediator", _lastmod(mediator.updated_at), slug=mediator.slug)
    yield "</urlset>\n"


def robots() -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    lines = ["User-agent: *", "Allow: /marketplace", *(f"Disallow: {p}" for p in DISALLOWED)]
    return "\n".join([*lines, "", f"Sitemap: {base}/sitemap.xml", ""])
