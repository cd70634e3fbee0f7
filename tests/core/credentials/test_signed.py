"""Signed credentials (core.credentials.signed): a certification exported as a VC 2.0 /
Open Badges 3.0 credential in a compact JWS, checked with the public JWKS alone, and
reported valid, expired, revoked or tampered, in French and English."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import KeySet, RSAKey

from core.clock import now
from core.credentials.models import Certification, VerificationStatus
from core.credentials.signed import (
    MAX_VALIDITY,
    CannotIssue,
    CredentialStatus,
    Verification,
    certification_revoked,
    describe,
    issue_credential,
    verify_credential,
)
from core.db import db
from core.oauth.tokens import key_store
from tests.factories import CertificationFactory

BASE = "http://localhost"  # PUBLIC_BASE_URL of the tests


@pytest.fixture
def certification(app) -> Certification:
    return CertificationFactory(
        number="CERT-42",
        profile__display_name="Camille Martin",
        scheme__name="Médiateur certifié",
        scheme__issuing_body="Organisme certificateur",
    )


def issue(certification: Certification, **kwargs) -> str:
    return issue_credential(certification, certification.profile, certification.scheme, **kwargs)


def verify(token: str) -> Verification:
    return verify_credential(token, is_revoked=certification_revoked)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def payload_of(token: str) -> dict[str, Any]:
    return json.loads(unb64(token.split(".")[1]))


def header_of(token: str) -> dict[str, Any]:
    return json.loads(unb64(token.split(".")[0]))


def with_payload(token: str, payload: dict[str, Any]) -> str:
    """The token with another payload, under the original header and signature."""
    header, _payload, signature = token.split(".")
    return ".".join([header, b64(json.dumps(payload).encode()), signature])


def signed_by(key: RSAKey, payload: dict[str, Any], **header: Any) -> str:
    protected = {"alg": "RS256", "kid": key.kid, "typ": "vc+jwt", "cty": "vc", **header}
    return jws.serialize_compact(protected, json.dumps(payload).encode(), key, algorithms=["RS256"])


def platform_key() -> RSAKey:
    return key_store().signing_key(now().timestamp())


# --- issuing and the credential's shape -------------------------------------------------


def test_an_issued_credential_is_valid(certification):
    result = verify(issue(certification))

    assert result.status == CredentialStatus.VALID
    assert result.certification_id == certification.id
    assert result.credential["credentialSubject"]["name"] == "Camille Martin"


def test_the_credential_has_the_vc_and_open_badges_shape(certification, clock):
    token = issue(certification)
    credential = payload_of(token)

    assert header_of(token) == {
        "alg": "RS256",
        "kid": platform_key().kid,
        "typ": "vc+jwt",
        "cty": "vc",
    }
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    credential_id = uuid.UUID(credential["id"].removeprefix("urn:uuid:"))
    assert credential["id"] == f"urn:uuid:{credential_id}"
    assert credential["issuer"] == {"id": BASE, "type": ["Profile"], "name": "Mediation Hub"}
    issued_at = clock.now().astimezone(UTC).replace(microsecond=0)
    assert credential["validFrom"] == issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The certification runs two more years: the credential's own maximum applies.
    until = issued_at + MAX_VALIDITY
    assert credential["validUntil"] == until.strftime("%Y-%m-%dT%H:%M:%SZ")

    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["name"] == "Camille Martin"
    assert subject["certification_id"] == str(certification.id)
    assert subject["number"] == "CERT-42"
    assert subject["issued_on"] == certification.issued_on.isoformat()
    assert subject["expires_on"] == certification.expires_on.isoformat()
    assert subject["stage"] == "definitive"
    assert subject["verification_status"] == "pending"
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["id"] == f"urn:uuid:{certification.scheme.id}"
    assert achievement["name"] == "Médiateur certifié"
    assert "Organisme certificateur" in achievement["description"]
    assert "Médiateur certifié" in achievement["criteria"]["narrative"]

    assert credential["credentialStatus"] == {
        "id": f"{BASE}/credentials/{credential_id}/status",
        "type": "PlatformCertificationStatus",
    }


def test_each_credential_has_its_own_id(certification):
    first, second = payload_of(issue(certification)), payload_of(issue(certification))
    assert first["id"] != second["id"]


def test_validity_ends_with_the_certification_when_that_comes_first(app, clock):
    today = clock.now().astimezone(UTC).date()
    certification = CertificationFactory(expires_on=today + timedelta(days=10))

    credential = payload_of(issue(certification))

    # expires_on is the last valid day: the credential runs until the end of it.
    end = datetime.combine(today + timedelta(days=11), datetime.min.time(), tzinfo=UTC)
    assert credential["validUntil"] == end.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_shorter_validity_can_be_asked_for(certification, clock):
    token = issue(certification, valid_for=timedelta(days=30))
    clock.advance(timedelta(days=30, seconds=1))
    assert verify(token).status == CredentialStatus.EXPIRED


def test_no_credential_of_a_revoked_expired_or_rejected_certification(app, clock):
    today = clock.now().astimezone(UTC).date()
    revoked = CertificationFactory(revoked_at=now(), revoked_reason="Retirée")
    expired = CertificationFactory(expires_on=today - timedelta(days=1))
    rejected = CertificationFactory(verification_status=VerificationStatus.REJECTED)

    for certification in (revoked, expired, rejected):
        with pytest.raises(CannotIssue):
            issue(certification)


def test_a_certification_ending_today_is_still_attested_until_midnight(app, clock):
    today = clock.now().astimezone(UTC).date()
    certification = CertificationFactory(expires_on=today)

    token = issue(certification)

    assert verify(token).status == CredentialStatus.VALID
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    clock.advance(end - clock.now())
    assert verify(token).status == CredentialStatus.EXPIRED


def test_the_certification_must_be_the_profiles(app):
    certification, other = CertificationFactory(), CertificationFactory()
    with pytest.raises(ValueError):
        issue_credential(certification, other.profile, certification.scheme)


def test_verifiable_with_only_the_published_jwks(certification, client):
    token = issue(certification)

    published = KeySet.import_key_set(client.get("/.well-known/jwks.json").json)
    signed = jws.deserialize_compact(token, published, algorithms=["RS256"])

    assert json.loads(signed.payload) == payload_of(token)
    assert all("d" not in key for key in client.get("/.well-known/jwks.json").json["keys"])


# --- tampered -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["credentialSubject"].update(name="Quelqu'un d'autre"),
        lambda c: c.update(validUntil="2099-01-01T00:00:00Z"),
        lambda c: c["credentialSubject"].update(expires_on="2099-12-31"),
        lambda c: c["credentialSubject"]["achievement"].update(name="Autre certification"),
    ],
    ids=["subject name", "validUntil", "expires_on", "achievement"],
)
def test_one_changed_claim_is_tampered(certification, change):
    token = issue(certification)
    credential = payload_of(token)
    change(credential)

    result = verify(with_payload(token, credential))

    assert result.status == CredentialStatus.TAMPERED
    assert result.credential is None


def test_the_same_claims_re_encoded_still_need_the_exact_signed_bytes(certification):
    token = issue(certification)
    # Same JSON content, serialized differently: the signature covers the bytes.
    assert verify(with_payload(token, payload_of(token))).status == CredentialStatus.TAMPERED


def test_signed_by_another_key_is_tampered(certification):
    credential = payload_of(issue(certification))
    stranger = RSAKey.generate_key(2048, parameters={"kid": "stranger"})
    impostor = RSAKey.generate_key(2048, parameters={"kid": platform_key().kid})

    assert verify(signed_by(stranger, credential)).status == CredentialStatus.TAMPERED
    # Claiming the platform key's id does not help either.
    assert verify(signed_by(impostor, credential)).status == CredentialStatus.TAMPERED


def test_alg_none_and_garbage_are_tampered(certification):
    credential = payload_of(issue(certification))
    unsigned = {"alg": "none", "typ": "vc+jwt", "cty": "vc"}
    alg_none = f"{b64(json.dumps(unsigned).encode())}.{b64(json.dumps(credential).encode())}."

    for token in [alg_none, "garbage", "a.b.c", "", "x" * 20_000, issue(certification)[:-5]]:
        assert verify(token).status == CredentialStatus.TAMPERED, token[:40]


def test_a_wrong_header_type_is_tampered(certification):
    credential = payload_of(issue(certification))
    assert verify(signed_by(platform_key(), credential, typ="JWT")).status == "tampered"
    assert verify(signed_by(platform_key(), credential, typ="at+jwt")).status == "tampered"


@pytest.mark.parametrize(
    "field", ["@context", "type", "issuer", "credentialSubject", "credentialStatus", "validUntil"]
)
def test_a_missing_field_is_tampered_even_when_signed_by_the_platform(certification, field):
    credential = payload_of(issue(certification))
    del credential[field]
    assert verify(signed_by(platform_key(), credential)).status == CredentialStatus.TAMPERED


def test_another_issuer_is_tampered_even_when_signed_by_the_platform(certification):
    credential = payload_of(issue(certification))
    credential["issuer"]["id"] = "https://elsewhere.example"
    assert verify(signed_by(platform_key(), credential)).status == CredentialStatus.TAMPERED


def test_a_json_array_payload_is_tampered(certification):
    token = signed_by(platform_key(), [1, 2, 3])  # type: ignore[arg-type]
    assert verify(token).status == CredentialStatus.TAMPERED


# --- expired and revoked --------------------------------------------------------------------


def test_expired_once_valid_until_has_passed(certification, clock):
    token = issue(certification)
    clock.advance(MAX_VALIDITY - timedelta(seconds=1))
    assert verify(token).status == CredentialStatus.VALID

    clock.advance(timedelta(seconds=1))
    result = verify(token)

    assert result.status == CredentialStatus.EXPIRED
    assert result.credential == payload_of(token)  # the signature is still good
    assert result.valid_until == now().astimezone(UTC).replace(microsecond=0)


def test_revoked_once_the_certification_is_revoked(certification):
    token = issue(certification)
    certification.revoked_at = now()
    certification.revoked_reason = "Retirée par l'organisme"
    db.session.commit()

    result = verify(token)

    assert result.status == CredentialStatus.REVOKED
    assert result.certification_id == certification.id


def test_revoked_wins_over_expired(certification, clock):
    token = issue(certification)
    certification.revoked_at = now()
    db.session.commit()
    clock.advance(MAX_VALIDITY + timedelta(days=1))

    assert verify(token).status == CredentialStatus.REVOKED


def test_the_revocation_check_is_the_callers(certification):
    token = issue(certification)
    asked: list[uuid.UUID] = []

    def revoked(certification_id: uuid.UUID) -> bool:
        asked.append(certification_id)
        return True

    assert verify_credential(token, is_revoked=revoked).status == CredentialStatus.REVOKED
    assert asked == [certification.id]


def test_the_revocation_check_is_not_asked_about_tampered_tokens(certification):
    token = issue(certification)
    credential = payload_of(token)
    credential["credentialSubject"]["certification_id"] = str(uuid.uuid4())

    def revoked(_certification_id: uuid.UUID) -> bool:
        raise AssertionError("asked about an unsigned claim")

    assert verify_credential(with_payload(token, credential), is_revoked=revoked).status == (
        CredentialStatus.TAMPERED
    )


def test_a_deleted_certification_counts_as_revoked(app):
    assert certification_revoked(uuid.uuid4()) is True


# --- wording ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "french", "english"),
    [
        ("valid", "Attestation valide", "Valid credential"),
        ("expired", "Attestation expirée", "Expired credential"),
        ("revoked", "Attestation révoquée", "Revoked credential"),
        ("tampered", "Attestation non reconnue", "Unrecognised credential"),
    ],
)
def test_describe_in_french_and_english(status, french, english):
    assert describe(CredentialStatus(status), "fr").startswith(french)
    assert describe(status, "fr_FR").startswith(french)
    assert describe(status, "en").startswith(english)
    assert describe(status, "en-GB").startswith(english)


def test_describe_refuses_other_languages():
    with pytest.raises(ValueError):
        describe(CredentialStatus.VALID, "de")
