"""Invitations to a partner organisation: emailed, single-use links to join it with a
role, mirroring the centers' (tenants.services.invitations), whose errors, mail and
steps common to every invitation (a link's states, the invitee's account, a fresh link)
they reuse. Every lookup by id filters on the acting partner's id: another partner's
invitation is missing (404)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit
from core.accounts import services as accounts
from core.accounts.models import User
from core.accounts.tokens import hash_token
from core.clock import now
from core.db import db
from core.mail import send_template
from referrals.models import Partner, PartnerMembership, PartnerRole, PartnerStatus
from referrals.partner_models import PartnerInvitation
from referrals.services import SLUG_MAX
from tenants.services.invitations import (
    AccountExists,
    InvitationUnavailable,
    WrongAccount,
    check_pending,
    check_usable,
    commit_acceptance,
    invitee,
    new_link,
)
from tenants.services.rules import FieldError, RuleError

__all__ = [
    "AccountExists",
    "InvitationUnavailable",
    "PartnerInvitationView",
    "WrongAccount",
    "accept_invitation",
    "invite",
    "open_invitation",
    "pending_invitations",
    "resend_invitation",
    "revoke_invitation",
]

# A partner has no time zone of its own: dates in its mails are Paris time, like the
# referral portal's (referrals.portal.DEFAULT_ZONE).
MAIL_ZONE = "Europe/Paris"


def pending_invitations(partner_id: uuid.UUID) -> list[PartnerInvitation]:
    query = (
        select(PartnerInvitation)
        .where(
            PartnerInvitation.partner_id == partner_id,
            PartnerInvitation.accepted_at.is_(None),
            PartnerInvitation.revoked_at.is_(None),
        )
        .order_by(PartnerInvitation.created_at.desc())
    )
    return list(db.session.scalars(query))


def _record(
    action: str, invitation: PartnerInvitation, user_id: uuid.UUID | None = None, **extra: str
) -> None:
    details = {
        "partner_id": str(invitation.partner_id),
        "invitation_id": str(invitation.id),
        "email": invitation.email,
        **extra,
    }
    audit.record_security(action, user_id=user_id, details=details)


def _mail_invitation(
    partner: Partner, invitation: PartnerInvitation, token: str, inviter: User
) -> None:
    # The invitee's language when they have an account, else the inviter's.
    invitee = accounts.find_user_by_email(invitation.email)
    locale = invitee.locale if invitee is not None else inviter.locale
    send_template(
        invitation.email,
        "invitation",  # the centers' mail: "%(inviter)s invites you to join %(center)s..."
        locale,
        center=partner.name,
        role=invitation.role.value,
        inviter=inviter.name,
        link=accounts.public_url("partners.join", partner_slug=partner.slug, token=token),
        expires=format_datetime(
            invitation.expires_at, "long", tzinfo=ZoneInfo(MAIL_ZONE), locale=locale
        ),
    )


def invite(partner: Partner, actor: User, email: str, role: PartnerRole) -> PartnerInvitation:
    """Invite `email` to the organisation with `role`; mails a single-use link."""
    email = accounts.normalize_email(email)
    members = select(PartnerMembership).where(PartnerMembership.partner_id == partner.id)
    actor_role = db.session.scalar(
        members.with_only_columns(PartnerMembership.role).where(
            PartnerMembership.user_id == actor.id
        )
    )
    if actor_role != PartnerRole.ADMIN:
        raise RuleError(_l("Only administrators invite members."))
    existing = accounts.find_user_by_email(email)
    if existing is not None and db.session.scalar(
        members.where(PartnerMembership.user_id == existing.id)
    ):
        raise FieldError("email", _l("This person is already a member of the organisation."))
    if any(i.email == email for i in pending_invitations(partner.id)):
        raise FieldError(
            "email", _l("An invitation is already pending for this address: resend it below.")
        )
    invitation = PartnerInvitation(
        partner_id=partner.id, email=email, role=role, invited_by_id=actor.id, created_at=now()
    )
    token = new_link(invitation)
    db.session.add(invitation)
    db.session.flush()
    _record("partner_invitation.created", invitation, role=role.value)
    _mail_invitation(partner, invitation, token, actor)
    db.session.commit()
    return invitation


def _pending_invitation(partner_id: uuid.UUID, invitation_id: uuid.UUID) -> PartnerInvitation:
    return check_pending(
        db.session.scalar(
            select(PartnerInvitation).where(
                PartnerInvitation.id == invitation_id, PartnerInvitation.partner_id == partner_id
            )
        )
    )


def revoke_invitation(partner_id: uuid.UUID, invitation_id: uuid.UUID) -> PartnerInvitation:
    invitation = _pending_invitation(partner_id, invitation_id)
    invitation.revoked_at = now()
    _record("partner_invitation.revoked", invitation)
    db.session.commit()
    return invitation


def resend_invitation(partner: Partner, actor: User, invitation_id: uuid.UUID) -> PartnerInvitation:
    """Mail a fresh link (the old one stops working) valid for a full period again."""
    invitation = _pending_invitation(partner.id, invitation_id)
    token = new_link(invitation)
    _record("partner_invitation.resent", invitation)
    _mail_invitation(partner, invitation, token, actor)
    db.session.commit()
    return invitation


@dataclass(frozen=True)
class PartnerInvitationView:
    """What the join page may know about an invitation found by its token."""

    partner: Partner
    invitation: PartnerInvitation
    account_exists: bool


def open_invitation(slug: str, token: str) -> PartnerInvitationView:
    """The usable invitation behind a join link, or InvitationUnavailable."""
    if not slug or len(slug) > SLUG_MAX or not token or len(token) > 100:
        raise InvitationUnavailable("unknown")
    partner = db.session.scalar(
        select(Partner).where(Partner.slug == slug, Partner.status == PartnerStatus.ACTIVE)
    )
    invitation = (
        db.session.scalar(
            select(PartnerInvitation).where(
                PartnerInvitation.partner_id == partner.id,
                PartnerInvitation.token_hash == hash_token(token),
            )
        )
        if partner is not None
        else None
    )
    check_usable(invitation)
    exists = accounts.find_user_by_email(invitation.email) is not None
    return PartnerInvitationView(partner, invitation, exists)


def accept_invitation(
    slug: str, token: str, user: User | None = None, *, new_account: dict[str, str] | None = None
) -> tuple[User, Partner]:
    """Use an invitation once: by the signed-in `user` whose email it was sent to, or by
    creating the invitee's account from `new_account` (name, password, locale)."""
    found = open_invitation(slug, token)
    partner, invitation = found.partner, found.invitation
    user = invitee(found, user, new_account)
    already = db.session.scalar(
        select(PartnerMembership).where(
            PartnerMembership.partner_id == partner.id, PartnerMembership.user_id == user.id
        )
    )
    if already is None:
        db.session.add(
            PartnerMembership(partner_id=partner.id, user_id=user.id, role=invitation.role)
        )
    invitation.accepted_at, invitation.accepted_by_id = now(), user.id
    _record("partner_invitation.accepted", invitation, role=invitation.role.value, user_id=user.id)
    commit_acceptance()
    return user, partner
