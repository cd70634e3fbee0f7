"""The public marketplace API (/api/v1/marketplace): search with facets and counts,
sort, cursor pages, one mediator, centers with offers; bad parameters refused with 400
problem+json; anonymous rate limit, raised by a `marketplace:read` token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest

from core.api import encode_cursor
from core.credentials.models import MediatorProfile
from core.db import db
from marketplace.schemas import MediatorSearchArgs
from marketplace.vocabulary import FACETS, fold
from tests import factories
from tests.marketplace.helpers import listed_center, listed_mediator, settle
from tests.oauth import bearer, client_credentials_token, register

API = "/api/v1/marketplace"
MEDIATORS = f"{API}/mediators"
CENTERS = f"{API}/centers"


@dataclass(frozen=True)
class Seeded:
    """What the test seeded, to compute the expected answers on its own."""

    name: str
    specialties: tuple[str, ...]
    languages: tuple[str, ...]
    price: Decimal
    id: str = ""


# Center A offers a cheaper package (60.00 incl. VAT): its mediators start from there;
# center B's only offer is the helper's 300.00.
PEOPLE = {
    "a": ("Aline Zola", ("family",), ("fr",), "A"),
    "b": ("Élodie Varin", ("civil", "family"), ("en", "fr"), "A"),
    "c": ("Bruno Martin", ("civil",), ("en",), "B"),
    "d": ("Frédéric Laval", ("commercial",), ("de", "fr"), "B"),
    "e": ("Camille Roux", ("commercial", "family"), ("de",), "B"),
}
PRICES = {"A": Decimal("60.00"), "B": Decimal("300.00")}


@pytest.fixture
def seeded(app) -> dict[str, Any]:
    center_a = listed_center()
    factories.OfferFactory(tenant=center_a, price_excl_vat=Decimal("50.00"))
    center_b = listed_center()
    centers = {"A": center_a, "B": center_b}
    people = {}
    for key, (name, specialties, languages, center) in PEOPLE.items():
        profile = listed_mediator(
            centers[center],
            display_name=name,
            specialties=list(specialties),
            languages=list(languages),
        )
        people[key] = Seeded(name, specialties, languages, PRICES[center], str(profile.id))
    settle(app)
    return {"centers": centers, "people": people}


def problem(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status
    return body


def query_errors(response: Any) -> dict[str, Any]:
    return problem(response)["errors"]["query"]


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


def expected_counts(
    people: dict[str, Seeded], selected: dict[str, set[str]], facet: str
) -> dict[str, int]:
    """Disjunctive counts computed from the seeds: every other facet's filter applied,
    the facet's own set aside, each value counted among what is left."""
    attribute = {"specialty": "specialties", "language": "languages"}
    counts: dict[str, int] = {}
    for person in people.values():
        kept = all(
            set(getattr(person, attribute[other])) & values
            for other, values in selected.items()
            if other != facet
        )
        if kept:
            for value in getattr(person, attribute[facet]):
                counts[value] = counts.get(value, 0) + 1
    return counts


# --- search --------------------------------------------------------------------------------


def test_facets_are_anded_across_ored_within_with_disjunctive_counts(client, seeded):
    people = seeded["people"]
    response = client.get(f"{MEDIATORS}?specialty=family&specialty=civil&language=fr")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert sorted(ids(body)) == sorted([people["a"].id, people["b"].id])
    assert body["total"] == 2
    assert body["next_cursor"] is None
    assert set(body["facets"]) == set(FACETS)

    selected = {"specialty": {"family", "civil"}, "language": {"fr"}}
    for facet in ("specialty", "language"):
        got = {v["value"]: v["count"] for v in body["facets"][facet]}
        assert got == expected_counts(people, selected, facet), facet
        for value in body["facets"][facet]:
            assert value["selected"] == (value["value"] in selected[facet])
            assert value["label"]
    # Spelled out: with language=fr, "commercial" would add Frédéric; with the specialties,
    # German would add Camille.
    specialty = {v["value"]: v for v in body["facets"]["specialty"]}
    assert specialty["family"]["count"] == 2 and specialty["family"]["label"] == "Family"
    assert specialty["commercial"] == {
        "value": "commercial",
        "label": "Commercial",
        "count": 1,
        "selected": False,
    }
    assert {v["value"]: v["count"] for v in body["facets"]["language"]} == {
        "fr": 2,
        "en": 2,
        "de": 1,
    }
    assert {v["value"]: v["count"] for v in body["facets"]["price"]} == {"0-100": 2}


