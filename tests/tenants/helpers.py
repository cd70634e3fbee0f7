"""Helpers for the center tests: sign in through the real /login, build centers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.audit import AuditEvent
from core.db import db
from core.tenancy import tenant_scope
from tenants.models import Membership, Role, Tenant
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, TenantFactory, UserFactory

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def refresh_csrf(client: Any) -> None:
    """Signing in starts a new session (and a new CSRF secret); read a fresh token from a
    page that has a form whether or not someone is signed in."""
    page = client.get("/signup").get_data(as_text=True)
    match = CSRF.search(page)
    assert match, "no CSRF token on the sign-up page"
    client._csrf = match.group(1)


def sign_in(client: Any, user: Any, password: str = DEFAULT_PASSWORD) -> None:
    client.forget_csrf()
    response = client.sign_in(user.email, password)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    refresh_csrf(client)


@dataclass
class Center:
    tenant: Tenant
    owner: Any
    admin: Any
    case_manager: Any

    @property
    def slug(self) -> str:
        return self.tenant.slug

    def url(self, path: str = "") -> str:
        return f"/c/{self.tenant.slug}/{path}"


def make_center(**tenant_fields: Any) -> Center:
    tenant = TenantFactory(**tenant_fields)
    people = {
        role: MembershipFactory(tenant=tenant, role=role, user=UserFactory(locale="en")).user
        for role in (Role.OWNER, Role.ADMIN, Role.CASE_MANAGER)
    }
    return Center(tenant, people[Role.OWNER], people[Role.ADMIN], people[Role.CASE_MANAGER])


def membership_of(tenant: Tenant, user: Any) -> Membership | None:
    db.session.expire_all()
    with tenant_scope(tenant.id):
        return db.session.scalar(select(Membership).where(Membership.user_id == user.id))


def audit_actions(tenant: Tenant) -> list[str]:
    """The center's audit actions, oldest first."""
    db.session.expire_all()
    with tenant_scope(tenant.id):
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.created_at)).all()
    return [row.action for row in rows]


def audit_rows(tenant: Tenant, action: str) -> list[AuditEvent]:
    db.session.expire_all()
    with tenant_scope(tenant.id):
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
