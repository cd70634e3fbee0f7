"""The mediator's professional file: global tables, shared by every center.

A `MediatorProfile` may exist before its mediator has an account: a center creates it
(`created_by_tenant_id`) and invites the mediator to claim it, which sets `user_id`.
Training records and certifications hang off the profile and follow the mediator from
center to center; an admin of an affiliated center verifies them, and
`verified_for_tenant_id` keeps which center vouched. Certification schemes are the
platform's catalogue; `core.credentials.rules` reads their `rules`.

The columns check what every backend can (ranges, date order: named CHECK constraints);
the length of free text (bios, reasons) and the vocabularies below are the schemas' job,
so a list can grow without a migration.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts.models import User
from core.db import Base, IdMixin, str_enum, utcnow

# --- controlled vocabularies ---------------------------------------------------------


class Specialty(enum.StrEnum):
    FAMILY = "family"
    CIVIL = "civil"
    COMMERCIAL = "commercial"
    LABOUR = "labour"
    CONSUMER = "consumer"
    NEIGHBOURHOOD = "neighbourhood"
    CONSTRUCTION = "construction"
    HEALTH = "health"
    INTELLECTUAL_PROPERTY = "intellectual_property"
    PUBLIC_SECTOR = "public_sector"
    INTERNATIONAL = "international"
    OTHER = "other"


class Mode(enum.StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


class RegistrationKind(enum.StrEnum):
    COURT_OF_APPEAL = "court_of_appeal"  # the list of mediators of a cour d'appel
    BAR = "bar"  # a barreau (mediators who are also lawyers)


class TrainingKind(enum.StrEnum):
    INITIAL_TRAINING = "initial_training"
    CONTINUING_EDUCATION = "continuing_education"
    SUPERVISION = "supervision"  # supervision / analyse de la pratique
    CONFERENCE = "conference"
    TEACHING = "teaching"
    MEDIATIONS_CONDUCTED = "mediations_conducted"


class VerificationStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class CertificationStage(enum.StrEnum):
    PROVISIONAL = "provisional"
    DEFINITIVE = "definitive"


SPECIALTIES: tuple[str, ...] = tuple(s.value for s in Specialty)
MODES: tuple[str, ...] = tuple(m.value for m in Mode)
REGISTRATION_KINDS: tuple[str, ...] = tuple(k.value for k in RegistrationKind)
TRAINING_KINDS: tuple[str, ...] = tuple(k.value for k in TrainingKind)

# Regions served are stored as "FR-<department>" (INSEE code: "FR-75", "FR-2A",
# "FR-971") or as a country's ISO 3166-1 alpha-2 code ("BE"); languages as ISO 639-1.
FRENCH_DEPARTMENTS: tuple[str, ...] = (
    *(f"{n:02d}" for n in range(1, 96) if n != 20),
    "2A",
    "2B",
    "971",
    "972",
    "973",
    "974",
    "976",
)


# --- shared columns of training records and certifications ----------------------------


class EvidenceMixin:
    """An uploaded proof (PDF, PNG or JPEG): stored under a server-generated key, never
    under the uploader's name, which is kept only to be shown back."""

    evidence_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_content_type: Mapped[str | None] = mapped_column(String(40))
    evidence_size: Mapped[int | None]
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))

    @property
    def has_evidence(self) -> bool:
        return self.evidence_key is not None


class VerificationMixin:
    """Checked by an admin of an affiliated center: verified, or rejected with a reason."""

    verification_status: Mapped[VerificationStatus] = mapped_column(
        str_enum(VerificationStatus, "verification_status"), default=VerificationStatus.PENDING
    )
    verification_reason: Mapped[str | None] = mapped_column(Text)
    verified_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    verified_at: Mapped[datetime | None]
    verified_for_tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL")
    )

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED


# --- tables ------------------------------------------------------------------------------


class MediatorProfile(IdMixin, Base):
    """One professional profile per mediator, whichever centers they work with."""

    __tablename__ = "mediator_profiles"
    __table_args__ = (
        CheckConstraint("rate_min_eur >= 0 AND rate_max_eur >= 0", name="rates_not_negative"),
        CheckConstraint("rate_min_eur <= rate_max_eur", name="rate_range"),
    )

    # Set when the mediator claims the profile; unique: one profile per person.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    display_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(120), default="")
    bio_fr: Mapped[str] = mapped_column(Text, default="")
    bio_en: Mapped[str] = mapped_column(Text, default="")
    photo_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    rate_min_eur: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    rate_max_eur: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    # [{"kind": "court_of_appeal" | "bar", "name": "Paris", "number": "..." (optional)}]
    registrations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The mediator's consent to a public listing, and when it was given (GDPR art. 7(1):
    # a consent must be demonstrable); a center's `published` flag alone is not enough.
    listed_publicly: Mapped[bool] = mapped_column(default=False)
    listed_publicly_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The center that created the profile before its mediator had an account.
    created_by_tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"), index=True
    )

    user: Mapped[User | None] = relationship()
    training_records: Mapped[list[TrainingRecord]] = relationship(
        back_populates="profile",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TrainingRecord.started_on.desc()",
    )
    certifications: Mapped[list[Certification]] = relationship(
        back_populates="profile",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Certification.issued_on.desc()",
    )

    @property
    def is_claimed(self) -> bool:
        return self.user_id is not None


class TrainingRecord(IdMixin, EvidenceMixin, VerificationMixin, Base):
    """A training, a supervision, a conference, teaching, or mediations conducted."""

    __tablename__ = "training_records"
    __table_args__ = (
        CheckConstraint("hours >= 0", name="hours_not_negative"),
        CheckConstraint("mediations IS NULL OR mediations >= 0", name="mediations_not_negative"),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates_in_order"),
    )

    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mediator_profiles.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TrainingKind] = mapped_column(str_enum(TrainingKind, "training_kind"))
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    # Only for `mediations_conducted`: how many mediations the record covers.
    mediations: Mapped[int | None]
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    profile: Mapped[MediatorProfile] = relationship(back_populates="training_records")


class CertificationScheme(IdMixin, Base):
    """A certification or accreditation the platform knows (catalogue, staff-managed).

    `rules` holds the scheme's requirements in the format of `core.credentials.rules`;
    `sources` lists the texts they come from, so that each rule can cite its source.
    """

    __tablename__ = "certification_schemes"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    issuing_body: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(8), default="FR")
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class Certification(IdMixin, EvidenceMixin, VerificationMixin, Base):
    """A certification a mediator holds under one scheme; revocable.

    A scheme in use is never deleted (no ON DELETE on `scheme_id`): it is deactivated.
    """

    __tablename__ = "certifications"
    __table_args__ = (
        CheckConstraint("expires_on IS NULL OR expires_on >= issued_on", name="dates_in_order"),
    )

    profile_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("mediator_profiles.id", ondelete="CASCADE"), index=True
    )
    scheme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("certification_schemes.id"), index=True)
    number: Mapped[str | None] = mapped_column(String(64))
    issued_on: Mapped[date]
    expires_on: Mapped[date | None]
    stage: Mapped[CertificationStage | None] = mapped_column(
        str_enum(CertificationStage, "certification_stage")
    )
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    profile: Mapped[MediatorProfile] = relationship(back_populates="certifications")
    scheme: Mapped[CertificationScheme] = relationship(lazy="joined", innerjoin=True)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
