"""A center adds a mediator by email; the mediator claims their profile by emailed link.

Two cases, one link. When the address belongs to someone who already has a mediator
profile, the center gets an `invited` affiliation to that profile and the person a link
to accept it. Otherwise the center creates an unclaimed profile (`created_by_tenant_id`)
and the link lets the person take ownership of it. Following the link, signed in with
that address (or creating the account there: following it proves the address), makes
the profile theirs, the affiliation `active`, and them a `mediator` member of the
center (unless they already belong to it). The center keeps its affiliation, its rate
and its notes; the profile, its records and its certifications become the mediator's.

The link is a signed, expiring token (the app's secret key with a salt of its own)
carrying the profile, the center and the address: nothing is stored for it. It works
once because what it changes can happen once: a claimed profile cannot be claimed
again, an accepted affiliation is no longer `invited`; a center that ends the
affiliation withdraws the link, and one that sends the link to a corrected address
retires the links to the previous one (the address of each sending is in the center's
audit log, the only place that keeps it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit, tenancy
from core.accounts import services as accounts
from core.accounts.models import User
from core.billing import entitlements, seats
from core.clock import now
from core.credentials import profiles
from core.credentials.models import MediatorProfile
from core.credentials.profiles import ProfileInput
from core.db import db
from core.errors import DomainError
from core.mail import send_template
from tenants.models import Affiliation, AffiliationStatus, Membership, Role, Tenant
from tenants.services.rules import FieldError, NotFound, RuleError

SALT = "tenants.mediator-claim"
CLAIM_TTL = timedelta(days=14)
MAX_TOKEN_LENGTH = 500  # ours are about 200 characters
# The audit actions that record a sending of the link, with its address.
LINK_ACTIONS = ("mediator.created", "mediator.invited", "mediator.claim_link_sent")


class ClaimUnavailable(DomainError):
    """A claim link that cannot be used: not ours (404), or expired, already used or
    withdrawn by the center (410)."""

    code = "claim-unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status=404 if reason == "unknown" else 410)
        self.reason = reason


class ClaimWrongAccount(RuleError):
    """Signed in with another address than the one the link was sent to."""

    status = 403


class HasOwnProfile(RuleError):
    """The person already has a mediator profile: one profile per person."""

    status = 409


class ClaimAccountExists(RuleError):
    """The address has an account: its owner signs in to claim."""


# --- the link ----------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def claim_token(profile_id: uuid.UUID, tenant_id: uuid.UUID, email: str) -> str:
    """A link's token, valid for CLAIM_TTL from now (the app's clock)."""
    expires = int((now() + CLAIM_TTL).timestamp())
    return _serializer().dumps([str(profile_id), str(tenant_id), email, expires])


@dataclass(frozen=True)
class ClaimToken:
    profile_id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    expires_at: datetime


def read_token(token: str) -> ClaimToken:
    """What a genuine token says (expired or not); ClaimUnavailable("unknown") if it
    was not made here or was altered."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise ClaimUnavailable("unknown")
    try:
        profile_id, tenant_id, email, expires = _serializer().loads(token)
        return ClaimToken(
            uuid.UUID(profile_id),
            uuid.UUID(tenant_id),
            str(email),
            datetime.fromtimestamp(int(expires), tz=now().tzinfo),
        )
    except (BadData, TypeError, ValueError, OverflowError):
        raise ClaimUnavailable("unknown") from None


def _mail_link(tenant: Tenant, profile: MediatorProfile, email: str, inviter_name: str) -> None:
    """The claim (or acceptance) link, in the center's language and time zone."""
    token = claim_token(profile.id, tenant.id, email)
    expires = now() + CLAIM_TTL
    send_template(
        email,
        "mediator_claim",
        tenant.locale,
        center=tenant.legal_name,
        inviter=inviter_name,
        name=profile.display_name,
        has_profile=profile.is_claimed,
        link=accounts.public_url("mediator_claims.claim", token=token),
        expires=format_datetime(
            expires, "long", tzinfo=ZoneInfo(tenant.timezone), locale=tenant.locale
        ),
    )


# --- the center's side -----------------------------------------------------------------


