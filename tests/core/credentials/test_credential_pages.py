"""Signed credentials on the web: the mediator's export, the public verification page
(valid, tampered, expired, revoked; French and English) and the status URL."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import now
from core.credentials.issued import IssuedCredential
from core.credentials.models import VerificationStatus
from core.credentials.signed import MAX_VALIDITY, CredentialStatus, verify_credential
from core.db import db
from tests.core.credentials.credential_helpers import (
    certification_of_new_mediator,
    payload_of,
    with_one_claim_changed,
)
from tests.factories import UserFactory
from tests.tenants.helpers import sign_in

VERIFY = "/credentials/verify"


def export_url(certification) -> str:
    return f"/me/certifications/{certification.id}/credential"


def issued_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(IssuedCredential))


@pytest.fixture
def certification(app):
    return certification_of_new_mediator()


@pytest.fixture
def token(app, certification) -> str:
    """A credential exported by its mediator through the page (in their own browser:
    `client` stays an anonymous verifier)."""
    mediator = app.test_client()
    sign_in(mediator, certification.profile.user)
    response = mediator.get(export_url(certification))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


# --- export ------------------------------------------------------------------------------


def test_the_owner_downloads_a_credential_that_verifies_as_valid(client, certification):
    sign_in(client, certification.profile.user)
    response = client.get(export_url(certification))
    assert response.status_code == 200
    assert response.mimetype == "application/vc+jwt"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="credential-fr-test-scheme.jwt"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    token = response.get_data(as_text=True)
    verification = verify_credential(token)
    assert verification.status == CredentialStatus.VALID
    assert verification.certification_id == certification.id
    # Recorded, so that the status URL it names answers.
    issued = db.session.get(IssuedCredential, verification.credential_id)
    assert issued is not None and issued.certification_id == certification.id


def test_another_user_gets_404_and_nothing_is_issued(client, certification):
    sign_in(client, UserFactory())
    assert client.get(export_url(certification)).status_code == 404
    assert client.get(f"/me/certifications/{uuid.uuid4()}/credential").status_code == 404
    assert issued_count() == 0


def test_signed_out_the_export_asks_to_sign_in(client, certification):
    response = client.get(export_url(certification))
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"revoked_at": "now"}, "has been revoked"),
        ({"verification_status": VerificationStatus.REJECTED}, "was rejected on verification"),
        ({"expires_on": "yesterday"}, "has expired"),
    ],
)
def test_no_credential_of_a_revoked_rejected_or_expired_certification(
    app, client, certification, change, message
):
    values = {"now": now(), "yesterday": now().date() - timedelta(days=1)}
    for name, value in change.items():
        setattr(certification, name, values.get(value, value) if isinstance(value, str) else value)
    db.session.commit()
    sign_in(client, certification.profile.user)
    response = client.get(export_url(certification))
    assert response.status_code == 409
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert message in page
    assert "eyJ" not in page  # no token in the page
    # Back to the mediator's certifications (their workspaces until that page exists).
    back = "/me/training" if "credentials.training" in app.view_functions else "/account/"
    assert f'href="{back}' in page
    assert issued_count() == 0


# --- the verification page ---------------------------------------------------------------


def verify_page(client, token: str, language: str = "en", **extra):
    client.forget_csrf()
    headers = {"Accept-Language": language}
    page = client.get(VERIFY, headers=headers)
    assert page.status_code == 200
    return client.post_form(VERIFY, {"credential": token, "file": "", **extra}, headers=headers)


CLAIMS_SHOWN = ("Camille Martin", "Médiateur certifié", "Organisme certificateur", "CERT-42")


def test_a_valid_credential_is_shown_valid_with_its_claims(client, token):
    response = verify_page(client, token)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-status="valid"' in page
    assert "Valid credential: it was issued by the platform" in page
    for claim in CLAIMS_SHOWN:
        assert claim in page
    assert "Mediation Hub" in page  # issued by the platform


def test_in_french_the_sentence_and_labels_are_french(client, token):
    page = verify_page(client, token, language="fr").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Attestation valide : elle a été délivrée par la plateforme" in page
    assert "Valid credential" not in page


def test_one_changed_claim_is_tampered_and_no_claim_is_shown(client, token):
    for language, sentence in (
        ("en", "Unrecognised credential"),
        ("fr", "Attestation non reconnue"),
    ):
        response = verify_page(client, with_one_claim_changed(token), language=language)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert 'data-status="tampered"' in page
        assert sentence in page
        for claim in (*CLAIMS_SHOWN, "CERT-43"):
            assert claim not in page


def test_an_expired_credential_is_expired(client, clock, token):
    clock.advance(MAX_VALIDITY + timedelta(seconds=1))
    page = verify_page(client, token).get_data(as_text=True)
    assert 'data-status="expired"' in page
    assert "Expired credential" in page
    assert "Camille Martin" in page  # still authentic: its claims are shown
    french = verify_page(client, token, language="fr").get_data(as_text=True)
    assert "Attestation expirée" in french


def test_a_revoked_credential_is_revoked_and_shows_no_claims(client, certification, token):
    certification.revoked_at = now()
    certification.revoked_reason = "Fraudulent evidence"
    db.session.commit()
    page = verify_page(client, token).get_data(as_text=True)
    assert 'data-status="revoked"' in page
    assert "Revoked credential: the certification it attests has been withdrawn." in page
    assert "CERT-42" not in page
    french = verify_page(client, token, language="fr").get_data(as_text=True)
    assert "Attestation révoquée" in french


def test_the_credential_file_can_be_uploaded(client, token):
    client.get(VERIFY)
    response = client.post(
        VERIFY,
        data={
            "csrf_token": client.csrf_token(),
            "credential": "",
            "file": (io.BytesIO(token.encode() + b"\n"), "credential.jwt"),
        },
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 200
    assert 'data-status="valid"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"x" * (64 * 1024 + 1), "at most 64 KB"),
        (b"\xff\xfe not text", "not a credential"),
        (b"  \n", "This file is empty."),
    ],
)
def test_a_bad_file_gets_a_message_on_its_field(client, content, message):
    client.get(VERIFY)
    response = client.post(
        VERIFY,
        data={
            "csrf_token": client.csrf_token(),
            "credential": "",
            "file": (io.BytesIO(content), "credential.jwt"),
        },
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_nothing_pasted_or_both_gets_a_message(client, token):
    empty = verify_page(client, "")
    assert empty.status_code == 422
    assert "Paste a credential or choose its file." in empty.get_data(as_text=True)
    both = client.post(
        VERIFY,
        data={
            "csrf_token": client.csrf_token(),
            "credential": token,
            "file": (io.BytesIO(token.encode()), "credential.jwt"),
        },
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert both.status_code == 422
    assert "not both" in both.get_data(as_text=True)


def test_garbage_is_tampered(client):
    page = verify_page(client, "not.a.credential").get_data(as_text=True)
    assert 'data-status="tampered"' in page


# --- the status URL ------------------------------------------------------------------------


def test_the_status_url_of_an_issued_credential_answers(client, clock, certification, token):
    claims = payload_of(token)
    url = claims["credentialStatus"]["id"].removeprefix("http://localhost")
    assert url == f"/credentials/{claims['id'].removeprefix('urn:uuid:')}/status"

    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.json == {
        "id": claims["id"],
        "type": "PlatformCertificationStatus",
        "status": "valid",
        "validFrom": claims["validFrom"],
        "validUntil": claims["validUntil"],
    }

    clock.advance(MAX_VALIDITY)
    assert client.get(url).json["status"] == "expired"
    certification.revoked_at = now()
    db.session.commit()
    assert client.get(url).json["status"] == "revoked"


def test_the_status_of_a_deleted_certification_is_revoked(client, certification, token):
    db.session.delete(certification)
    db.session.commit()
    url = payload_of(token)["credentialStatus"]["id"].removeprefix("http://localhost")
    assert client.get(url).json["status"] == "revoked"


def test_an_unknown_credential_id_is_404_problem_json(client):
    response = client.get(f"/credentials/{uuid.uuid4()}/status")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
