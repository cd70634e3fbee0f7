"""A partner organisation's sign-up and activation, mirroring the centers'
(tenants.services.centers): the organisation waits, pending, until its administrator's
email address is verified, then goes live.

Partners are global (not tenants) and have no audit log of their own: their events go
to the security log (`audit.record_security`) with the partner's id in the details.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.accounts import services as accounts
from core.accounts.models import User
from core.db import db
from referrals.models import Partner, PartnerKind, PartnerMembership, PartnerRole, PartnerStatus
from tenants.services.rules import (
    FieldError,
    free_slug,
    luhn_ok,
    normalize_registration,
    registration_problem,
    suggest_slug,
)


@dataclass(frozen=True)
class Organisation:
    name: str
    kind: str
    registration_number: str  # may be empty: courts and foreign bodies often have none
    country: str


@dataclass(frozen=True)
class Account:
    """The administrator's new account, when they are not signed in."""

    name: str
    email: str
    password: str
    locale: str


def partner_registration_problem(number: str, country: str) -> Any:
    """Why `number` cannot be the organisation's registration number, or None. Optional;
    in France a SIREN (9 digits) or a SIRET (14 digits), each with its check digit."""
    number = normalize_registration(number)
    if not number:
        return None
    if country == "FR":
        if len(number) == 9 and number.isdigit():
            return (
                None if luhn_ok(number) else _l("This SIREN number is not valid; please check it.")
            )
        if len(number) == 14 and number.isdigit():
            return registration_problem(number, country)
        return _l("A French registration number is a SIREN (9 digits) or a SIRET (14 digits).")
    return registration_problem(number, country)  # elsewhere: up to 14 letters and digits


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Partner.id).where(Partner.slug == slug)) is not None


def _check(organisation: Organisation, account: Account | None) -> None:
    problem = partner_registration_problem(organisation.registration_number, organisation.country)
    if problem:
        raise FieldError("registration_number", problem)
    if account is not None and accounts.find_user_by_email(account.email) is not None:
        raise FieldError(
            "email",
            _l("An account already uses this email address. Please sign in first."),
        )


def sign_up(
    organisation: Organisation, account: Account | None = None, user: User | None = None
) -> Partner:
    """Create a partner organisation with its first administrator: the signed-in `user`,
    or a new account made from `account`. It is live at once for an administrator whose
    email is verified; otherwise it waits, pending, and they are mailed a verification
    link (it goes live when the link is followed: activate_pending_partners)."""
    if (user is None) == (account is None):
        raise ValueError("either a signed-in user or a new account")
    _check(organisation, account)
    # The organisation's web address (/p/<slug>/), derived from its name.
    slug = free_slug(suggest_slug(organisation.name, "partenaire"), _slug_taken)
    try:
        if user is None:
            user = accounts.create_user(
                account.email, account.name, account.password, account.locale
            )
        verified = user.email_verified_at is not None
        partner = Partner(
            id=uuid.uuid4(),
            slug=slug,
            name=organisation.name.strip(),
            kind=PartnerKind(organisation.kind),
            registration_number=normalize_registration(organisation.registration_number) or None,
            country=organisation.country,
            status=PartnerStatus.ACTIVE if verified else PartnerStatus.PENDING,
        )
        db.session.add(partner)
        db.session.flush()
        db.session.add(
            PartnerMembership(partner_id=partner.id, user_id=user.id, role=PartnerRole.ADMIN)
        )
        audit.record_security(
            "partner.created",
            user_id=user.id,
            details={"partner_id": str(partner.id), "slug": slug, "name": partner.name},
        )
        if verified:
            _record_activation(partner, user)
        else:
            # In the same transaction: the mail job is queued only if all of this commits.
            accounts.send_email_verification(user)
        db.session.commit()
    except IntegrityError:
        # Lost a race with a concurrent sign-up for the same email or address.
        db.session.rollback()
        _check(organisation, account)
        raise
    return partner


def _record_activation(partner: Partner, user: User) -> None:
    audit.record_security(
        "partner.activated", user_id=user.id, details={"partner_id": str(partner.id)}
    )


def activate_pending_partners(user: User) -> list[Partner]:
    """Put live the pending organisations `user` administers (their email is now
    verified). Called from the email-verified signal: it writes in the sender's
    transaction and leaves the commit to it, like the centers' activation."""
    pending = list(
        db.session.scalars(
            select(Partner)
            .join(PartnerMembership, PartnerMembership.partner_id == Partner.id)
            .where(
                PartnerMembership.user_id == user.id,
                PartnerMembership.role == PartnerRole.ADMIN,
                Partner.status == PartnerStatus.PENDING,
            )
        )
    )
    for partner in pending:
        partner.status = PartnerStatus.ACTIVE
        _record_activation(partner, user)
    db.session.flush()
    return pending