def _checked_email(email: str) -> str:
    email = accounts.normalize_email(email or "")
    local, at, domain = email.partition("@")
    if not (at and local and "." in domain and len(email) <= 254):
        raise FieldError("email", _l("Enter a valid email address."))
    return email


def create_mediator(
    tenant: Tenant, inviter_name: str, data: ProfileInput, email: str
) -> Affiliation:
    """Add a mediator to the current center (its tenant scope) by email, and mail them
    the link to claim their new profile or accept the center's invitation; commits.

    The address of someone with a profile: an `invited` affiliation to that profile
    (`data` is not used: the profile is theirs), or the same invitation mailed again,
    or an ended affiliation invited anew. Anyone else: a new, unclaimed profile made
    from `data`, and its affiliation. Raises FieldError("email") when the mediator
    already works with the center, ProfileInvalid when `data` breaks a profile rule.
    """
    email = _checked_email(email)
    owner = accounts.find_user_by_email(email)
    profile = profiles.profile_of_user(owner.id) if owner is not None else None
    if profile is None:
        entitlements.check_seat_available(tenant.id)  # before anything is written
        profile = profiles.create_profile(data, created_by_tenant_id=tenant.id)
        db.session.flush()
        affiliation = Affiliation(profile_id=profile.id, status=AffiliationStatus.INVITED)
        db.session.add(affiliation)
        action = "mediator.created"
    else:
        affiliation = db.session.scalar(
            select(Affiliation).where(Affiliation.profile_id == profile.id)
        )
        if affiliation is None:
            entitlements.check_seat_available(tenant.id)
            affiliation = Affiliation(profile_id=profile.id, status=AffiliationStatus.INVITED)
            db.session.add(affiliation)
        elif affiliation.status in (AffiliationStatus.ACTIVE, AffiliationStatus.SUSPENDED):
            raise FieldError("email", _l("This mediator already works with the center."))
        else:
            if affiliation.status == AffiliationStatus.ENDED:
                entitlements.check_seat_available(tenant.id)
            # Ended: invited anew (the row, its rate and notes, stay). Invited: sent again.
            affiliation.status, affiliation.published = AffiliationStatus.INVITED, False
        action = "mediator.invited"
    db.session.flush()
    audit.record(
        action,
        object_type="affiliation",
        object_id=affiliation.id,
        details={"name": profile.display_name, "email": email, "profile_id": str(profile.id)},
    )
    seats.seats_changed(tenant.id)  # the seat is billed once this commits
    db.session.commit()
    _mail_link(tenant, profile, email, inviter_name)
    return affiliation


def send_claim_link(tenant: Tenant, inviter_name: str, profile_id: uuid.UUID, email: str) -> str:
    """Mail a new claim link for an unclaimed profile of the center (to the same or a
    corrected address); commits. Returns the address. RuleError once it is claimed:
    the mediator then has their account."""
    email = _checked_email(email)
    affiliation = db.session.scalar(
        select(Affiliation).where(
            Affiliation.profile_id == profile_id, Affiliation.status != AffiliationStatus.ENDED
        )
    )
    if affiliation is None:
        raise NotFound(_l("This mediator does not work with the center."))
    profile = affiliation.profile
    if profile.is_claimed:
        raise RuleError(
            _l(
                "%(name)s already has an account: there is no profile to claim.",
                name=profile.display_name,
            )
        )
    audit.record(
        "mediator.claim_link_sent",
        object_type="affiliation",
        object_id=affiliation.id,
        details={"name": profile.display_name, "email": email, "profile_id": str(profile.id)},
    )
    db.session.commit()
    _mail_link(tenant, profile, email, inviter_name)
    return email


def _link_events(affiliation: Affiliation) -> list[audit.AuditEvent]:
    """The audit events of each sending of the affiliation's link, newest first."""
    query = (
        select(audit.AuditEvent)
        .where(
            audit.AuditEvent.object_type == "affiliation",
            audit.AuditEvent.object_id == str(affiliation.id),
            audit.AuditEvent.action.in_(LINK_ACTIONS),
        )
        .order_by(audit.AuditEvent.created_at.desc())
    )
    return list(db.session.scalars(query))


def _latest_addresses(affiliation: Affiliation) -> set[str]:
    """The address(es) of the latest sending of the affiliation's link (none known: empty)."""
    events = _link_events(affiliation)
    if not events:
        return set()
    latest = events[0].created_at
    return {str((e.details or {}).get("email")) for e in events if e.created_at == latest}


