"""Invitations: emailed, single-use links to join a center with a role.

The steps that do not depend on who is joined (a link's states, the invitee's account,
a fresh link) are public: a partner organisation's invitations share them
(referrals.partner_invitations)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit, tenancy
from core.accounts import services as accounts
from core.accounts.models import User
from core.accounts.tokens import hash_token, new_token
from core.clock import now
from core.db import db
from core.errors import DomainError
from core.mail import send_template
from tenants.models import MANAGER_ROLES, Invitation, Membership, Role, Tenant
from tenants.services.centers import find_live_center
from tenants.services.rules import FieldError, NotFound, RuleError

# An Invitation, or a row with the same columns (a partner's invitation).
AnyInvitation = TypeVar("AnyInvitation")


def pending_invitations() -> list[Invitation]:
    query = (
        select(Invitation)
        .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc())
    )
    return list(db.session.scalars(query))


class WrongAccount(RuleError):
    """The signed-in user is not the person the invitation was sent to."""


class AccountExists(RuleError):
    """The invitee has an account: they sign in to accept."""


class InvitationUnavailable(DomainError):
    """An invitation link that cannot be used: unknown (404) or used/expired/revoked (410)."""

    code = "invitation-unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status=404 if reason == "unknown" else 410)
        self.reason = reason


def new_link(invitation: Any) -> str:
    """Give `invitation` a fresh single-use token, valid for a full period from now (any
    older link stops working): the token is for the mail, only its hash is stored."""
    token, invitation.token_hash = new_token()
    invitation.expires_at = now() + current_app.config["INVITATION_TTL"]
    return token


def check_pending(invitation: AnyInvitation | None) -> AnyInvitation:
    """The invitation a revocation or a resend acts on: found, and neither used nor revoked."""
    if invitation is None:
        raise NotFound(_l("This invitation does not exist."))
    if not invitation.is_pending:
        raise RuleError(_l("This invitation was already accepted or revoked."))
    return invitation


def check_usable(invitation: Any) -> None:
    """Refuse a join link whose invitation is unknown, used, revoked or expired."""
    if invitation is None:
        raise InvitationUnavailable("unknown")
    if invitation.accepted_at is not None:
        raise InvitationUnavailable("used")
    if invitation.revoked_at is not None:
        raise InvitationUnavailable("revoked")
    if invitation.expires_at <= now():
        raise InvitationUnavailable("expired")


def invitee(found: Any, user: User | None, new_account: dict[str, str] | None) -> User:
    """Who accepts the invitation `found` (an open_invitation answer): the signed-in `user`
    whose email it was sent to, or the invitee's account created from `new_account`."""
    invitation = found.invitation
    if user is None:
        if found.account_exists or not new_account:
            raise AccountExists(_l("Please sign in to accept this invitation."))
        user = accounts.create_user(
            invitation.email, new_account["name"], new_account["password"], new_account["locale"]
        )
        # Following the emailed link proves the address.
        user.email_verified_at = now()
    elif accounts.normalize_email(user.email) != invitation.email:
        raise WrongAccount(_l("This invitation was sent to another email address."))
    return user


def commit_acceptance() -> None:
    """Commit an invitation's use; when the same link is used twice at once, the other
    request won and this one finds the invitation used."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvitationUnavailable("used") from None


def _mail_invitation(tenant: Tenant, invitation: Invitation, token: str, inviter: str) -> None:
    send_template(
        invitation.email,
        "invitation",
        tenant.locale,
        center=tenant.legal_name,
        role=invitation.role.value,
        inviter=inviter,
        link=accounts.public_url("tenants.join", slug=tenant.slug, token=token),
        # Dates in the mail are the center's: its time zone and language.
        expires=format_datetime(
            invitation.expires_at, "long", tzinfo=ZoneInfo(tenant.timezone), locale=tenant.locale
        ),
    )


def invite(tenant: Tenant, actor: User, email: str, role: Role) -> Invitation:
    """Invite `email` to the center with `role`; mails a single-use link."""
    email = accounts.normalize_email(email)
    actor_role = db.session.scalar(select(Membership.role).where(Membership.user_id == actor.id))
    if actor_role not in MANAGER_ROLES:
        raise RuleError(_l("Only owners and administrators invite members."))
    if role == Role.OWNER and actor_role != Role.OWNER:
        raise FieldError("role", _l("Only an owner can grant or remove the owner role."))
    existing = accounts.find_user_by_email(email)
    if existing is not None and db.session.scalar(
        select(Membership.id).where(Membership.user_id == existing.id)
    ):
        raise FieldError("email", _l("This person is already a member of the center."))
    if any(i.email == email for i in pending_invitations()):
        raise FieldError(
            "email", _l("An invitation is already pending for this address: resend it below.")
        )
    invitation = Invitation(email=email, role=role, invited_by_id=actor.id, created_at=now())
    token = new_link(invitation)
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "invitation.created",
        object_type="invitation",
        object_id=invitation.id,
        details={"email": email, "role": role.value},
    )
    _mail_invitation(tenant, invitation, token, actor.name)
    db.session.commit()
    return invitation


def revoke_invitation(invitation_id: uuid.UUID) -> Invitation:
    invitation = check_pending(db.session.get(Invitation, invitation_id))
    invitation.revoked_at = now()
    audit.record(
        "invitation.revoked",
        object_type="invitation",
        object_id=invitation.id,
        details={"email": invitation.email},
    )
    db.session.commit()
    return invitation


def resend_invitation(tenant: Tenant, actor: User, invitation_id: uuid.UUID) -> Invitation:
    """Mail a fresh link (the old one stops working) valid for a full period again."""
    invitation = check_pending(db.session.get(Invitation, invitation_id))
    token = new_link(invitation)
    audit.record(
        "invitation.resent",
        object_type="invitation",
        object_id=invitation.id,
        details={"email": invitation.email},
    )
    _mail_invitation(tenant, invitation, token, actor.name)
    db.session.commit()
    return invitation


@dataclass(frozen=True)
class InvitationView:
    """What the join page may know about an invitation found by its token."""

    tenant: Tenant
    invitation: Invitation
    account_exists: bool


def open_invitation(slug: str, token: str) -> InvitationView:
    """The usable invitation behind a join link, or InvitationUnavailable."""
    tenant = find_live_center(slug)
    if tenant is None or not token or len(token) > 100:
        raise InvitationUnavailable("unknown")
    with tenancy.tenant_scope(tenant.id):
        invitation = db.session.scalar(
            select(Invitation).where(Invitation.token_hash == hash_token(token))
        )
    check_usable(invitation)
    exists = accounts.find_user_by_email(invitation.email) is not None
    return InvitationView(tenant, invitation, exists)


def accept_invitation(
    slug: str, token: str, user: User | None = None, *, new_account: dict[str, str] | None = None
) -> tuple[User, Tenant]:
    """Use an invitation once: by the signed-in `user` whose email it was sent to, or by
    creating the invitee's account from `new_account` (name, password, locale)."""
    found = open_invitation(slug, token)
    tenant, invitation = found.tenant, found.invitation
    user = invitee(found, user, new_account)
    with tenancy.tenant_scope(tenant.id):
        invitation = db.session.get(Invitation, invitation.id)
        already = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        if already is None:
            db.session.add(Membership(user_id=user.id, role=invitation.role))
        invitation.accepted_at, invitation.accepted_by_id = now(), user.id
        audit.record(
            "invitation.accepted",
            object_type="invitation",
            object_id=invitation.id,
            details={"email": invitation.email, "role": invitation.role.value},
            actor_id=user.id,
        )
        commit_acceptance()
    return user, tenant
