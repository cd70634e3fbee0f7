"""Issued credentials: each signed credential the platform hands out, recorded so that
the status URL it names (`credentialStatus.id`, /credentials/<id>/status) answers.

Only the credential's id, its certification and its validity period are kept, never the
token: the status is computed from the certification at the time of asking, like
`core.credentials.signed.verify_credential` does. A certification deleted with its
profile leaves the record behind with no certification: its credentials read revoked.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from joserfc import jws
from sqlalchemy import ForeignKey, select
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.credentials.models import Certification, MediatorProfile, VerificationStatus
from core.credentials.signed import (
    STATUS_TYPE,
    CannotIssue,
    CredentialStatus,
    certification_revoked,
    instant,
    issue_credential,
    parse_instant,
)
from core.db import Base, db
from core.errors import DomainError


class IssuedCredential(Base):
    """One credential signed by the platform; its id is the credential's `urn:uuid`."""

    __tablename__ = "issued_credentials"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    certification_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("certifications.id", ondelete="SET NULL"), index=True
    )
    issued_at: Mapped[datetime]
    valid_until: Mapped[datetime]


class NotYourCertification(DomainError):
    """Missing and someone else's look the same."""

    status = 404
    code = "not-found"


class CannotExport(DomainError):
    """The certification has nothing valid to attest; `message` says why, translated."""

    status = 409
    code = "cannot-issue-credential"


@dataclass(frozen=True)
class Export:
    token: str  # the compact JWS
    scheme_code: str
    credential_id: uuid.UUID


def export_credential(user_id: uuid.UUID, certification_id: uuid.UUID) -> Export:
    """Sign a credential of the user's own certification and record it (the caller
    commits, before handing out the token: its status URL must answer at once).
    Raises NotYourCertification (404) or CannotExport (409)."""
    certification = db.session.scalar(
        select(Certification)
        .join(MediatorProfile, Certification.profile_id == MediatorProfile.id)
        .where(Certification.id == certification_id, MediatorProfile.user_id == user_id)
    )
    if certification is None:
        raise NotYourCertification(str(_l("This certification does not exist.")))
    try:
        token = issue_credential(certification, certification.profile, certification.scheme)
    except CannotIssue as exc:
        raise CannotExport(refusal(certification)) from exc
    issued = record_issue(token, certification)
    return Export(token, certification.scheme.code, issued.id)


def refusal(certification: Certification) -> str:
    """Why no credential can be issued for the certification, in the user's language."""
    if certification.revoked_at is not None:
        return str(_l("This certification has been revoked: no credential can attest it."))
    if certification.verification_status == VerificationStatus.REJECTED:
        return str(
            _l("This certification was rejected on verification: no credential can attest it.")
        )
    return str(_l("This certification has expired: record its renewal to export a new credential."))


def record_issue(token: str, certification: Certification) -> IssuedCredential:
    """Record a credential just signed by `issue_credential` (read from its payload,
    which is ours: no need to check the signature we have just made)."""
    claims = json.loads(jws.extract_compact(token.encode()).payload)
    issued = IssuedCredential(
        id=uuid.UUID(claims["id"].removeprefix("urn:uuid:")),
        certification_id=certification.id,
        issued_at=parse_instant(claims["validFrom"]),
        valid_until=parse_instant(claims["validUntil"]),
    )
    db.session.add(issued)
    return issued


def credential_status(credential_id: uuid.UUID) -> dict[str, Any] | None:
    """What the status URL of an issued credential answers, or None for an unknown id."""
    issued = db.session.get(IssuedCredential, credential_id)
    if issued is None:
        return None
    if issued.certification_id is None or certification_revoked(issued.certification_id):
        status = CredentialStatus.REVOKED
    elif now() >= issued.valid_until:
        status = CredentialStatus.EXPIRED
    else:
        status = CredentialStatus.VALID
    return {
        "id": f"urn:uuid:{issued.id}",
        "type": STATUS_TYPE,
        "status": str(status),
        "validFrom": instant(issued.issued_at),
        "validUntil": instant(issued.valid_until),
    }
