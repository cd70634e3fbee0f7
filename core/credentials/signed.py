"""Signed credentials: a certification's status as a W3C Verifiable Credential (data
model 2.0) in the Open Badges 3.0 shape, signed as a compact JWS with the platform key.

The JWS follows VC-JOSE-COSE: its payload *is* the credential JSON, its header says
`typ: vc+jwt, cty: vc`, and it is signed RS256 with the platform's current signing key
(core.oauth.keys), so anyone can check it against the public keys at
/.well-known/jwks.json alone.

A credential is valid until the earlier of the certification's expiry (the day after its
last valid day, 00:00 UTC) and its issuance plus a maximum (a year by default), so a
holder exports a fresh one now and then. It carries the certification's id
(`credentialSubject.certification_id`): revocation is read from the certification
itself, the credential's own id is only a name for it.

Verification answers one of four statuses, in this order: tampered (anything that is not
a credential we signed, intact: bad signature, unknown key, malformed token, wrong
header, missing or ill-typed field), revoked, expired, valid. Sentences for each are kept
here in French and English, as plain dictionaries like
core.credentials.compliance.wording, so no translation catalogue is needed.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from joserfc import jws
from joserfc.errors import JoseError
from sqlalchemy import select

from core.clock import now
from core.credentials.models import (
    Certification,
    CertificationScheme,
    MediatorProfile,
    VerificationStatus,
)
from core.db import db
from core.oauth.keys import ALGORITHM
from core.oauth.tokens import key_store

CONTEXTS = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)
TYPES = ("VerifiableCredential", "OpenBadgeCredential")
MEDIA_TYPE = "vc+jwt"  # the JWS `typ` header (VC-JOSE-COSE)
CONTENT_TYPE = "vc"  # the JWS `cty` header: the payload is the credential itself
STATUS_TYPE = "PlatformCertificationStatus"  # answered at PUBLIC_BASE_URL/credentials/<id>/status
MAX_VALIDITY = timedelta(days=365)
MAX_TOKEN_LENGTH = 16_384
CLOCK_SKEW = timedelta(seconds=30)  # validFrom in the future tolerated from another pod


class CredentialStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    TAMPERED = "tampered"


class CannotIssue(ValueError):
    """There is nothing valid to attest: the certification is revoked, expired or was
    rejected on verification (a pending one is attested, saying it is pending)."""


@dataclass(frozen=True)
class Verification:
    """The answer about a token. `credential` is the decoded credential whenever its
    signature is good (so for valid, expired and revoked ones); `reason` is for logs."""

    status: CredentialStatus
    credential: dict[str, Any] | None = None
    reason: str = ""

    @property
    def credential_id(self) -> uuid.UUID | None:
        return _urn_uuid(self.credential["id"]) if self.credential else None

    @property
    def certification_id(self) -> uuid.UUID | None:
        if not self.credential:
            return None
        return uuid.UUID(self.credential["credentialSubject"]["certification_id"])

    @property
    def valid_until(self) -> datetime | None:
        return parse_instant(self.credential["validUntil"]) if self.credential else None


# --- issuing -------------------------------------------------------------------------


def status_url(credential_id: uuid.UUID) -> str:
    return f"{_base_url()}/credentials/{credential_id}/status"


def issue_credential(
    certification: Certification,
    profile: MediatorProfile,
    scheme: CertificationScheme,
    *,
    valid_for: timedelta = MAX_VALIDITY,
) -> str:
    """A compact JWS of a new credential of `certification` (of `profile`, in `scheme`).
    Raises CannotIssue when the certification is revoked, expired or rejected."""
    if certification.profile_id != profile.id or certification.scheme_id != scheme.id:
        raise ValueError("the certification is not the profile's, or not of the scheme")
    if not timedelta(0) < valid_for <= MAX_VALIDITY:
        raise ValueError(f"valid_for must be positive and at most {MAX_VALIDITY}")
    issued_at = now().astimezone(UTC).replace(microsecond=0)
    if certification.revoked_at is not None:
        raise CannotIssue("the certification is revoked")
    if certification.verification_status == VerificationStatus.REJECTED:
        raise CannotIssue("the certification was rejected on verification")
    valid_until = issued_at + valid_for
    if certification.expires_on is not None:
        valid_until = min(valid_until, _end_of(certification.expires_on))
    if valid_until <= issued_at:
        raise CannotIssue("the certification has expired")

    credential_id = uuid.uuid4()
    base, platform = _base_url(), current_app.config["PLATFORM_NAME"]
    credential = {
        "@context": list(CONTEXTS),
        "id": f"urn:uuid:{credential_id}",
        "type": list(TYPES),
        "name": f"{scheme.name} — {profile.display_name}",
        "issuer": {"id": base, "type": ["Profile"], "name": platform},
        "validFrom": instant(issued_at),
        "validUntil": instant(valid_until),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": profile.display_name,
            "achievement": {
                "id": f"urn:uuid:{scheme.id}",
                "type": ["Achievement"],
                "name": scheme.name,
                "description": f"{scheme.name}, issued by {scheme.issuing_body} "
                f"({scheme.country}).",
                "criteria": {
                    "narrative": f"Holds the {scheme.name} certification issued by "
                    f"{scheme.issuing_body}, as recorded on {platform}."
                },
                "issuingBody": scheme.issuing_body,
                "country": scheme.country,
                "schemeCode": scheme.code,
            },
            "certification_id": str(certification.id),
            "number": certification.number,
            "issued_on": certification.issued_on.isoformat(),
            "expires_on": certification.expires_on.isoformat()
            if certification.expires_on
            else None,
            "stage": str(certification.stage) if certification.stage else None,
            "verification_status": str(certification.verification_status),
        },
        "credentialStatus": {"id": status_url(credential_id), "type": STATUS_TYPE},
    }
    key = key_store().signing_key(issued_at.timestamp())
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": MEDIA_TYPE, "cty": CONTENT_TYPE}
    payload = json.dumps(credential, ensure_ascii=False, separators=(",", ":"))
    return jws.serialize_compact(header, payload.encode(), key, algorithms=[ALGORITHM])


# --- verifying -----------------------------------------------------------------------


def certification_revoked(certification_id: uuid.UUID) -> bool:
    """Whether the certification behind a credential is revoked (or no longer exists)."""
    found = db.session.execute(
        select(Certification.revoked_at).where(Certification.id == certification_id)
    ).first()
    return found is None or found.revoked_at is not None


def verify_credential(
    token: str,
    *,
    is_revoked: Callable[[uuid.UUID], bool] = certification_revoked,
    at: datetime | None = None,
) -> Verification:
    """Check a compact JWS credential against the platform's published keys, then its
    revocation (`is_revoked(certification_id)`) and validity period, at `at` (now)."""
    moment = (at or now()).astimezone(UTC)
    token = token.strip() if isinstance(token, str) else ""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return _tampered("empty or oversized")
    try:
        keys = key_store().verifying_keys(moment.timestamp())
        signed = jws.deserialize_compact(token, keys, algorithms=[ALGORITHM])
        header = signed.headers()
        credential = json.loads(signed.payload)
    except (JoseError, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        # Bad signature, unknown or missing key id, alg none, malformed segments or JSON.
        return _tampered(f"undecodable: {type(exc).__name__}")
    if header.get("typ") != MEDIA_TYPE or header.get("cty") != CONTENT_TYPE:
        return _tampered("wrong typ or cty header")
    try:
        valid_from, valid_until, certification_id = _checked(credential)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        return _tampered(f"not a credential of ours: {exc}")
    if valid_from > moment + CLOCK_SKEW:
        return _tampered("valid from the future")
    if is_revoked(certification_id):
        return Verification(CredentialStatus.REVOKED, credential, "certification revoked")
    if moment >= valid_until:
        return Verification(CredentialStatus.EXPIRED, credential, "past validUntil")
    return Verification(CredentialStatus.VALID, credential)


def _checked(credential: Any) -> tuple[datetime, datetime, uuid.UUID]:
    """(validFrom, validUntil, certification id) of a well-formed credential of ours;
    raises KeyError, ValueError, TypeError or AttributeError otherwise."""
    if not isinstance(credential, dict):
        raise TypeError("payload is not an object")
    if list(credential["@context"][:2]) != list(CONTEXTS):
        raise ValueError("wrong @context")
    if not set(TYPES) <= set(credential["type"]):
        raise ValueError("wrong type")
    issuer = credential["issuer"]
    if issuer["id"] != _base_url() or "Profile" not in issuer["type"]:
        raise ValueError("wrong issuer")
    credential_id = _urn_uuid(credential["id"])
    subject = credential["credentialSubject"]
    if "AchievementSubject" not in subject["type"] or not subject["name"]:
        raise ValueError("wrong credentialSubject")
    achievement = subject["achievement"]
    if "Achievement" not in achievement["type"] or not achievement["name"]:
        raise ValueError("wrong achievement")
    status = credential["credentialStatus"]
    if status["id"] != status_url(credential_id) or status["type"] != STATUS_TYPE:
        raise ValueError("wrong credentialStatus")
    valid_from = parse_instant(credential["validFrom"])
    valid_until = parse_instant(credential["validUntil"])
    if valid_until <= valid_from:
        raise ValueError("empty validity period")
    return valid_from, valid_until, uuid.UUID(subject["certification_id"])


def _tampered(reason: str) -> Verification:
    return Verification(CredentialStatus.TAMPERED, None, reason)


# --- wording -------------------------------------------------------------------------

LANGUAGES = ("fr", "en")

SENTENCES: dict[str, dict[CredentialStatus, str]] = {
    "fr": {
        CredentialStatus.VALID: (
            "Attestation valide : elle a été délivrée par la plateforme, n'a pas été "
            "modifiée, et la certification n'a pas été retirée."
        ),
        CredentialStatus.EXPIRED: (
            "Attestation expirée : elle a bien été délivrée par la plateforme, mais sa "
            "période de validité est terminée. Demandez-en une nouvelle au médiateur."
        ),
        CredentialStatus.REVOKED: (
            "Attestation révoquée : la certification qu'elle atteste a été retirée."
        ),
        CredentialStatus.TAMPERED: (
            "Attestation non reconnue : elle a été modifiée, est incomplète ou n'a pas "
            "été signée par la plateforme. Ne vous y fiez pas."
        ),
    },
    "en": {
        CredentialStatus.VALID: (
            "Valid credential: it was issued by the platform, has not been altered, and "
            "the certification has not been withdrawn."
        ),
        CredentialStatus.EXPIRED: (
            "Expired credential: it was issued by the platform, but its validity period "
            "has ended. Ask the mediator for a new one."
        ),
        CredentialStatus.REVOKED: (
            "Revoked credential: the certification it attests has been withdrawn."
        ),
        CredentialStatus.TAMPERED: (
            "Unrecognised credential: it has been altered, is incomplete or was not "
            "signed by the platform. Do not rely on it."
        ),
    },
}


def describe(status: CredentialStatus | str, locale: str) -> str:
    """The status as a sentence in `locale`'s language: "fr" or "en" ("fr_FR" works)."""
    language = str(locale).replace("-", "_").split("_")[0].lower()
    if language not in LANGUAGES:
        raise ValueError(f"no wording for locale {locale!r} (have: {', '.join(LANGUAGES)})")
    return SENTENCES[language][CredentialStatus(status)]


# --- helpers ---------------------------------------------------------------------------


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _end_of(last_valid_day: date) -> datetime:
    """The instant a certification whose last valid day is `last_valid_day` expires."""
    return datetime.combine(last_valid_day + timedelta(days=1), time(), tzinfo=UTC)


def instant(moment: datetime) -> str:
    """A credential's timestamp: UTC, to the second ("2025-03-15T09:00:00Z")."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> datetime:
    if not isinstance(text, str) or not text.endswith("Z"):
        raise ValueError("not a UTC timestamp")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _urn_uuid(text: str) -> uuid.UUID:
    if not isinstance(text, str) or not text.startswith("urn:uuid:"):
        raise ValueError("not a urn:uuid")
    return uuid.UUID(text.removeprefix("urn:uuid:"))
