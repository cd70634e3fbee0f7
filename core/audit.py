"""Audit trail: tenant events (browsable by the center's admins) and security events.

`record()` writes in the caller's session, so the audit row commits or rolls back with
the mutation it describes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String, and_, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, IdMixin, db, utcnow
from core.tenancy import TenantScoped, current_scope


class AuditEvent(IdMixin, TenantScoped, Base):
    """A mutation inside a center's workspace."""

    __tablename__ = "audit_events"

    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SecurityEvent(IdMixin, Base):
    """An account or platform event that belongs to no center (logins, staff access)."""

    __tablename__ = "security_events"

    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(60), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def _request_facts() -> tuple[str | None, str | None, uuid.UUID | None]:
    if not has_request_context():
        return None, None, None
    actor = current_user.id if current_user and current_user.is_authenticated else None
    return getattr(g, "request_id", None), request.remote_addr, actor


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    details: dict[str, Any] | None = None,
    actor_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Record a mutation in the current tenant's audit log."""
    request_id, ip, actor = _request_facts()
    event = AuditEvent(
        tenant_id=current_scope().tenant_id,
        actor_id=actor_id or actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        details=details or {},
        request_id=request_id,
        ip=ip,
    )
    db.session.add(event)
    return event


def record_security(
    action: str,
    *,
    user_id: uuid.UUID | None = None,
    tenant_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> SecurityEvent:
    """Record an account or platform event (no tenant context needed)."""
    request_id, ip, actor = _request_facts()
    event = SecurityEvent(
        user_id=user_id,
        actor_id=actor,
        tenant_id=tenant_id,
        action=action,
        details=details or {},
        request_id=request_id,
        ip=ip,
    )
    db.session.add(event)
    return event


def record_platform_access(reason: str, *, tenant_id: uuid.UUID | None = None) -> None:
    """Every platform scope leaves a trace: who, why, when, from which request."""
    record_security("platform_scope", tenant_id=tenant_id, details={"reason": reason[:200]})


def tenant_events(
    *,
    action: str | None = None,
    actor_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    before: AuditEvent | None = None,
) -> list[AuditEvent]:
    """The current tenant's audit log, newest first, filtered; `before` is the last event
    of the previous page (a keyset cursor on (created_at, id): events written in the same
    instant are neither skipped nor repeated)."""
    query = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if since:
        query = query.where(AuditEvent.created_at >= since)
    if until:
        query = query.where(AuditEvent.created_at < until)
    if before is not None:
        query = query.where(
            or_(
                AuditEvent.created_at < before.created_at,
                and_(AuditEvent.created_at == before.created_at, AuditEvent.id < before.id),
            )
        )
    return list(db.session.scalars(query.limit(limit)))
