"""Certifications: what a mediator holds under a scheme of the catalogue.

Like training records they belong to the mediator's profile and every affiliated
center sees them; an admin of one of those centers verifies them. Editing one sends it
back to pending verification. Revoking keeps the row (and its history) but ends every
credential exported from it: `core.credentials.signed` answers "revoked".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.clock import now
from core.credentials.models import (
    Certification,
    CertificationScheme,
    CertificationStage,
    MediatorProfile,
)
from core.credentials.records import RecordInvalid, attach_evidence, reset_verification
from core.db import db
from core.errors import DomainError
from core.files.checks import CheckedFile

MAX_NUMBER = 64
MAX_REASON = 500


class CertificationInvalid(RecordInvalid):
    code = "invalid-certification"


class CertificationNotFound(DomainError):
    status = 404
    code = "not-found"


@dataclass(frozen=True)
class CertificationInput:
    scheme_code: str
    issued_on: date
    number: str = ""
    expires_on: date | None = None
    stage: str | None = None


def active_schemes() -> list[CertificationScheme]:
    """The schemes a mediator may choose from, by name."""
    return list(
        db.session.scalars(
            select(CertificationScheme)
            .where(CertificationScheme.active.is_(True))
            .order_by(CertificationScheme.name)
        )
    )


def _checked(data: CertificationInput, current: CertificationScheme | None) -> dict[str, object]:
    errors: dict[str, object] = {}
    scheme = db.session.scalar(
        select(CertificationScheme).where(CertificationScheme.code == data.scheme_code)
    )
    # A scheme retired from the catalogue stays valid for the certifications that use it.
    if scheme is None or not (scheme.active or scheme is current):
        errors["scheme_code"] = _l("Choose a certification from the list.")
    number = data.number.strip()
    if len(number) > MAX_NUMBER:
        errors["number"] = _l("The number takes at most %(max)d characters.", max=MAX_NUMBER)
    if data.issued_on > now().date():
        errors["issued_on"] = _l("A certification cannot be issued in the future.")
    if data.expires_on is not None and data.expires_on < data.issued_on:
        errors["expires_on"] = _l("The expiry date cannot be before the issue date.")
    stages = {s.value for s in CertificationStage}
    if data.stage not in (None, "", *stages):
        errors["stage"] = _l("Choose a stage from the list.")
    if errors:
        raise CertificationInvalid(errors)
    return {
        "scheme_id": scheme.id,
        "scheme": scheme,
        "number": number or None,
        "issued_on": data.issued_on,
        "expires_on": data.expires_on,
        "stage": CertificationStage(data.stage) if data.stage else None,
    }


def add_certification(
    profile: MediatorProfile, data: CertificationInput, evidence: CheckedFile | None = None
) -> Certification:
    """A new certification of the profile, pending verification (the caller commits)."""
    certification = Certification(profile_id=profile.id, **_checked(data, None))
    if evidence is not None:
        attach_evidence(certification, evidence)
    db.session.add(certification)
    return certification


def update_certification(
    certification: Certification, data: CertificationInput, evidence: CheckedFile | None = None
) -> str | None:
    """Change a certification; it goes back to pending verification. Returns the key of
    the replaced evidence, to delete once the change is committed."""
    if certification.is_revoked:
        raise CertificationInvalid({"scheme_code": _l("A revoked certification is kept as is.")})
    for name, value in _checked(data, certification.scheme).items():
        setattr(certification, name, value)
    replaced = attach_evidence(certification, evidence) if evidence is not None else None
    reset_verification(certification)
    return replaced


def revoke_certification(certification: Certification, reason: str) -> None:
    """Revoke for good, with a reason: its credentials answer "revoked" from now on."""
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_REASON:
        raise CertificationInvalid(
            {"reason": _l("Say why, in at most %(max)d characters.", max=MAX_REASON)}
        )
    if certification.is_revoked:
        return
    certification.revoked_at = now()
    certification.revoked_reason = reason


def certifications_of(profile_id: uuid.UUID) -> list[Certification]:
    return list(
        db.session.scalars(
            select(Certification)
            .where(Certification.profile_id == profile_id)
            .order_by(Certification.issued_on.desc(), Certification.id)
        )
    )


def certification_of(profile_id: uuid.UUID, certification_id: uuid.UUID) -> Certification:
    """The profile's certification; CertificationNotFound for another's or a missing one."""
    found = db.session.get(Certification, certification_id)
    if found is None or found.profile_id != profile_id:
        raise CertificationNotFound(str(_l("This certification does not exist.")))
    return found