def test_comma_separated_values_are_the_same_as_repeated_ones(client, seeded):
    repeated = client.get(f"{MEDIATORS}?specialty=family&specialty=commercial").json
    commas = client.get(f"{MEDIATORS}?specialty=family,commercial").json
    assert commas == repeated
    people = seeded["people"]
    assert sorted(ids(commas)) == sorted(people[k].id for k in "abde")


def test_text_search_and_price_range(client, seeded):
    people = seeded["people"]
    body = client.get(f"{MEDIATORS}?q=elodie").json  # accents folded
    assert ids(body) == [people["b"].id]
    body = client.get(f"{MEDIATORS}?price_max=100&sort=name").json
    assert ids(body) == [people["a"].id, people["b"].id]
    body = client.get(f"{MEDIATORS}?price_min=100.5&sort=name").json
    assert set(ids(body)) == {people[k].id for k in "cde"}


def test_sort_by_price_then_by_name(client, seeded):
    people = seeded["people"].values()
    by_price = sorted(people, key=lambda p: (p.price, fold(p.name)))
    body = client.get(f"{MEDIATORS}?sort=price").json
    assert ids(body) == [p.id for p in by_price]
    assert [item["price_from_eur"] for item in body["items"]] == [f"{p.price}" for p in by_price]

    by_name = sorted(people, key=lambda p: fold(p.name))
    body = client.get(f"{MEDIATORS}?sort=name").json
    assert ids(body) == [p.id for p in by_name]
    names = [item["display_name"] for item in body["items"]]
    assert names == ["Aline Zola", "Bruno Martin", "Camille Roux", "Élodie Varin", "Frédéric Laval"]


@pytest.mark.parametrize("sort", ["relevance", "price", "name"])
def test_the_cursor_walks_every_result_once(client, seeded, sort):
    everyone = {p.id for p in seeded["people"].values()}
    seen: list[str] = []
    url = f"{MEDIATORS}?limit=2&sort={sort}"
    cursor = None
    for _page in range(10):
        body = client.get(url + (f"&cursor={cursor}" if cursor else "")).json
        assert body["total"] == len(everyone)
        seen += ids(body)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(everyone) and set(seen) == everyone
    full = client.get(f"{MEDIATORS}?limit=100&sort={sort}").json
    assert ids(full) == seen  # the pages, one after another, are the whole list in order


def test_an_item_carries_the_public_fields_and_its_page_url(client, seeded):
    person = seeded["people"]["b"]
    center = seeded["centers"]["A"]
    item = next(i for i in client.get(MEDIATORS).json["items"] if i["id"] == person.id)
    assert item["display_name"] == "Élodie Varin"
    assert item["bio"] == {
        "fr": "Médiatrice familiale et civile.",
        "en": "Family and civil mediator.",
    }
    assert item["specialties"] == ["civil", "family"]
    assert item["languages"] == ["en", "fr"]
    assert item["price_from_eur"] == "60.00"
    assert item["photo_url"] is None
    assert item["compliant"] is False and item["badges"] == []
    assert item["url"] == f"http://localhost/marketplace/mediators/{item['slug']}"
    assert item["centers"] == [
        {
            "slug": center.slug,
            "name": center.legal_name,
            "city": center.city,
            "url": f"http://localhost/marketplace/centers/{center.slug}",
        }
    ]
    for field in ("email", "rate_min_eur", "rate_max_eur", "internal_notes", "phone"):
        assert field not in item

    # The public pages the API points to answer.
    for url in (item["url"], item["centers"][0]["url"]):
        assert client.get(urlsplit(url).path).status_code == 200, url

    one = client.get(f"{MEDIATORS}/{person.id}")
    assert one.status_code == 200 and one.json == item


def test_a_mediator_with_a_photo_gives_its_public_address(app, client):
    mediator = listed_mediator(listed_center(), photo_key="photos/portrait.png")
    settle(app)
    item = client.get(f"{MEDIATORS}/{mediator.id}").json
    assert item["photo_url"] == f"http://localhost/marketplace/mediators/{item['slug']}/photo"


# --- centers -----------------------------------------------------------------------------


