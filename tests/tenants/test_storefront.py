"""The center's marketplace pages: its page settings (one row per center, private
contact details) and its offers (VAT computed, publish, delete), who reads and who
writes, bad input shown on the field with nothing written, and another center's
offers out of reach."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import db
from core.tenancy import scoped, tenant_scope
from tenants.models import Role
from tenants.services import storefront
from tenants.services.storefront import OfferInput, StorefrontInvalid, price_incl_vat
from tenants.storefront_models import CenterProfile, Offer, OfferKind, OfferMode, OfferPricing
from tests.bad_input import PageErrors
from tests.factories import CenterProfileFactory, MembershipFactory, OfferFactory, UserFactory
from tests.tenants.helpers import audit_rows, make_center, sign_in


@pytest.fixture
def center(app):
    return make_center(locale="en")


PAGE = {
    "presentation_fr": "Un centre de médiation à Lyon.",
    "presentation_en": "A mediation center in Lyon.",
    "address": "24 rue de la République",
    "postal_code": "69002",
    "service_area": ["FR-69", "FR-01"],
    "languages": ["fr", "en"],
    "website": "https://www.centre-lyon.example",
    "contact_email": "Contact@Centre-Lyon.example",
    "contact_phone": "+33 4 65 71 00 10",
    "require_compliance": "y",
    "published": "y",
}
OFFER = {
    "name": "Médiation express",
    "kind": "express",
    "included": "Une séance commune de deux heures.",
    "duration_minutes": "120",
    "sessions": "1",
    "price_excl_vat": "180,50",
    "vat_rate": "20",
    "pricing": "per_party",
    "mode": "in_person",
    "steps": "Entretien préalable\n\n  Séance commune  \nAccord écrit",
    "position": "1",
    "published": "y",
}


def _page(center):
    db.session.expire_all()
    with tenant_scope(center.tenant.id):
        return db.session.scalar(select(CenterProfile))


def _offers(center) -> list[Offer]:
    db.session.expire_all()
    with tenant_scope(center.tenant.id):
        return list(db.session.scalars(select(Offer).order_by(Offer.name)))


def _count(model) -> int:
    db.session.expire_all()
    with scoped(platform_reason="test inspection"):
        return db.session.scalar(select(func.count()).select_from(model))


def _error_on(response, field: str) -> str | None:
    return PageErrors(response.get_data(as_text=True)).field_error(field)


# --- VAT -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("excl", "rate", "incl"),
    [
        ("180", "20", "216.00"),
        ("180.50", "20", "216.60"),
        ("99.99", "5.5", "105.49"),  # 105.48945 rounds up
        ("0", "20", "0.00"),
        ("250", "0", "250.00"),
        ("100000", "100", "200000.00"),
        ("0.05", "10", "0.06"),  # 0.055: half up, to the cent
    ],
)
def test_the_price_including_vat_is_computed_to_the_cent(excl, rate, incl):
    assert price_incl_vat(Decimal(excl), Decimal(rate)) == Decimal(incl)


# --- the center page ----------------------------------------------------------------------


def test_an_owner_creates_then_updates_the_center_page(app, client, center):
    sign_in(client, center.owner)
    url = center.url("marketplace/page")
    assert "Not published" in client.get(url).get_data(as_text=True)
    response = client.post_form(url, PAGE)
    assert response.status_code == 303 and response.headers["Location"] == url
    page = _page(center)
    assert (page.address, page.postal_code, page.service_area, page.languages) == (
        "24 rue de la République",
        "69002",
        ["FR-69", "FR-01"],
        ["fr", "en"],
    )
    assert page.contact_email == "contact@centre-lyon.example"
    assert (page.published, page.require_compliance) == (True, True)
    created = audit_rows(center.tenant, "center_page.created")
    assert len(created) == 1
    # The private contact details never go into the audit trail.
    assert "centre-lyon" not in str(created[0].details) and "65 71" not in str(created[0].details)

    html = client.get(url).get_data(as_text=True)
    assert "Published" in html and "24 rue de la République" in html

    changed = {**PAGE, "published": "", "address": "1 place Bellecour"}
    assert client.post_form(url, changed).status_code == 303
    page = _page(center)
    assert (page.published, page.address) == (False, "1 place Bellecour")
    event = audit_rows(center.tenant, "center_page.updated")[-1]
    assert set(event.details["fields"]) == {"published", "address"}
    # Saving the same values again changes (and audits) nothing; still one row.
    assert client.post_form(url, changed).status_code == 303
    assert len(audit_rows(center.tenant, "center_page.updated")) == 1
    assert _count(CenterProfile) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("presentation_fr", "x" * 5001),
        ("presentation_en", "x" * 5001),
        ("address", "x" * 201),
        ("postal_code", "69-002!"),
        ("postal_code", "12345678901"),
        ("service_area", "FR-999"),
        ("languages", "xx"),
        ("website", "ftp://centre.example"),
        ("website", "javascript:alert(1)"),
        ("website", "https://" + "a" * 200 + ".example"),
        ("website", "centre.example"),
        ("contact_email", "not-an-email"),
        ("contact_email", "a@b"),
        ("contact_phone", "04 72 abc"),
        ("contact_phone", "0" * 31),
        ("contact_phone", "04+72"),
    ],
)
def test_bad_page_input_is_shown_on_the_field_and_writes_nothing(app, client, center, field, value):
    sign_in(client, center.admin)
    response = client.post_form(center.url("marketplace/page"), {**PAGE, field: value})
    assert response.status_code == 422
    assert _error_on(response, field), f"no error shown on {field}"
    assert _page(center) is None
    assert audit_rows(center.tenant, "center_page.created") == []


def test_the_service_refuses_what_the_form_would_let_through(app, center):
    with tenant_scope(center.tenant.id), pytest.raises(StorefrontInvalid) as refused:
        storefront.save_center_page(
            storefront.CenterPageInput(
                website="https://centre .example",
                contact_phone="++33",
                service_area=["FR-75"] * 2 + ["Mars"],
                contact_email="x\n@example.org",
            )
        )
    assert set(refused.value.errors) == {
        "website",
        "contact_phone",
        "service_area",
        "contact_email",
    }
    assert _page(center) is None


@pytest.mark.parametrize("role", [Role.CASE_MANAGER, Role.MEDIATOR, Role.VIEWER])
def test_other_members_read_the_page_and_offers_but_do_not_change_them(app, client, center, role):
    CenterProfileFactory(tenant=center.tenant, address="9 quai Saint-Vincent")
    offer_id = OfferFactory(tenant=center.tenant, name="Médiation standard").id
    member = MembershipFactory(tenant=center.tenant, role=role, user=UserFactory()).user
    sign_in(client, member)
    page = client.get(center.url("marketplace/page"))
    assert page.status_code == 200 and "9 quai Saint-Vincent" in page.get_data(as_text=True)
    assert "<fieldset disabled>" in page.get_data(as_text=True)
    offers = client.get(center.url("marketplace/offers")).get_data(as_text=True)
    assert "Médiation standard" in offers and "New offer" not in offers
    assert client.get(center.url(f"marketplace/offers/{offer_id}")).status_code == 200

    before = _page(center).address
    writes = [
        ("marketplace/page", PAGE),
        ("marketplace/offers/new", OFFER),
        (f"marketplace/offers/{offer_id}", OFFER),
        (f"marketplace/offers/{offer_id}/unpublish", {}),
        (f"marketplace/offers/{offer_id}/delete", {}),
    ]
    for path, data in writes:
        assert client.post_form(center.url(path), data).status_code == 403, path
    assert client.get(center.url("marketplace/offers/new")).status_code == 403
    assert _page(center).address == before
    [kept] = _offers(center)
    assert (kept.name, kept.published) == ("Médiation standard", True)


def test_outsiders_do_not_reach_the_pages(app, client, center):
    sign_in(client, make_center().owner)
    for path in ("marketplace/page", "marketplace/offers", "marketplace/offers/new"):
        assert client.get(center.url(path)).status_code == 404, path


# --- offers ------------------------------------------------------------------------------


def test_an_admin_adds_an_offer_with_its_price_including_vat(app, client, center):
    sign_in(client, center.admin)
    assert client.get(center.url("marketplace/offers/new")).status_code == 200
    response = client.post_form(center.url("marketplace/offers/new"), OFFER)
    assert response.status_code == 303
    assert response.headers["Location"] == center.url("marketplace/offers")
    [offer] = _offers(center)
    assert (offer.name, offer.kind, offer.pricing, offer.mode) == (
        "Médiation express",
        OfferKind.EXPRESS,
        OfferPricing.PER_PARTY,
        OfferMode.IN_PERSON,
    )
    assert (offer.duration_minutes, offer.sessions, offer.position) == (120, 1, 1)
    assert (offer.price_excl_vat, offer.vat_rate, offer.price_incl_vat) == (
        Decimal("180.50"),
        Decimal("20.00"),
        Decimal("216.60"),
    )
    assert offer.steps == ["Entretien préalable", "Séance commune", "Accord écrit"]
    assert offer.published is True
    offer_id = offer.id
    assert audit_rows(center.tenant, "offer.created")[0].object_id == str(offer_id)

    listing = client.get(center.url("marketplace/offers")).get_data(as_text=True)
    assert "Médiation express" in listing and "180.50" in listing and "216.60" in listing
    edit = client.get(center.url(f"marketplace/offers/{offer_id}")).get_data(as_text=True)
    assert "216.60 € incl. VAT (VAT 20 %)" in edit and 'value="180.50"' in edit


def test_the_vat_rate_defaults_to_20_and_a_duration_alone_is_enough(app, center):
    with tenant_scope(center.tenant.id):
        offer = storefront.create_offer(
            OfferInput(
                name="Médiation hybride",
                kind="hybrid",
                price_excl_vat="520",
                pricing="shared",
                mode="hybrid",
                duration_minutes=90,
            )
        )
    assert (offer.vat_rate, offer.price_incl_vat, offer.sessions) == (
        Decimal("20.00"),
        Decimal("624.00"),
        None,
    )


def test_editing_an_offer_recomputes_its_price_and_audits_the_fields(app, client, center):
    offer = OfferFactory(tenant=center.tenant, name="Médiation standard")
    sign_in(client, center.owner)
    url = center.url(f"marketplace/offers/{offer.id}")
    changed = {**OFFER, "name": "Médiation standard", "price_excl_vat": "300", "vat_rate": "10"}
    assert client.post_form(url, changed).status_code == 303
    [saved] = _offers(center)
    assert (saved.price_excl_vat, saved.vat_rate, saved.price_incl_vat) == (
        Decimal("300.00"),
        Decimal("10.00"),
        Decimal("330.00"),
    )
    fields = audit_rows(center.tenant, "offer.updated")[0].details["fields"]
    assert {"price_excl_vat", "vat_rate", "price_incl_vat", "kind"} <= set(fields)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "x" * 121),
        ("kind", "premium"),
        ("included", "x" * 2001),
        ("duration_minutes", "0"),
        ("duration_minutes", "1441"),
        ("duration_minutes", "two hours"),
        ("sessions", "0"),
        ("sessions", "51"),
        ("sessions", "-3"),
        ("price_excl_vat", ""),
        ("price_excl_vat", "-1"),
        ("price_excl_vat", "100000.01"),
        ("price_excl_vat", "12.345"),
        ("price_excl_vat", "NaN"),
        ("price_excl_vat", "Infinity"),
        ("price_excl_vat", "1e3"),
        ("price_excl_vat", "free"),
        ("vat_rate", "101"),
        ("vat_rate", "-5"),
        ("vat_rate", "twenty"),
        ("pricing", "per_hour"),
        ("mode", "telepathy"),
        ("steps", "\n".join(f"Étape {n}" for n in range(13))),
        ("steps", "x" * 201),
        ("position", "-1"),
        ("position", "1001"),
    ],
)
def test_bad_offer_input_is_shown_on_the_field_and_writes_nothing(
    app, client, center, field, value
):
    sign_in(client, center.admin)
    response = client.post_form(center.url("marketplace/offers/new"), {**OFFER, field: value})
    assert response.status_code == 422
    assert _error_on(response, field), f"no error shown on {field} for {value!r}"
    assert _offers(center) == []
    assert audit_rows(center.tenant, "offer.created") == []


def test_an_offer_needs_a_duration_or_a_number_of_sessions(app, client, center):
    sign_in(client, center.admin)
    response = client.post_form(
        center.url("marketplace/offers/new"), {**OFFER, "duration_minutes": "", "sessions": ""}
    )
    assert response.status_code == 422
    assert "Give a duration, a number of sessions, or both." in _error_on(
        response, "duration_minutes"
    )
    assert _offers(center) == []


def test_a_bad_edit_changes_nothing(app, client, center):
    offer = OfferFactory(tenant=center.tenant, name="Médiation standard")
    sign_in(client, center.admin)
    url = center.url(f"marketplace/offers/{offer.id}")
    response = client.post_form(url, {**OFFER, "price_excl_vat": "-10"})
    assert response.status_code == 422 and _error_on(response, "price_excl_vat")
    [kept] = _offers(center)
    assert (kept.name, kept.price_excl_vat) == ("Médiation standard", Decimal("250.00"))


def test_publish_unpublish_and_delete(app, client, center):
    offer = OfferFactory(tenant=center.tenant, published=False)
    name = offer.name
    sign_in(client, center.owner)
    base = center.url(f"marketplace/offers/{offer.id}")
    assert client.post_form(f"{base}/publish").status_code == 303
    assert _offers(center)[0].published is True
    assert client.post_form(f"{base}/unpublish").status_code == 303
    assert _offers(center)[0].published is False
    assert client.post_form(f"{base}/delete").status_code == 303
    assert _offers(center) == []
    assert audit_rows(center.tenant, "offer.published")
    assert audit_rows(center.tenant, "offer.unpublished")
    assert audit_rows(center.tenant, "offer.deleted")[0].details["name"] == name
    assert client.get(base).status_code == 404


def test_a_button_without_its_csrf_token_changes_nothing(app, client, center):
    offer = OfferFactory(tenant=center.tenant)
    sign_in(client, center.owner)
    response = client.post(center.url(f"marketplace/offers/{offer.id}/delete"), data={})
    assert response.status_code in (400, 422)
    assert len(_offers(center)) == 1


# --- another center's offers ----------------------------------------------------------------


def test_another_centers_offers_are_out_of_reach_and_out_of_the_list(app, client, center):
    other = make_center()
    foreign = OfferFactory(tenant=other.tenant, name="Offre de l'autre centre")
    CenterProfileFactory(tenant=other.tenant, address="Adresse de l'autre centre")
    own = OfferFactory(tenant=center.tenant, name="Notre offre")
    sign_in(client, center.admin)

    listing = client.get(center.url("marketplace/offers")).get_data(as_text=True)
    assert "Notre offre" in listing and "Offre de l'autre centre" not in listing
    page = client.get(center.url("marketplace/page")).get_data(as_text=True)
    assert "Adresse de l'autre centre" not in page

    base = center.url(f"marketplace/offers/{foreign.id}")
    assert client.get(base).status_code == 404
    assert client.post_form(base, OFFER).status_code == 404
    for action in ("publish", "unpublish", "delete"):
        assert client.post_form(f"{base}/{action}").status_code == 404, action
    [kept] = _offers(other)
    assert (kept.name, kept.published, kept.price_excl_vat) == (
        "Offre de l'autre centre",
        True,
        Decimal("250.00"),
    )
    assert [o.name for o in _offers(center)] == [own.name]


def test_services_see_only_the_scope_s_center(app, center):
    other = make_center()
    foreign = OfferFactory(tenant=other.tenant)
    with tenant_scope(center.tenant.id):
        assert storefront.center_offers() == []
        assert storefront.center_page() is None
        with pytest.raises(storefront.NotFound):
            storefront.offer_of(foreign.id)
        with pytest.raises(storefront.NotFound):
            storefront.delete_offer(foreign.id)
    assert len(_offers(other)) == 1


def test_the_navigation_links_the_marketplace_page(app, client, center):
    member = MembershipFactory(tenant=center.tenant, role=Role.VIEWER, user=UserFactory()).user
    sign_in(client, member)
    html = client.get(center.url("marketplace/offers")).get_data(as_text=True)
    assert f'href="/c/{center.slug}/marketplace/page"' in html
    # Inquiries (visitors' names, addresses, messages) are for those who answer them.
    assert f'href="/c/{center.slug}/inquiries"' not in html
