"""The certification-scheme catalogue in the staff area: staff list, edit and add
schemes; the rules are checked by the rules codec, a bad one is refused on its field and
nothing is written; everyone else gets 404."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.audit import SecurityEvent
from core.credentials.catalogue import by_code
from core.credentials.models import CertificationScheme
from core.credentials.rules import SchemeRules
from core.db import db
from tests.bad_input import PageErrors
from tests.factories import CertificationFactory, CertificationSchemeFactory, UserFactory
from tests.tenants.helpers import make_center, sign_in

FFCM_RULES = by_code("fr-ffcm").row()["rules"]


@pytest.fixture
def staff(client):
    user = UserFactory(is_staff=True, locale="en")
    sign_in(client, user)
    return user


@pytest.fixture
def scheme(app):
    return CertificationSchemeFactory(code="fr-example", name="Médiateur exemple", country="FR")


def form_of(scheme: CertificationScheme, **changes) -> dict[str, str]:
    values = {
        "name": scheme.name,
        "issuing_body": scheme.issuing_body,
        "country": scheme.country,
        "active": "y" if scheme.active else "",
        "rules": json.dumps(scheme.rules),
        "sources": json.dumps(scheme.sources),
    }
    return {**values, **changes}


def row(scheme_id) -> dict:
    db.session.expire_all()
    found = db.session.get(CertificationScheme, scheme_id)
    columns = ("name", "issuing_body", "country", "active", "rules", "sources", "updated_by_id")
    return {name: getattr(found, name) for name in columns}


def test_staff_list_schemes_with_their_number_of_certifications(client, staff, scheme):
    CertificationFactory.create_batch(2, scheme=scheme)
    assert 'href="/staff/schemes/"' in client.get("/staff/").get_data(as_text=True)
    page = client.get("/staff/schemes/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "fr-example" in text and "Médiateur exemple" in text
    assert '<td class="text-end">2</td>' in text


def test_staff_edit_a_scheme_and_the_change_is_audited(client, staff, scheme):
    assert client.get(f"/staff/schemes/{scheme.id}").status_code == 200
    rules = json.loads(json.dumps(FFCM_RULES))
    rules["continuing"][0]["hours"] = "12"
    response = client.post_form(
        f"/staff/schemes/{scheme.id}",
        form_of(scheme, name="Médiateur exemple (2025)", active="", rules=json.dumps(rules)),
    )
    assert response.status_code == 303
    saved = row(scheme.id)
    assert saved["name"] == "Médiateur exemple (2025)"
    assert saved["active"] is False
    assert saved["rules"]["continuing"][0]["hours"] == "12"
    assert SchemeRules.from_dict(saved["rules"]).continuing[0].hours == 12
    assert saved["updated_by_id"] == staff.id
    event = db.session.scalar(select(SecurityEvent).where(SecurityEvent.action == "scheme.updated"))
    assert event.actor_id == staff.id
    assert event.details == {"code": "fr-example", "fields": ["name", "active", "rules"]}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rules", '{"initial": null, "continuing": null', "This is not valid JSON"),
        ("rules", '{"initial": null, "continuing": null}', "missing key(s) validity"),
        (
            "rules",
            json.dumps({**FFCM_RULES, "continuing": [{"hours": "ten"}]}),
            "rules.continuing[0]",
        ),
        ("rules", json.dumps({**FFCM_RULES, "validty": None}), "unknown key(s) validty"),
        ("rules", "[]", "expected an object"),
        ("rules", "[" * 9000 + "]" * 9000, "nested too deeply"),
        ("sources", '[{"url": "ftp://example.org"}]', "sources[0].url"),
        ("sources", '{"url": "https://example.org"}', "expected a list"),
        ("country", "France", "A country code such as FR"),
    ],
)
def test_a_bad_field_gets_its_message_and_nothing_is_written(
    client, staff, scheme, field, value, message
):
    before = row(scheme.id)
    response = client.post_form(
        f"/staff/schemes/{scheme.id}", form_of(scheme, name="Changed", **{field: value})
    )
    assert response.status_code == 422
    error = PageErrors(response.get_data(as_text=True)).field_error(field)
    assert error is not None and message in error, error
    assert row(scheme.id) == before
    audited = select(SecurityEvent).where(SecurityEvent.action.like("scheme.%"))
    assert db.session.scalar(audited) is None


def test_staff_add_a_scheme(client, staff):
    assert client.get("/staff/schemes/new").status_code == 200
    data = {
        "code": "be-new-scheme",
        "name": "Médiateur agréé (nouveau)",
        "issuing_body": "Commission fédérale de médiation",
        "country": "be",
        "active": "y",
        "rules": json.dumps(FFCM_RULES),
        "sources": '[{"url": "https://www.cfm-fbc.be/fr", "title": "CFM"}]',
    }
    response = client.post_form("/staff/schemes/new", data)
    assert response.status_code == 303
    created = db.session.scalar(
        select(CertificationScheme).where(CertificationScheme.code == "be-new-scheme")
    )
    assert created.country == "BE"
    assert created.rules == FFCM_RULES
    assert created.sources == [{"url": "https://www.cfm-fbc.be/fr", "title": "CFM"}]
    assert created.updated_by_id == staff.id

    again = client.post_form("/staff/schemes/new", {**data, "name": "Another"})
    assert again.status_code == 422
    error = PageErrors(again.get_data(as_text=True)).field_error("code")
    assert error == "A scheme already has this code."
    bad_code = client.post_form("/staff/schemes/new", {**data, "code": "Not a code!"})
    assert PageErrors(bad_code.get_data(as_text=True)).field_error("code")


@pytest.mark.parametrize("who", ["member", "mediator", "anonymous"])
def test_everyone_but_staff_gets_404(client, scheme, who):
    if who == "member":
        sign_in(client, make_center().owner)
    elif who == "mediator":
        sign_in(client, CertificationFactory().profile.user)
    before = row(scheme.id)
    urls = ("/staff/schemes/", "/staff/schemes/new", f"/staff/schemes/{scheme.id}")
    for url in urls:
        response = client.get(url)
        expected = (302, 303) if who == "anonymous" else (404,)
        assert response.status_code in expected, (url, response.status_code)
    if who != "anonymous":
        response = client.post_form(f"/staff/schemes/{scheme.id}", form_of(scheme, name="Mine"))
        assert response.status_code == 404
    assert row(scheme.id) == before
