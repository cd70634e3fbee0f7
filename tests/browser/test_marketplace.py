"""The marketplace in a real browser, in French and in English: an anonymous visitor
searches, filters by language and specialty, opens a mediator's page, then the center's
page with its offers and prices, and sends a message; an administrator of the center
then finds it among the center's inquiries.

Texts are read from the catalogue in the test's language, so a page that falls back to
the other language, or a label that changes, fails the test.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from flask_babel import force_locale, format_currency, gettext
from playwright.sync_api import Page, expect

from core.credentials.regions import language_name
from tenants.models import Role
from tests.factories import (
    DEFAULT_PASSWORD,
    AffiliationFactory,
    CenterProfileFactory,
    MediatorProfileFactory,
    MembershipFactory,
    OfferFactory,
    TenantFactory,
    UserFactory,
)
from tests.marketplace.helpers import settle

CENTER = "Centre de Médiation de Lyon"
SLUG = "mediation-lyon"
OFFER = "Médiation familiale express"
STEP = "Accord écrit"
MEDIATOR = "Nadia Benali"
ADMIN = {"name": "Claire Dubois", "email": "claire.dubois@lyon-mediation.example"}
VISITOR = {"name": "Paul Martin", "email": "paul.martin@example.net"}
MESSAGE = "Bonjour, nous souhaitons une médiation familiale en arabe, en juin si possible."

MESSAGES = {
    "find": "Find a mediator",
    "search_field": "Name, specialty, center or city",
    "search": "Search",
    "apply": "Apply filters",
    "family": "Family",
    "offers": "Offers and prices",
    "your_name": "Your name",
    "your_email": "Your email address",
    "your_message": "Your message",
    "consent": "I agree to be contacted back about my request",
    "send": "Send the message",
    "sent": "Thank you, your message was sent. The center will answer you by email.",
    "sign_in": "Sign in",
    "email": "Email address",
    "password": "Password",
    "inquiries": "Inquiries",
}


def texts(app: Any, language: str) -> dict[str, str]:
    with app.test_request_context(), force_locale(language):
        found = {key: gettext(message) for key, message in MESSAGES.items()}
        found["arabic"] = language_name("ar", language)
        found["price"] = format_currency(Decimal("360.00"), "EUR")
        found["one_found"] = gettext("%(num)d mediator found", num=1)
    found["lang"] = language
    return found


@pytest.fixture
def marketplace(app: Any, language: str) -> None:
    """A listed center in Lyon with one priced offer and three mediators, only one of
    whom speaks Arabic and practises family mediation; its administrator."""
    center = TenantFactory(slug=SLUG, legal_name=CENTER, city="Lyon", locale=language)
    CenterProfileFactory(tenant=center, contact_email="accueil@lyon-mediation.example")
    OfferFactory(
        tenant=center,
        name=OFFER,
        price_excl_vat=Decimal("300.00"),
        steps=["Entretien d'information", "Séances communes", STEP],
    )
    MembershipFactory(tenant=center, role=Role.ADMIN, user=UserFactory(locale=language, **ADMIN))
    people = [
        (MEDIATOR, ["fr", "ar"], ["family", "civil"]),
        ("Marc Durand", ["fr"], ["commercial"]),
        ("Sofia Rossi", ["fr", "ar"], ["commercial"]),
    ]
    for name, languages, specialties in people:
        profile = MediatorProfileFactory(
            display_name=name, languages=languages, specialties=specialties, listed_publicly=True
        )
        AffiliationFactory(tenant=center, profile=profile, published=True)
    settle(app)


def _results(page: Page) -> Any:
    return page.get_by_role("article")


def test_a_visitor_finds_a_mediator_and_writes_to_the_center(
    app: Any, live_server: str, new_context: Any, marketplace: None, language: str
) -> None:
    t = texts(app, language)
    visitor = new_context()
    visitor.goto(f"{live_server}/")
    visitor.get_by_role("link", name=t["find"], exact=True).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(t["find"])
    expect(visitor.locator("html")).to_have_attribute("lang", language)

    visitor.get_by_label(t["search_field"], exact=True).fill("Lyon")
    visitor.get_by_role("button", name=t["search"], exact=True).click()
    expect(_results(visitor)).to_have_count(3)

    visitor.get_by_role("checkbox", name=re.compile(rf"^{t['arabic']} \(2\)$", re.I)).check()
    visitor.get_by_role("checkbox", name=re.compile(rf"^{t['family']} \(")).check()
    visitor.get_by_role("button", name=t["apply"], exact=True).click()
    expect(visitor.get_by_role("status")).to_have_text(t["one_found"])
    expect(_results(visitor)).to_have_count(1)

    visitor.get_by_role("link", name=MEDIATOR, exact=True).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(MEDIATOR)
    visitor.get_by_role("main").get_by_role("link", name=CENTER, exact=True).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(CENTER)
    expect(visitor.get_by_role("heading", name=t["offers"], exact=True)).to_be_visible()
    offer = visitor.get_by_role("article").filter(has_text=OFFER)
    expect(offer).to_contain_text(t["price"])
    expect(offer.get_by_role("listitem").last).to_have_text(STEP)

    visitor.get_by_label(t["your_name"], exact=True).fill(VISITOR["name"])
    visitor.get_by_label(t["your_email"], exact=True).fill(VISITOR["email"])
    visitor.get_by_label(t["your_message"], exact=True).fill(MESSAGE)
    visitor.get_by_label(t["consent"], exact=True).check()
    visitor.get_by_role("button", name=t["send"], exact=True).click()
    expect(visitor.get_by_role("alert")).to_contain_text(t["sent"])

    admin = new_context()
    admin.goto(f"{live_server}/login")
    admin.get_by_label(t["email"], exact=True).fill(ADMIN["email"])
    admin.get_by_label(t["password"], exact=True).fill(DEFAULT_PASSWORD)
    admin.get_by_role("main").get_by_role("button", name=t["sign_in"], exact=True).click()
    expect(admin).to_have_url(f"{live_server}/c/{SLUG}/")
    admin.goto(f"{live_server}/c/{SLUG}/inquiries")
    expect(admin.get_by_role("heading", level=1)).to_have_text(t["inquiries"])
    row = admin.get_by_role("row").filter(has_text=VISITOR["name"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text(MESSAGE[:40])
