"""A center's life: sign-up, activation, resolution of its workspace, its settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import audit, tenancy
from core.access import Workspace
from core.accounts import services as accounts
from core.accounts.models import User
from core.clock import now
from core.db import db
from tenants.models import MANAGER_ROLES, Membership, Role, Tenant, TenantStatus
from tenants.services.rules import (
    SLUG_MAX,
    FieldError,
    free_slug,
    normalize_registration,
    registration_problem,
    slug_problem,
    suggest_slug,
    time_zones,
)
from tenants.services.sandbox import SANDBOX_SLUG


@dataclass(frozen=True)
class SignUp:
    legal_name: str
    slug: str | None  # None: derived from the legal name
    registration_number: str
    city: str
    country: str
    locale: str
    timezone: str
    owner_name: str
    email: str
    password: str


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None


def available_slug(base: str) -> str:
    """`base`, or `base-2`, `base-3`... : the first free, non-reserved variant."""
    return free_slug(base, _slug_taken)


def _check_signup(data: SignUp, slug: str) -> None:
    problem = slug_problem(slug)
    if problem:
        raise FieldError("slug", problem)
    problem = registration_problem(data.registration_number, data.country)
    if problem:
        raise FieldError("registration_number", problem)
    if data.timezone not in time_zones():
        raise FieldError("timezone", _l("Choose a time zone from the list."))
    if _slug_taken(slug):
        raise FieldError(
            "slug",
            _l(
                "This address is already taken. What about %(suggestion)s?",
                suggestion=available_slug(slug),
            ),
        )
    if accounts.find_user_by_email(data.email) is not None:
        raise FieldError(
            "email",
            _l("An account already uses this email address. Please sign in first."),
        )


def sign_up(data: SignUp) -> Tenant:
    """Create a pending center, its owner and their membership, then mail the owner a
    verification link. The center goes live when the link is followed."""
    slug = data.slug or available_slug(suggest_slug(data.legal_name))
    _check_signup(data, slug)
    # A pre-generated id: on PostgreSQL, RLS lets a center be inserted only in its scope.
    tenant_id = uuid.uuid4()
    with tenancy.tenant_scope(tenant_id):
        try:
            tenant = Tenant(
                id=tenant_id,
                slug=slug,
                legal_name=data.legal_name.strip(),
                registration_number=normalize_registration(data.registration_number),
                city=data.city.strip(),
                country=data.country,
                locale=data.locale,
                timezone=data.timezone,
                status=TenantStatus.PENDING,
            )
            db.session.add(tenant)
            db.session.flush()
            user = accounts.create_user(data.email, data.owner_name, data.password, data.locale)
            db.session.add(Membership(user_id=user.id, role=Role.OWNER))
            audit.record(
                "center.created",
                object_type="center",
                object_id=tenant.id,
                details={"slug": slug, "legal_name": tenant.legal_name},
                actor_id=user.id,
            )
            # In the same transaction: the mail job is queued only if all of this commits.
            accounts.send_email_verification(user)
            db.session.commit()
        except IntegrityError:
            # Lost a race with a concurrent sign-up for the same slug or email.
            db.session.rollback()
            _check_signup(data, slug)
            raise
    return tenant


def activate_pending_centers(user: User) -> list[Tenant]:
    """Put live the pending centers `user` owns (their email is now verified).

    Called from the email-verified signal: it writes in the sender's transaction and
    leaves the commit to it, so verification and activation land together or not at all.
    """
    with tenancy.scoped(tenant_id=None, user_id=user.id):
        tenant_ids = list(
            db.session.scalars(
                select(Membership.tenant_id).where(
                    Membership.user_id == user.id, Membership.role == Role.OWNER
                )
            )
        )
    activated = []
    for tenant_id in tenant_ids:
        with tenancy.tenant_scope(tenant_id):
            tenant = db.session.get(Tenant, tenant_id)
            if tenant is None or tenant.status != TenantStatus.PENDING:
                continue
            tenant.status, tenant.activated_at = TenantStatus.ACTIVE, now()
            audit.record(
                "center.activated", object_type="center", object_id=tenant.id, actor_id=user.id
            )
            db.session.flush()  # RLS allows the write only inside the center's scope
            activated.append(tenant)
    return activated


# --- workspace resolution -----------------------------------------------------------


def find_live_center(slug: str) -> Tenant | None:
    if not slug or len(slug) > SLUG_MAX:
        return None
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    return tenant if tenant is not None and tenant.is_live else None


def find_live_center_by_id(tenant_id: uuid.UUID) -> Tenant | None:
    tenant = db.session.get(Tenant, tenant_id)
    return tenant if tenant is not None and tenant.is_live else None


def describe_center(tenant_id: uuid.UUID) -> dict[str, Any] | None:
    """A live center's public identity, for the API (an OAuth client's owner)."""
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None or not tenant.is_live:
        return None
    return {"slug": tenant.slug, "name": tenant.legal_name, "country": tenant.country}


def referral_centers() -> list[Tenant]:
    """The live centers that accept referrals, by name: those a partner may send a case to."""
    return list(
        db.session.scalars(
            select(Tenant)
            .where(
                Tenant.status == TenantStatus.ACTIVE,
                Tenant.accepts_referrals.is_(True),
                Tenant.slug != SANDBOX_SLUG,  # test clients' only
            )
            .order_by(func.lower(Tenant.legal_name), Tenant.id)
        )
    )


def _workspace(tenant: Tenant, membership: Membership, user: Any) -> Workspace:
    role = membership.role
    return Workspace(
        kind="tenant",
        id=tenant.id,
        slug=tenant.slug,
        name=tenant.legal_name,
        role=role.value,
        obj=tenant,
        needs_two_factor=bool(
            tenant.require_2fa_for_admins and role in MANAGER_ROLES and not user.totp_enabled
        ),
    )


def resolve_workspace(slug: str, user: Any) -> Workspace | None:
    """The user's workspace in the live center `slug`, read afresh on every request so
    a role change or removal applies at once; None (404) for anything else."""
    tenant = find_live_center(slug)
    if tenant is None:
        return None
    with tenancy.tenant_scope(tenant.id):
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    return _workspace(tenant, membership, user) if membership is not None else None


def list_workspaces(user: Any) -> list[Workspace]:
    """Every live center `user` is a member of (their own memberships, across tenants)."""
    with tenancy.scoped(tenant_id=None, user_id=user.id):
        memberships = db.session.scalars(select(Membership).where(Membership.user_id == user.id))
        return [_workspace(m.tenant, m, user) for m in memberships if m.tenant.is_live]


# --- center settings ----------------------------------------------------------------

SETTINGS_FIELDS = (
    "legal_name",
    "registration_number",
    "city",
    "country",
    "locale",
    "timezone",
    "require_2fa_for_admins",
)


def update_settings(tenant: Tenant, **values: Any) -> list[str]:
    """Change the center's settings; returns the names of the fields that changed."""
    values = {k: v for k, v in values.items() if k in SETTINGS_FIELDS}
    country = values.get("country", tenant.country)
    number = normalize_registration(values.get("registration_number", tenant.registration_number))
    problem = registration_problem(number, country)
    if problem:
        raise FieldError("registration_number", problem)
    if values.get("timezone", tenant.timezone) not in time_zones():
        raise FieldError("timezone", _l("Choose a time zone from the list."))
    values["registration_number"] = number
    changed = {}
    for name, value in values.items():
        if getattr(tenant, name) != value:
            changed[name] = {"from": getattr(tenant, name), "to": value}
            setattr(tenant, name, value)
    if changed:
        audit.record("center.updated", object_type="center", object_id=tenant.id, details=changed)
        db.session.commit()
    return list(changed)
