"""Shared by the signed-credential page and API tests: a mediator with a certification,
and a credential with one claim changed under its original signature."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import select

from core.credentials.models import Certification, MediatorProfile
from core.db import db
from tests.factories import CertificationFactory, MediatorProfileFactory, UserFactory


def certification_of_new_mediator(**kwargs: Any) -> Certification:
    """A certification of a claimed profile, its mediator an English-speaking user."""
    return CertificationFactory(
        number="CERT-42",
        profile__user=UserFactory(locale="en"),
        profile__display_name="Camille Martin",
        scheme__code="fr-test-scheme",
        scheme__name="Médiateur certifié",
        scheme__issuing_body="Organisme certificateur",
        **kwargs,
    )


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def payload_of(token: str) -> dict[str, Any]:
    return json.loads(_unb64(token.split(".")[1]))


def with_one_claim_changed(token: str) -> str:
    """The credential with another certification number, under the original signature."""
    header, payload, signature = token.split(".")
    claims = json.loads(_unb64(payload))
    claims["credentialSubject"]["number"] = "CERT-43"
    return ".".join([header, _b64(json.dumps(claims).encode()), signature])


def certification_held_by(user: Any) -> Certification:
    """A new certification on `user`'s mediator profile (the profile made if needed: one
    per person), for the standing tests' URL arguments."""
    profile = db.session.scalar(select(MediatorProfile).where(MediatorProfile.user_id == user.id))
    return CertificationFactory(profile=profile or MediatorProfileFactory(user=user))
