"""The mediator's profile takes values from its vocabularies only, and dates consent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.credentials.profiles import ProfileInput, ProfileInvalid, create_profile, update_profile
from core.db import db
from tests.factories import UserFactory

GOOD = ProfileInput(
    display_name="  Claire Dubois ",
    title="Médiatrice familiale",
    bio_fr="Médiatrice depuis 2012.",
    bio_en="Mediator since 2012.",
    languages=["fr", "en", "fr"],
    specialties=["family", "civil"],
    regions=["FR-69", "FR-2A", "BE"],
    modes=["online", "in_person"],
    rate_min_eur="90",
    rate_max_eur="150.50",
)


def test_a_mediator_creates_a_profile_and_consent_is_dated(app, clock):
    user = UserFactory()
    profile = create_profile(GOOD, user_id=user.id)
    db.session.commit()
    assert profile.display_name == "Claire Dubois"
    assert profile.languages == ["fr", "en"]  # each once, in order
    assert (profile.rate_min_eur, profile.rate_max_eur) == (Decimal("90"), Decimal("150.50"))
    assert profile.listed_publicly is False and profile.listed_publicly_at is None

    consented = clock.now()
    update_profile(profile, ProfileInput(**{**GOOD.__dict__, "listed_publicly": True}))
    clock.advance(timedelta(days=3))
    update_profile(profile, ProfileInput(**{**GOOD.__dict__, "listed_publicly": True}))
    assert profile.listed_publicly_at == consented  # the day consent was given
    update_profile(profile, GOOD)
    assert profile.listed_publicly is False and profile.listed_publicly_at is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"display_name": "  "}, "display_name"),
        ({"title": "x" * 121}, "title"),
        ({"bio_fr": "x" * 5001}, "bio_fr"),
        ({"languages": ["fra"]}, "languages"),
        ({"languages": ["xx"]}, "languages"),
        ({"specialties": ["astrology"]}, "specialties"),
        ({"regions": ["FR-20"]}, "regions"),  # Corsica is 2A and 2B
        ({"regions": ["ZZ"]}, "regions"),
        ({"modes": ["by_post"]}, "modes"),
        ({"rate_min_eur": "-1"}, "rate_min_eur"),
        ({"rate_min_eur": "abc"}, "rate_min_eur"),
        ({"rate_max_eur": "10000.01"}, "rate_max_eur"),
        ({"rate_min_eur": "200", "rate_max_eur": "100"}, "rate_max_eur"),
        ({"specialties": ["family"] * 31}, "specialties"),
    ],
)
def test_values_outside_the_vocabularies_are_refused_on_their_field(app, changes, field):
    user = UserFactory()
    with pytest.raises(ProfileInvalid) as refused:
        create_profile(ProfileInput(**{**GOOD.__dict__, **changes}), user_id=user.id)
    assert field in refused.value.errors


def test_registrations_are_checked_kept_once_and_left_alone_when_not_given(app):
    user = UserFactory()
    court = {"kind": "court_of_appeal", "name": " Lyon ", "number": "CA-12"}
    bar = {"kind": "bar", "name": "Barreau de Lyon", "number": "  "}
    profile = create_profile(
        ProfileInput(**{**GOOD.__dict__, "registrations": [court, bar, court]}), user_id=user.id
    )
    db.session.commit()
    assert profile.registrations == [
        {"kind": "court_of_appeal", "name": "Lyon", "number": "CA-12"},
        {"kind": "bar", "name": "Barreau de Lyon", "number": None},
    ]
    update_profile(profile, GOOD)  # registrations not given: unchanged
    assert len(profile.registrations) == 2
    update_profile(profile, ProfileInput(**{**GOOD.__dict__, "registrations": []}))
    assert profile.registrations == []

    for wrong in (
        [{"kind": "notary", "name": "Lyon"}],
        [{"kind": "bar", "name": " "}],
        [{"kind": "bar", "name": "x" * 121}],
        [{"kind": "bar", "name": "Paris", "number": "9" * 65}],
        [{"kind": "bar", "name": f"Barreau {n}"} for n in range(11)],
    ):
        with pytest.raises(ProfileInvalid) as refused:
            update_profile(profile, ProfileInput(**{**GOOD.__dict__, "registrations": wrong}))
        assert set(refused.value.errors) == {"registrations"}
