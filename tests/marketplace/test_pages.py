"""The public pages: search with facets and pages, a mediator's page, a center's page
with its offers and prices, in French by default and in English on request."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import event, select

from core.credentials.models import MediatorProfile
from core.db import db
from core.files.storage import storage
from marketplace.models import MediatorListing
from tests import factories
from tests.marketplace.helpers import listed_center, listed_mediator, settle

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _slug(profile: MediatorProfile) -> str:
    db.session.expire_all()
    return db.session.scalar(
        select(MediatorListing.slug).where(MediatorListing.profile_id == profile.id)
    )


def _names_on(page: str) -> set[str]:
    """The mediators listed in the results (their card headings)."""
    return set(
        re.findall(r'<h3 class="h5 mb-1" id="mediator-[^"]+"><a href="[^"]+">([^<]+)</a>', page)
    )


def _world(app):
    center = listed_center(address="8 quai des Brotteaux", postal_code="69006")
    other = listed_center()
    people = {
        "Anne Fournier": listed_mediator(
            center, display_name="Anne Fournier", languages=["fr"], specialties=["family"]
        ),
        "Bruno Keller": listed_mediator(
            center, display_name="Bruno Keller", languages=["en"], specialties=["family"]
        ),
        "Carla Weber": listed_mediator(
            other, display_name="Carla Weber", languages=["de"], specialties=["commercial"]
        ),
    }
    settle(app)
    return center, other, people


def test_search_lists_every_published_mediator_with_facet_counts(app, client):
    _world(app)
    response = client.get("/marketplace")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _names_on(page) == {"Anne Fournier", "Bruno Keller", "Carla Weber"}
    assert 'aria-live="polite">\n        3 mediators found' in page
    assert re.search(r'value="family" id="[^"]+">\s*<label[^>]*>Family <span[^>]*>\(2\)', page)
    assert "<legend" in page and "<fieldset" in page


def test_facets_are_or_within_one_and_and_across(app, client):
    _world(app)
    either = client.get("/marketplace?language=fr&language=en").get_data(as_text=True)
    assert _names_on(either) == {"Anne Fournier", "Bruno Keller"}
    both = client.get("/marketplace?language=fr&specialty=family").get_data(as_text=True)
    assert _names_on(both) == {"Anne Fournier"}
    assert re.search(r'name="language" value="fr" id="[^"]+" checked', both)
    none = client.get("/marketplace?language=de&specialty=family").get_data(as_text=True)
    assert _names_on(none) == set()
    assert "0 mediators found" in none


def test_full_text_search_and_sort_by_name(app, client):
    _world(app)
    page = client.get("/marketplace?q=keller").get_data(as_text=True)
    assert _names_on(page) == {"Bruno Keller"}
    page = client.get("/marketplace?sort=name").get_data(as_text=True)
    assert page.index("Anne Fournier") < page.index("Bruno Keller") < page.index("Carla Weber")


def test_pages_of_results_link_to_each_other(app, client):
    _world(app)
    first = client.get("/marketplace?sort=name&limit=2").get_data(as_text=True)
    assert _names_on(first) == {"Anne Fournier", "Bruno Keller"}
    assert 'rel="prev"' not in first
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "offset=2" in following and "sort=name" in following
    second = client.get(following).get_data(as_text=True)
    assert _names_on(second) == {"Carla Weber"}
    assert 'rel="next"' not in second
    previous = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert _names_on(client.get(previous).get_data(as_text=True)) == {
        "Anne Fournier",
        "Bruno Keller",
    }


def test_bad_parameters_answer_400_with_a_message_on_the_page(app, client):
    _world(app)
    cases = {
        "/marketplace?price_min=-5": "price_min-error",
        "/marketplace?specialty=astrology": "Unknown value: astrology",
        "/marketplace?limit=1000000": "Give a whole number",
        "/marketplace?sort=random": "sort-error",
        "/marketplace?offset=abc": "Give a whole number",
        "/marketplace?q=" + "x" * 10_000: "q-error",
        "/marketplace?center=no-such-center": "Unknown value",
        "/marketplace?price_min=500&price_max=100": "price_max-error",
    }
    for url, message in cases.items():
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert message in page, url
        assert 'role="alert"' in page


def test_the_search_page_runs_the_same_few_queries_whatever_the_page_size(app, client):
    center = listed_center()
    for _ in range(12):
        listed_mediator(center)
    settle(app)
    counts = []
    for limit in (2, 12):
        statements: list[str] = []

        def listener(*args, found=statements):
            found.append(args[2])

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/marketplace?limit={limit}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_a_mediator_page_shows_the_public_profile_and_the_centers(app, client):
    center, _other, people = _world(app)
    anne = people["Anne Fournier"]
    response = client.get(f"/marketplace/mediators/{_slug(anne)}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1" in page and "Anne Fournier" in page
    assert "Family and civil mediator." in page  # the English bio (Accept-Language: en)
    assert "Court of appeal list: Paris" in page
    assert f'href="/marketplace/centers/{center.slug}"' in page
    assert "€120.00 to €180.00" in page
    assert 'id="contact"' in page
    # Nothing private: the mediator's own email, the affiliation's internal notes.
    assert anne.user.email not in page
    assert "Disponible le mardi" not in page


def test_unknown_or_unlisted_pages_are_404(app, client):
    center, _other, people = _world(app)
    hidden = listed_mediator(center, listed_publicly=False)
    unpublished_center = factories.TenantFactory()
    factories.CenterProfileFactory(tenant=unpublished_center, published=False)
    settle(app)
    assert (
        client.get(f"/marketplace/mediators/{_slug(people['Anne Fournier'])}x").status_code == 404
    )
    assert client.get(f"/marketplace/mediators/x-{hidden.id.hex[:12]}").status_code == 404
    assert client.get(f"/marketplace/centers/{unpublished_center.slug}").status_code == 404
    assert client.get("/marketplace/centers/nowhere").status_code == 404


def test_a_center_page_shows_its_offers_with_prices_and_its_mediators(app, client):
    center, _other, _people = _world(app)
    response = client.get(f"/marketplace/centers/{center.slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A mediation center serving families and businesses." in page
    assert "8 quai des Brotteaux" in page and "69006" in page
    assert "75 Paris" in page and "92 Hauts-de-Seine" in page
    assert "€300.00 incl. VAT" in page and "per party" in page
    assert "€250.00 excl. VAT (VAT 20 %)" in page
    assert "3</dd>" in page and "120 minutes" in page
    assert re.search(r"<ol[^>]*><li>Entretien d'information</li><li>S", page.replace("&#39;", "'"))
    assert _names_on(page) == {"Anne Fournier", "Bruno Keller"}
    assert "contact" in page and "Disponible le mardi" not in page
    listing = client.get("/marketplace/centers").get_data(as_text=True)
    assert f'href="/marketplace/centers/{center.slug}"' in listing


def test_a_listed_photo_is_served_with_cache_headers(app, client):
    center = listed_center()
    key = f"{secrets.token_hex(16)}.png"
    storage().put(key, PNG, "image/png")
    with_photo = listed_mediator(center, photo_key=key)
    without = listed_mediator(center)
    settle(app)
    url = f"/marketplace/mediators/{_slug(with_photo)}/photo"
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == PNG and response.mimetype == "image/png"
    assert "public" in response.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/marketplace/mediators/{_slug(without)}/photo").status_code == 404
    page = client.get(f"/marketplace/mediators/{_slug(with_photo)}").get_data(as_text=True)
    assert f'src="{url}"' in page


def test_french_by_default_english_on_request(app, client):
    center = listed_center()
    mediator = listed_mediator(center, languages=["fr", "en"])
    settle(app)
    url = f"/marketplace/mediators/{_slug(mediator)}"
    french = app.test_client()  # no Accept-Language
    page = french.get(url).get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Médiatrice familiale et civile." in page and "français" in page.lower()
    english = client.get(url).get_data(as_text=True)  # Accept-Language: en
    assert '<html lang="en">' in english and "Family and civil mediator." in english
    # The address names the language: it wins over the browser's.
    assert "Family and civil mediator." in french.get(url + "?lang=en").get_data(as_text=True)
    assert "Médiatrice familiale" in client.get(url + "?lang=fr").get_data(as_text=True)
    # The language switch goes back to the page without `?lang=`.
    switch = french.get(url + "?lang=en").get_data(as_text=True)
    assert f'name="next" value="{url}"' in switch


def test_every_page_links_to_the_marketplace(app, client):
    assert 'href="/marketplace"' in client.get("/login").get_data(as_text=True)
