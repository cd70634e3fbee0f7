"""Members and roles, and what the dashboard and audit log read. Everything here runs
inside the request's tenant scope, so the ORM guard limits it to the current center."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from core import audit, tenancy
from core.accounts.models import User
from core.clock import now
from core.db import db
from tenants.models import MANAGER_ROLES, Membership, Role, Tenant
from tenants.services.invitations import pending_invitations
from tenants.services.rules import NotFound, RuleError


def members() -> list[Membership]:
    # The join that sorts by name also loads each member's user (no second join).
    query = (
        select(Membership)
        .join(Membership.user)
        .options(contains_eager(Membership.user))
        .order_by(func.lower(User.name))
    )
    return list(db.session.scalars(query))


def _lock_members(tenant_id: uuid.UUID) -> None:
    # Two owners demoting each other at once must not leave the center without one:
    # membership changes of one center are serialised on its row (no-op on SQLite,
    # whose writes are serialised anyway).
    db.session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())


def _member_pair(actor_id: uuid.UUID, membership_id: uuid.UUID) -> tuple[Membership, Membership]:
    tenant_id = tenancy.current_tenant_id()
    if tenant_id is None:
        raise tenancy.TenantScopeError("member changes need a tenant scope")
    _lock_members(tenant_id)
    target = db.session.get(Membership, membership_id)
    actor = db.session.scalar(select(Membership).where(Membership.user_id == actor_id))
    if target is None or actor is None:
        raise NotFound(_l("This member does not exist."))
    return actor, target


def _owner_count() -> int:
    query = select(func.count()).select_from(Membership).where(Membership.role == Role.OWNER)
    return db.session.scalar(query) or 0


def _check_can_touch(actor: Membership, target: Membership, new_role: Role | None) -> None:
    """The member rules; `new_role` None means removal."""
    # First, as the most useful answer to a sole owner trying to step down.
    if target.role == Role.OWNER and new_role != Role.OWNER and _owner_count() <= 1:
        raise RuleError(_l("A center keeps at least one owner."))
    if target.user_id == actor.user_id:
        raise RuleError(_l("You cannot change your own role or remove yourself."))
    if actor.role not in MANAGER_ROLES:
        raise RuleError(_l("Only owners and administrators manage members."))
    if Role.OWNER in (target.role, new_role) and actor.role != Role.OWNER:
        raise RuleError(_l("Only an owner can grant or remove the owner role."))


def change_role(actor_id: uuid.UUID, membership_id: uuid.UUID, new_role: Role) -> Membership:
    """Give a member another role; effective on their next request."""
    actor, target = _member_pair(actor_id, membership_id)
    if target.role == new_role:
        return target
    _check_can_touch(actor, target, new_role)
    previous, target.role = target.role, new_role
    audit.record(
        "member.role_changed",
        object_type="membership",
        object_id=target.id,
        details={"name": target.user.name, "from": previous.value, "to": new_role.value},
    )
    db.session.commit()
    return target


def remove_member(actor_id: uuid.UUID, membership_id: uuid.UUID) -> str:
    """Remove a member from the center; returns their name for the confirmation."""
    actor, target = _member_pair(actor_id, membership_id)
    _check_can_touch(actor, target, None)
    name = target.user.name
    audit.record(
        "member.removed",
        object_type="membership",
        object_id=target.id,
        details={"name": name, "email": target.user.email, "role": target.role.value},
    )
    db.session.delete(target)
    db.session.commit()
    return name


def dashboard_summary(with_events: bool) -> dict[str, Any]:
    """What the center's dashboard shows, for the current tenant scope (the recent
    events only for those who may read the audit log)."""
    role_counts = Counter(
        db.session.scalars(select(Membership.role)).all()  # one short column: cheap
    )
    invitations = [i for i in pending_invitations() if i.expires_at > now()]
    events = audit.tenant_events(limit=8) if with_events else []
    return {
        "members_total": sum(role_counts.values()),
        "members_by_role": [(role.value, role_counts.get(role, 0)) for role in Role],
        "pending_invitations": invitations,
        "recent_events": events,
        "names": actor_names(events),
    }


AUDIT_PAGE_SIZE = 50


def audit_page(
    *,
    action: str | None = None,
    actor_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: uuid.UUID | None = None,
) -> tuple[list[audit.AuditEvent], uuid.UUID | None, dict[uuid.UUID, str]]:
    """One page of the audit log (newest first), the cursor of the next (older) page
    (the id of this page's last event), and the names of the actors on it.

    Raises LookupError when `before` is not an event of this center."""
    cursor = None
    if before is not None:
        cursor = db.session.get(audit.AuditEvent, before)
        if cursor is None:
            raise LookupError(before)
    rows = audit.tenant_events(
        action=action,
        actor_id=actor_id,
        since=since,
        until=until,
        before=cursor,
        limit=AUDIT_PAGE_SIZE + 1,  # one more tells whether an older page exists
    )
    events, more = rows[:AUDIT_PAGE_SIZE], len(rows) > AUDIT_PAGE_SIZE
    return events, (events[-1].id if more else None), actor_names(events)


def actor_names(events: list[audit.AuditEvent]) -> dict[uuid.UUID, str]:
    """Names of the people behind events, former members included (one query)."""
    actor_ids = {e.actor_id for e in events if e.actor_id}
    if not actor_ids:
        return {}
    query = select(User.id, User.name).where(User.id.in_(actor_ids))
    return {row.id: row.name for row in db.session.execute(query)}