def test_a_center_with_its_offers_and_prices(client, seeded):
    center = seeded["centers"]["A"]
    body = client.get(f"{CENTERS}/{center.id}").json
    assert body["name"] == center.legal_name
    assert body["url"] == f"http://localhost/marketplace/centers/{center.slug}"
    assert client.get(urlsplit(body["url"]).path).status_code == 200
    assert body["mediator_count"] == 2
    assert body["price_from_eur"] == "60.00"
    prices = sorted(
        (o["price_excl_vat"], o["vat_rate"], o["price_incl_vat"]) for o in body["offers"]
    )
    assert prices == [("250.00", "20.00", "300.00"), ("50.00", "20.00", "60.00")]
    offer = body["offers"][0]
    assert {"name", "kind", "pricing", "mode", "duration_minutes", "sessions", "included"} <= set(
        offer
    )
    assert offer["steps"] == ["Entretien d'information", "Séances communes", "Accord écrit"]
    for field in ("contact_email", "contact_phone", "registration_number"):
        assert field not in body

    # Its mediators, through the link it gives.
    mediators = client.get(body["mediators_url"].removeprefix("http://localhost")).json
    assert sorted(ids(mediators)) == sorted(seeded["people"][k].id for k in "ab")


def test_centers_are_listed_by_name_page_after_page(client, seeded):
    for name in ("Zénith médiation", "Médiation Atlantique", "Ouest médiation"):
        tenant = factories.TenantFactory(legal_name=name)
        factories.CenterProfileFactory(tenant=tenant)
    settle(client.application)
    seen = []
    cursor = None
    for _page in range(10):
        body = client.get(f"{CENTERS}?limit=2" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [c["name"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5
    assert seen == sorted(seen, key=fold)
    found = client.get(f"{CENTERS}?q=MEDIATION").json["items"]  # case and accents folded
    assert {c["name"] for c in found} == {c.legal_name for c in seeded["centers"].values()} | {
        "Zénith médiation",
        "Médiation Atlantique",
        "Ouest médiation",
    }
    assert [c["name"] for c in client.get(f"{CENTERS}?q=zenith").json["items"]] == [
        "Zénith médiation"
    ]
    assert client.get(f"{CENTERS}?q=100%25").json["items"] == []  # a wildcard is a character


# --- refused -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=101", "limit"),
        ("limit=1000000", "limit"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("price_min=-1", "price_min"),
        ("price_max=-0.01", "price_max"),
        ("price_min=NaN", "price_min"),
        ("price_min=300&price_max=100", "price_max"),
        ("specialty=astrology", "specialty"),
        ("specialty=family,astrology", "specialty"),
        ("language=xx", "language"),
        ("region=FR-00", "region"),
        ("center=no-such-center", "center"),
        ("price=1-2", "price"),
        ("compliant=maybe", "compliant"),
        ("sort=random", "sort"),
        ("unknown=1", "unknown"),
        ("offset=20", "offset"),  # the cursor is the only way to page
        ("q=" + "x" * 201, "q"),
        ("cursor=garbage", "cursor"),
        (f"cursor={encode_cursor('1', '2')}", "cursor"),  # a center list's
        (f"cursor={encode_cursor('-5')}", "cursor"),
        (f"cursor={encode_cursor('0')}", "cursor"),
        (f"cursor={encode_cursor('999999')}", "cursor"),  # past the deepest page
        (f"cursor={encode_cursor('ten')}", "cursor"),
    ],
)
def test_a_bad_parameter_is_refused_with_400_naming_it(client, seeded, query, parameter):
    errors = query_errors(client.get(f"{MEDIATORS}?{query}"))
    assert parameter in errors, errors


def test_the_limit_refusal_names_the_maximum(client, seeded):
    body = problem(client.get(f"{MEDIATORS}?limit=1000000"))
    assert "100" in body["errors"]["query"]["limit"][0]


def test_centers_refuse_bad_parameters(client, seeded):
    assert "limit" in query_errors(client.get(f"{CENTERS}?limit=101"))
    assert "cursor" in query_errors(client.get(f"{CENTERS}?cursor=garbage"))
    assert "cursor" in query_errors(client.get(f"{CENTERS}?cursor={encode_cursor('5')}"))
    assert "cursor" in query_errors(client.get(f"{CENTERS}?cursor={encode_cursor('a', 'b')}"))
    assert "specialty" in query_errors(client.get(f"{CENTERS}?specialty=family"))


def test_unknown_and_unlisted_ids_are_404(client, seeded, unscoped):
    unknown = "00000000-0000-4000-8000-000000000000"
    for url in (f"{MEDIATORS}/{unknown}", f"{CENTERS}/{unknown}", f"{MEDIATORS}/not-a-uuid"):
        assert problem(client.get(url), 404)

    # A mediator who withdraws their consent is gone, like one who never was.
    person = seeded["people"]["a"]
    profile = db.session.get(MediatorProfile, uuid.UUID(person.id))
    profile.listed_publicly = False
    db.session.commit()
    settle(client.application)
    gone = problem(client.get(f"{MEDIATORS}/{person.id}"), 404)
    never = problem(client.get(f"{MEDIATORS}/{unknown}"), 404)
    assert gone["detail"] == never["detail"]
    # An unlisted center likewise.
    other = factories.TenantFactory()  # no published page
    assert (
        problem(client.get(f"{CENTERS}/{other.id}"), 404)["detail"]
        == problem(client.get(f"{CENTERS}/{unknown}"), 404)["detail"]
    )


def test_every_facet_is_a_query_parameter():
    assert set(FACETS) <= set(MediatorSearchArgs().fields)


# --- access and rate limits ----------------------------------------------------------------

ANONYMOUS_LIMIT = 2
CLIENT_LIMIT = 5


class TestRateLimits:
    @pytest.fixture
    def app_config(self, app_config: dict) -> dict:
        return {
            **app_config,
            "API_RATE_ANONYMOUS": (ANONYMOUS_LIMIT, 60),
            "API_RATE_PER_CLIENT": (CLIENT_LIMIT, 60),
        }

    def test_anonymous_requests_are_limited_per_address(self, client, seeded):
        for _ in range(ANONYMOUS_LIMIT):
            answer = client.get(MEDIATORS)
            assert answer.status_code == 200
            assert answer.headers["RateLimit-Policy"].startswith('"api_anonymous"')
        refused = problem(client.get(f"{CENTERS}"), 429)
        assert refused["type"].endswith("/rate-limited")
        answer = client.get(MEDIATORS)
        assert answer.status_code == 429
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
        assert answer.headers["RateLimit"].startswith('"api_anonymous";r=0;')

    def test_a_marketplace_token_gets_the_clients_higher_limit(self, app, client, seeded):
        partner = factories.PartnerFactory()
        reader = register("partner", partner.id, scopes=["marketplace:read"])
        token = client_credentials_token(app.test_client(), reader)
        for _ in range(ANONYMOUS_LIMIT):
            assert client.get(MEDIATORS).status_code == 200
        assert client.get(MEDIATORS).status_code == 429  # the address is spent...
        for _ in range(CLIENT_LIMIT):  # ...the client is not
            answer = client.get(MEDIATORS, headers=bearer(token))
            assert answer.status_code == 200, answer.get_data(as_text=True)
            assert answer.headers["RateLimit-Policy"] == f'"api_per_client";q={CLIENT_LIMIT};w=60'
        assert problem(client.get(MEDIATORS, headers=bearer(token)), 429)

    def test_a_token_without_the_scope_is_refused(self, app, client, seeded):
        partner = factories.PartnerFactory()
        other = register("partner", partner.id, scopes=["referrals:read"])
        token = client_credentials_token(app.test_client(), other)
        for url in (MEDIATORS, CENTERS, f"{CENTERS}/{seeded['centers']['A'].id}"):
            answer = client.get(url, headers=bearer(token))
            assert problem(answer, 403)["type"].endswith("/insufficient-scope")
            challenge = answer.headers["WWW-Authenticate"]
            assert 'error="insufficient_scope"' in challenge
            assert 'scope="marketplace:read"' in challenge
        assert problem(client.get(MEDIATORS, headers=bearer("not-a-token")), 401)


def test_the_openapi_document_describes_the_marketplace(client):
    document = client.get("/api/openapi.json").json
    search = document["paths"]["/api/v1/marketplace/mediators"]["get"]
    assert search["security"] == [{}, {"oauth2": ["marketplace:read"]}]
    parameters = {p["name"]: p for p in search["parameters"]}
    assert set(FACETS) | {"q", "sort", "limit", "cursor", "price_min", "price_max"} == set(
        parameters
    )
    assert parameters["limit"]["schema"]["maximum"] == 100
    assert {"200", "400", "403", "429"} <= set(search["responses"])
    for path in ("/mediators/{mediator_id}", "/centers", "/centers/{center_id}"):
        assert "get" in document["paths"][f"/api/v1/marketplace{path}"]
