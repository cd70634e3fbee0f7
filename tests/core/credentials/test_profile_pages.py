"""The mediator's "My profile" page: created when missing, edited after; every value
comes from its vocabulary (a value outside it gets a message on its control); the photo
is a PNG or JPEG of at most 2 MB, stored under a server-generated key and shown back
only to its owner."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest

from core.credentials.models import MediatorProfile
from core.credentials.profiles import profile_of_user
from core.db import db
from core.files.checks import MAX_PHOTO_BYTES
from tests.bad_input import PageErrors
from tests.factories import MediatorProfileFactory, UserFactory
from tests.mediator_api import PDF, PNG, file_rows, stored_files
from tests.tenants.helpers import sign_in

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def registrations(*rows: tuple[str, str, str]) -> dict[str, str]:
    """The registration lines of the form, the given ones first, the others empty."""
    posted = {}
    for index in range(10):
        kind, name, number = rows[index] if index < len(rows) else ("", "", "")
        posted |= {
            f"registration_kind_{index}": kind,
            f"registration_name_{index}": name,
            f"registration_number_{index}": number,
        }
    return posted


PROFILE = {
    "display_name": "Claire Dubois",
    "title": "Médiatrice familiale",
    "bio_fr": "Médiatrice depuis 2012.",
    "bio_en": "Mediator since 2012.",
    "photo": "",
    "languages": ["fr", "en"],
    "specialties": ["family", "civil"],
    "regions": ["FR-69", "FR-2A", "BE"],
    "modes": ["online", "hybrid"],
    "rate_min_eur": "90",
    "rate_max_eur": "150.50",
    "listed_publicly": "y",
    **registrations(("court_of_appeal", "Lyon", "CA-123"), ("bar", "Barreau de Lyon", "")),
}


def _post(client: Any, data: dict[str, Any]) -> Any:
    return client.post(
        "/me/profile",
        data={"csrf_token": client.csrf_token(), **data},
        content_type="multipart/form-data",
    )


@pytest.fixture
def person(client):
    user = UserFactory(locale="en", name="Claire Dubois")
    sign_in(client, user)
    return user


def test_a_person_creates_their_profile_then_edits_it(app, client, clock, person):
    page = client.get("/me/profile")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Create my profile" in html
    assert 'value="Claire Dubois"' in html  # the account's name, offered
    # Regions and languages by their names, in the person's language.
    assert "69 Rhône" in html and ">Belgium<" in html and ">French<" in html

    response = _post(client, PROFILE)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == "/me/profile"
    profile = profile_of_user(person.id)
    assert profile.display_name == "Claire Dubois"
    assert profile.regions == ["FR-69", "FR-2A", "BE"]
    assert profile.registrations == [
        {"kind": "court_of_appeal", "name": "Lyon", "number": "CA-123"},
        {"kind": "bar", "name": "Barreau de Lyon", "number": None},
    ]
    assert profile.listed_publicly and profile.listed_publicly_at is not None
    html = client.get("/me/profile").get_data(as_text=True)
    assert "Consent given on" in html
    assert 'value="Barreau de Lyon"' in html and "Save my profile" in html

    # Edited: the consent keeps its date, one registration goes, a value changes.
    given = profile.listed_publicly_at
    clock.advance(timedelta(minutes=5))
    edited = {**PROFILE, "title": "Médiatrice", **registrations(("bar", "Barreau de Lyon", ""))}
    assert _post(client, edited).status_code == 303
    db.session.expire_all()
    profile = profile_of_user(person.id)
    assert profile.title == "Médiatrice"
    assert profile.registrations == [{"kind": "bar", "name": "Barreau de Lyon", "number": None}]
    assert profile.listed_publicly_at == given

    # Consent withdrawn: no longer listed, and no date.
    withdrawn = {k: v for k, v in PROFILE.items() if k != "listed_publicly"}
    assert _post(client, withdrawn).status_code == 303
    db.session.expire_all()
    assert profile_of_user(person.id).listed_publicly_at is None
    assert "You have not agreed to a public listing." in client.get("/me/profile").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("languages", "xx"),  # not ISO 639-1
        ("specialties", "astrology"),
        ("regions", "FR-20"),  # Corsica is 2A and 2B
        ("regions", "ZZ"),
        ("modes", "by_letter"),
        ("rate_min_eur", "cheap"),
        ("rate_max_eur", "-5"),
        ("registration_kind_0", "notary"),
        ("display_name", ""),
    ],
)
def test_a_value_outside_its_vocabulary_gets_a_message_on_its_control(
    app, client, person, field, value
):
    response = _post(client, {**PROFILE, field: value})
    assert response.status_code == 422
    page = PageErrors(response.get_data(as_text=True))
    assert page.field_error(field), (field, sorted(page.invalid))
    assert profile_of_user(person.id) is None


def test_the_service_rules_show_on_their_controls(app, client, person):
    # Each value has the right shape; together they break a rule.
    response = _post(client, {**PROFILE, "rate_min_eur": "200", "rate_max_eur": "100"})
    assert response.status_code == 422
    page = PageErrors(response.get_data(as_text=True))
    assert page.field_error("rate_max_eur") == "The highest rate cannot be below the lowest."
    response = _post(client, {**PROFILE, "rate_min_eur": "99.999"})
    page = PageErrors(response.get_data(as_text=True))
    assert page.field_error("rate_min_eur").startswith("Give an amount in euros")
    response = _post(client, {**PROFILE, **registrations(("bar", "", "12"))})
    page = PageErrors(response.get_data(as_text=True))
    assert page.field_error("registration_name_0") == "Name the court of appeal or the bar."
    response = _post(client, {**PROFILE, **registrations(("", "Lyon", ""))})
    page = PageErrors(response.get_data(as_text=True))
    assert page.field_error("registration_kind_0") == "Choose a court of appeal list or a bar."
    assert profile_of_user(person.id) is None


def test_a_photo_is_stored_shown_to_its_owner_replaced_and_removed(app, client, person, files_dir):
    assert _post(client, {**PROFILE, "photo": (BytesIO(PNG), "me.png")}).status_code == 303
    profile = profile_of_user(person.id)
    first = profile.photo_key
    assert first.endswith(".png") and stored_files(files_dir) == [first]
    shown = client.get("/me/profile/photo")
    assert shown.status_code == 200 and shown.mimetype == "image/png" and shown.data == PNG
    assert shown.headers["Cache-Control"] == "private, no-store"
    assert "/me/profile/photo" in client.get("/me/profile").get_data(as_text=True)

    # Another person has no photo to see: theirs, if any, never this one.
    other = client.application.test_client()
    sign_in(other, MediatorProfileFactory().user)
    assert other.get("/me/profile/photo").status_code == 404

    # Replaced: the old file goes once the new one is committed.
    assert _post(client, {**PROFILE, "photo": (BytesIO(JPEG), "me.jpeg")}).status_code == 303
    db.session.expire_all()
    second = profile_of_user(person.id).photo_key
    assert second.endswith(".jpg") and stored_files(files_dir) == [second]

    assert _post(client, {**PROFILE, "remove_photo": "y"}).status_code == 303
    db.session.expire_all()
    assert profile_of_user(person.id).photo_key is None
    assert stored_files(files_dir) == []
    assert client.get("/me/profile/photo").status_code == 404


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (PDF, "scan.png", "Only PNG and JPEG photos are accepted."),
        (PDF, "scan.pdf", "Only PNG and JPEG photos are accepted."),
        (b"\x89PNG\r\n\x1a\n" + b"0" * MAX_PHOTO_BYTES, "big.png", "larger than 2 MB"),
        (PNG, "../../x.png", "must be a plain name"),
        (b"", "empty.png", "The file is empty."),
    ],
    ids=["a PDF named .png", "a PDF", "2 MB + 1 byte", "../../x.png", "an empty file"],
)
def test_a_refused_photo_writes_nothing(app, client, person, files_dir, data, name, message):
    MediatorProfileFactory(user=person)
    before = file_rows()
    response = _post(client, {**PROFILE, "photo": (BytesIO(data), name)})
    assert response.status_code == 422
    assert message in (PageErrors(response.get_data(as_text=True)).field_error("photo") or "")
    assert file_rows() == before
    assert stored_files(files_dir) == []


def test_the_profile_page_shows_the_saved_profile(app, client):
    profile = MediatorProfileFactory(display_name="Nadia Benali", regions=["FR-29"])
    sign_in(client, profile.user)
    html = client.get("/me/profile").get_data(as_text=True)
    assert 'value="Nadia Benali"' in html
    assert '<option selected value="FR-29">29 Finistère</option>' in html
    assert db.session.get(MediatorProfile, profile.id).user_id == profile.user.id