def last_claim_email(affiliation: Affiliation) -> str | None:
    """The address the center last sent the affiliation's link to (from its audit log:
    nothing else keeps it), to offer it again."""
    events = _link_events(affiliation)
    return (events[0].details or {}).get("email") if events else None


# --- the mediator's side ---------------------------------------------------------------


@dataclass(frozen=True)
class OpenClaim:
    """What the claim page may know about a usable link."""

    tenant: Tenant
    profile: MediatorProfile
    email: str
    expires_at: datetime
    account_exists: bool
    # The profile is already the person's: the link accepts the center's invitation.
    is_acceptance: bool


def open_claim(token: str) -> OpenClaim:
    """The usable claim behind a link, or ClaimUnavailable."""
    found = read_token(token)
    tenant = db.session.get(Tenant, found.tenant_id)
    profile = db.session.get(MediatorProfile, found.profile_id)
    if tenant is None or profile is None:
        raise ClaimUnavailable("withdrawn")
    if found.expires_at <= now():
        raise ClaimUnavailable("expired")
    with tenancy.tenant_scope(tenant.id):
        affiliation = _affiliation(profile.id)
        latest = _latest_addresses(affiliation) if affiliation is not None else set()
    if affiliation is None or affiliation.status == AffiliationStatus.ENDED:
        raise ClaimUnavailable("withdrawn")
    if latest and found.email not in latest:
        # The center sent the link again to another (corrected) address.
        raise ClaimUnavailable("replaced")
    if profile.is_claimed:
        owner = db.session.get(User, profile.user_id)
        mine = owner is not None and accounts.normalize_email(owner.email) == found.email
        if not mine or affiliation.status != AffiliationStatus.INVITED:
            raise ClaimUnavailable("used")
    exists = accounts.find_user_by_email(found.email) is not None
    return OpenClaim(tenant, profile, found.email, found.expires_at, exists, profile.is_claimed)


def _affiliation(profile_id: uuid.UUID) -> Affiliation | None:
    return db.session.scalar(select(Affiliation).where(Affiliation.profile_id == profile_id))


def claim(
    token: str, user: User | None = None, *, new_account: dict[str, str] | None = None
) -> tuple[User, Tenant]:
    """Use a claim link: as the signed-in `user` the link was sent to, or by creating
    their account from `new_account` (name, password, locale). The profile becomes
    theirs, the affiliation active, and they a mediator member of the center."""
    found = open_claim(token)
    tenant, profile = found.tenant, found.profile
    if user is None:
        if found.account_exists or not new_account:
            raise ClaimAccountExists(_l("Please sign in to claim your profile."))
        user = accounts.create_user(
            found.email, new_account["name"], new_account["password"], new_account["locale"]
        )
    elif accounts.normalize_email(user.email) != found.email:
        raise ClaimWrongAccount(_l("This link was sent to another email address."))
    if not found.is_acceptance:
        if profiles.profile_of_user(user.id) is not None:
            raise HasOwnProfile(
                _l(
                    "You already have a mediator profile. Ask %(center)s to add you again "
                    "with your email address: your own profile will then be linked.",
                    center=tenant.legal_name,
                )
            )
        profile.user_id = user.id
    if user.email_verified_at is None:
        user.email_verified_at = now()  # following the emailed link proves the address
    with tenancy.tenant_scope(tenant.id):
        affiliation = _affiliation(profile.id)
        assert affiliation is not None  # open_claim found it
        affiliation.status = AffiliationStatus.ACTIVE
        if db.session.scalar(select(Membership.id).where(Membership.user_id == user.id)) is None:
            db.session.add(Membership(user_id=user.id, role=Role.MEDIATOR))
        audit.record(
            "mediator.accepted" if found.is_acceptance else "mediator.claimed",
            object_type="affiliation",
            object_id=affiliation.id,
            details={"name": profile.display_name, "profile_id": str(profile.id)},
            actor_id=user.id,
        )
        try:
            db.session.commit()
        except IntegrityError:
            # The same profile claimed twice at once: the other request won.
            db.session.rollback()
            raise ClaimUnavailable("used") from None
    return user, tenant
