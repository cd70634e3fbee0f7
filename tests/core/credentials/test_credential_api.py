"""Signed credentials over the API: a person's export (`profile` scope) and the public
verification (valid, tampered, expired, revoked; French and English)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import now
from core.credentials.issued import IssuedCredential
from core.credentials.signed import MAX_VALIDITY, CredentialStatus, verify_credential
from core.db import db
from tests.core.credentials.credential_helpers import (
    certification_of_new_mediator,
    with_one_claim_changed,
)
from tests.factories import UserFactory
from tests.oauth import authorization_code_tokens, bearer, register
from tests.tenants.helpers import make_center, sign_in

VERIFY = "/api/v1/credentials/verify"


def export_url(certification_id) -> str:
    return f"/api/v1/me/certifications/{certification_id}/credential"


@pytest.fixture
def certification(app):
    return certification_of_new_mediator()


def profile_token(app, user) -> str:
    """An access token with the `profile` scope, consented by `user`."""
    registered = register("tenant", make_center().tenant.id)
    browser = app.test_client()
    sign_in(browser, user)
    return authorization_code_tokens(browser, registered, "profile")["access_token"]


@pytest.fixture
def token(app, client, certification) -> str:
    access = profile_token(app, certification.profile.user)
    response = client.get(export_url(certification.id), headers=bearer(access))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["credential"]


def verify(client, credential: str, language: str = "en"):
    return client.post(
        VERIFY, json={"credential": credential}, headers={"Accept-Language": language}
    )


# --- export ------------------------------------------------------------------------------


def test_the_person_exports_a_credential_that_verifies_as_valid(certification, token):
    verification = verify_credential(token)
    assert verification.status == CredentialStatus.VALID
    assert verification.certification_id == certification.id
    assert db.session.get(IssuedCredential, verification.credential_id) is not None


def test_another_persons_certification_is_404(app, client, certification):
    access = profile_token(app, UserFactory())
    for target in (certification.id, uuid.uuid4()):
        response = client.get(export_url(target), headers=bearer(access))
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(IssuedCredential)) == 0


def test_a_revoked_certification_cannot_be_exported(app, client, certification):
    certification.revoked_at = now()
    db.session.commit()
    access = profile_token(app, certification.profile.user)
    response = client.get(
        export_url(certification.id), headers={**bearer(access), "Accept-Language": "en"}
    )
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "revoked" in response.json["title"]


# --- public verification -------------------------------------------------------------------


def test_a_valid_credential_without_any_token(client, token):
    response = verify(client, token)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    assert "RateLimit" in response.headers  # counted per address
    body = response.json
    assert body["status"] == "valid"
    assert body["description"].startswith("Valid credential: it was issued by the platform")
    subject = body["credential"]["credentialSubject"]
    assert subject["name"] == "Camille Martin"
    assert subject["number"] == "CERT-42"
    assert subject["achievement"]["issuingBody"] == "Organisme certificateur"


def test_the_description_follows_accept_language_french_by_default(client, token):
    french = verify(client, token, language="fr-FR,fr;q=0.9").json
    assert french["description"].startswith("Attestation valide")
    default = client.post(VERIFY, json={"credential": token}).json
    assert default["description"].startswith("Attestation valide")


def test_one_changed_claim_is_tampered_with_no_claims(client, token):
    for language, start in (("en", "Unrecognised credential"), ("fr", "Attestation non reconnue")):
        body = verify(client, with_one_claim_changed(token), language).json
        assert body == {
            "status": "tampered",
            "description": body["description"],
            "credential": None,
        }
        assert body["description"].startswith(start)


def test_an_expired_credential_is_expired(client, clock, token):
    clock.advance(MAX_VALIDITY + timedelta(seconds=1))
    body = verify(client, token).json
    assert body["status"] == "expired"
    assert body["description"].startswith("Expired credential")
    assert body["credential"]["credentialSubject"]["number"] == "CERT-42"
    assert verify(client, token, "fr").json["description"].startswith("Attestation expirée")


def test_a_revoked_credential_is_revoked_with_no_claims(client, certification, token):
    certification.revoked_at = now()
    db.session.commit()
    body = verify(client, token).json
    assert body["status"] == "revoked"
    assert body["credential"] is None
    assert body["description"].startswith("Revoked credential")
    assert verify(client, token, "fr").json["description"].startswith("Attestation révoquée")


@pytest.mark.parametrize(
    "body",
    [{}, {"credential": ""}, {"credential": "x" * 20_001}, {"credential": 5}, {"other": "x"}],
)
def test_a_bad_body_is_422_problem_json(client, body):
    response = client.post(VERIFY, json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_the_operation_is_in_the_openapi_document(client):
    document = client.get("/api/openapi.json").json
    operation = document["paths"]["/api/v1/credentials/verify"]["post"]
    assert operation["security"] == [{}, {"oauth2": []}]
    schema_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert schema["properties"]["credential"]["maxLength"] == 20_000
    export = document["paths"]["/api/v1/me/certifications/{certification_id}/credential"]["get"]
    assert export["security"] == [{"oauth2": ["profile"]}]
