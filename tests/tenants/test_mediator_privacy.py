"""What it must show (issue 4), the center's half, through the pages: a mediator
affiliated with two centers edits a training record once and both centers see it; a
third center sees nothing (404); a center's internal notes and rate never appear to
another center, in the mediator's own pages or in any export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from core.clock import now
from core.credentials.records import RecordInput, update_record
from core.db import db
from tests.factories import (
    CertificationFactory,
    MediatorProfileFactory,
    TrainingRecordFactory,
    UserFactory,
)
from tests.tenants.helpers import make_center, sign_in
from tests.tenants.mediator_helpers import affiliated, with_evidence

A_NOTES, A_RATE = "Confidentiel A : préfère les dossiers familiaux", Decimal("987.65")
B_NOTES, B_RATE = "Confidentiel B : disponible le jeudi", Decimal("432.10")
SECRETS = {
    "A": (A_NOTES, "987.65", "987,65"),
    "B": (B_NOTES, "432.10", "432,10", "432.1"),
}


@dataclass
class Two:
    a: Any
    b: Any
    c: Any
    mediator: Any
    profile: Any
    record: Any
    certification: Any


@pytest.fixture
def two(app) -> Two:
    a, b, c = (make_center(locale="en") for _ in range(3))
    mediator = UserFactory(locale="en")
    profile = MediatorProfileFactory(user=mediator, display_name="Inès Moreau")
    affiliated(a.tenant, profile, internal_notes=A_NOTES, rate_eur=A_RATE)
    affiliated(b.tenant, profile, internal_notes=B_NOTES, rate_eur=B_RATE)
    record = with_evidence(TrainingRecordFactory(profile=profile, title="Médiation familiale"))
    certification = with_evidence(CertificationFactory(profile=profile))
    return Two(a, b, c, mediator, profile, record, certification)


def _as(app, user):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(client, user)
    return client


def _absent(text: str, center: str, where: str) -> None:
    for secret in SECRETS[center]:
        assert secret not in text, f"center {center}'s {secret!r} appears in {where}"


def test_one_edit_is_seen_by_both_centers_and_a_third_sees_nothing(app, two):
    update_record(
        two.record,
        RecordInput(
            title="Médiation familiale, niveau 2",
            provider="Institut de formation",
            kind="continuing_education",
            hours="21",
            started_on=now().date() - timedelta(days=20),
        ),
    )
    db.session.commit()
    for center in (two.a, two.b):
        page = _as(app, center.admin).get(center.url(f"mediators/{two.profile.id}"))
        assert page.status_code == 200
        assert "Médiation familiale, niveau 2" in page.get_data(as_text=True)
        queue = _as(app, center.admin).get(center.url("mediators/verification"))
        assert "Médiation familiale, niveau 2" in queue.get_data(as_text=True)

    third = _as(app, two.c.owner)
    base = two.c.url(f"mediators/{two.profile.id}")
    for path in (
        "",
        f"/records/{two.record.id}/evidence",
        f"/certifications/{two.certification.id}/evidence",
    ):
        assert third.get(base + path).status_code == 404, path
    for path in (
        f"/records/{two.record.id}/verify",
        f"/certifications/{two.certification.id}/verify",
    ):
        assert third.post_form(base + path, {}).status_code == 404, path
    assert (
        third.post_form(
            base, {"status": "ended", "rate_eur": "", "internal_notes": "", "published": ""}
        ).status_code
        == 404
    )
    for path in (
        "mediators",
        "mediators/verification",
        "mediators/compliance",
        "mediators/compliance.csv",
    ):
        text = third.get(two.c.url(path)).get_data(as_text=True)
        assert "Inès Moreau" not in text and "Médiation familiale" not in text, path


def test_a_center_s_notes_and_rate_stay_inside_it(app, two):
    b_owner = _as(app, two.b.owner)
    own = b_owner.get(two.b.url(f"mediators/{two.profile.id}")).get_data(as_text=True)
    assert B_NOTES in own and "432.10" in own  # its own, on its own page
    for path in (
        "mediators",
        f"mediators/{two.profile.id}",
        "mediators/verification",
        "mediators/compliance",
    ):
        text = b_owner.get(two.b.url(path)).get_data(as_text=True)
        _absent(text, "A", f"B's {path}")
    # Every export, of either center, holds no rate and no notes at all.
    for center, client in ((two.a, _as(app, two.a.owner)), (two.b, b_owner)):
        exported = client.get(center.url("mediators/compliance.csv"))
        assert exported.status_code == 200 and "Inès Moreau" in exported.data.decode("utf-8-sig")
        for name in ("A", "B"):
            _absent(exported.data.decode("utf-8-sig"), name, f"the CSV of {center.slug}")
    # The mediator's own pages show neither center's.
    mine = _as(app, two.mediator)
    for path in ("/me/profile", "/me/training", "/account/workspaces"):
        response = mine.get(path)
        assert response.status_code == 200, path
        for name in ("A", "B"):
            _absent(response.get_data(as_text=True), name, f"the mediator's {path}")
