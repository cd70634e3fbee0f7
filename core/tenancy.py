"""Tenant isolation: the request scope, the ORM guard and the PostgreSQL guard.

Three locks (DESIGN.md section 4):
1. the scope (tenant, acting partner, signed-in user) lives in one ContextVar, set once
   per request, job or command;
2. a `do_orm_execute` hook adds the tenant criterion to every ORM SELECT / UPDATE /
   DELETE on a `TenantScoped` model and a `before_flush` hook fills and checks
   `tenant_id` on writes; without a scope it raises `TenantScopeError`;
3. on PostgreSQL each transaction switches to the unprivileged application role and
   sets `app.tenant_id` / `app.partner_id` / `app.user_id`, which the row-level
   security policies created by the migrations read.

The only bypass is `platform_scope("reason")`: named, greppable and audited.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql.util import find_tables

log = logging.getLogger(__name__)


class TenantScopeError(RuntimeError):
    """A tenant-owned table was touched outside any tenant scope."""


@dataclass(frozen=True)
class Scope:
    tenant_id: uuid.UUID | None = None
    partner_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    platform_reason: str | None = None

    @property
    def is_platform(self) -> bool:
        return self.platform_reason is not None


_scope: ContextVar[Scope] = ContextVar("mediation_hub_scope", default=Scope())  # noqa: B039


def current_scope() -> Scope:
    return _scope.get()


def current_tenant_id() -> uuid.UUID | None:
    return _scope.get().tenant_id


@contextmanager
def scoped(**changes: Any) -> Iterator[Scope]:
    """Run a block with some fields of the scope replaced, restoring them after."""
    token = _scope.set(replace(_scope.get(), **changes))
    try:
        yield _scope.get()
    finally:
        _scope.reset(token)


@contextmanager
def tenant_scope(tenant_id: uuid.UUID | str | None) -> Iterator[Scope]:
    """Act inside one tenant (jobs re-enter the scope of the tenant id they were given)."""
    tid = uuid.UUID(str(tenant_id)) if tenant_id is not None else None
    with scoped(tenant_id=tid) as scope:
        yield scope


@contextmanager
def platform_scope(reason: str, *, tenant_id: uuid.UUID | None = None) -> Iterator[Scope]:
    """The one, audited way to read or write across tenants (staff, jobs, indexing)."""
    if not reason or not reason.strip():
        raise ValueError("a platform scope needs a reason")
    from core import audit

    audit.record_platform_access(reason, tenant_id=tenant_id)
    log.info("platform scope entered", extra={"reason": reason})
    with scoped(platform_reason=reason) as scope:
        yield scope


def begin_request_scope(scope: Scope) -> Any:
    """Set the scope for the current request; returns the token to reset it."""
    return _scope.set(scope)


def end_request_scope(token: Any) -> None:
    _scope.reset(token)


class TenantScoped:
    """Mixin for tenant-owned models: a `tenant_id` filtered by the ORM guard and RLS.

    `__subject_columns__` maps a scope field ("user_id", "partner_id") to a column
    through which, outside any tenant, a subject may read its own rows across tenants
    (a user's memberships, a partner's referrals). The RLS policy mirrors it.
    """

    __subject_columns__: ClassVar[dict[str, str]] = {}

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


def _criteria_for(cls: type, scope: Scope) -> Any:
    # Plain expressions on the concrete class: the bound value travels as a parameter,
    # so a cached statement never carries one tenant's id into another's query.
    if scope.tenant_id is not None:
        return with_loader_criteria(cls, cls.tenant_id == scope.tenant_id, include_aliases=True)
    for field, column in cls.__subject_columns__.items():
        value = getattr(scope, field)
        if value is not None:
            return with_loader_criteria(cls, getattr(cls, column) == value, include_aliases=True)
    raise TenantScopeError(
        f"query on tenant-owned {cls.__name__} without a tenant scope; "
        "set one, or open platform_scope('reason')"
    )


def _tenant_classes_in(statement: Any) -> set[type]:
    """Every tenant-owned model a statement reads or writes, subqueries and joins included."""
    found = find_tables(statement, include_joins=True, include_aliases=True, include_crud=True)
    # Joins and table-valued functions come back too; only named tables matter here.
    tables = {getattr(t, "name", None) for t in found}
    return {cls for name, cls in _tenant_tables().items() if name in tables}


_tables_seen: tuple[int, dict[str, type]] = (0, {})


def _tenant_tables() -> dict[str, type]:
    """Table name to tenant-owned model, made again only when a model was mapped since
    (the guard asks on every statement)."""
    global _tables_seen
    from core.db import Base

    mappers = Base.registry.mappers
    if _tables_seen[0] != len(mappers):
        tables = {
            m.class_.__table__.name: m.class_ for m in mappers if issubclass(m.class_, TenantScoped)
        }
        _tables_seen = (len(mappers), tables)
    return _tables_seen[1]


def _guard_queries(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = _scope.get()
    if scope.is_platform:
        return
    tenant_classes = {m.class_ for m in state.all_mappers if issubclass(m.class_, TenantScoped)}
    tenant_classes |= _tenant_classes_in(state.statement)
    if not tenant_classes:
        return
    options = [
        _criteria_for(cls, scope) for cls in sorted(tenant_classes, key=lambda c: c.__name__)
    ]
    state.statement = state.statement.options(*options)


def _guard_writes(session: Session, _flush_context: Any, _instances: Any) -> None:
    scope = _scope.get()
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if obj.tenant_id is None:
            if scope.tenant_id is None:
                raise TenantScopeError(f"new {type(obj).__name__} without a tenant scope")
            obj.tenant_id = scope.tenant_id
        elif not scope.is_platform and obj.tenant_id != scope.tenant_id:
            raise TenantScopeError(f"new {type(obj).__name__} for another tenant")
    if scope.is_platform:
        return
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantScoped) and obj.tenant_id != scope.tenant_id:
            raise TenantScopeError(f"write to {type(obj).__name__} of another tenant")


def _visible(obj: TenantScoped, scope: Scope) -> bool:
    """The ORM guard's rule for one loaded object (see `_criteria_for`)."""
    if scope.is_platform:
        return True
    if scope.tenant_id is not None:
        return obj.tenant_id == scope.tenant_id
    for field, column in obj.__subject_columns__.items():
        value = getattr(scope, field)
        if value is not None:
            return getattr(obj, column) == value
    raise TenantScopeError(
        f"get of tenant-owned {type(obj).__name__} without a tenant scope; "
        "set one, or open platform_scope('reason')"
    )


class GuardedSession(Session):
    """`get()` answers from the identity map without SQL, where the query guard never
    runs: an object loaded earlier in the session under another scope (a platform scope,
    a job moving between centers) must stay invisible to the current one."""

    def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        found = super().get(entity, ident, **kwargs)
        if isinstance(found, TenantScoped) and not _visible(found, _scope.get()):
            return None
        return found


def install_orm_guard() -> None:
    """Register the ORM guard once for every Session."""
    if not event.contains(Session, "do_orm_execute", _guard_queries):
        event.listen(Session, "do_orm_execute", _guard_queries)
        event.listen(Session, "before_flush", _guard_writes)


# --- PostgreSQL guard -------------------------------------------------------------

_APPLIED = "mediation_hub_scope"


def _settings(scope: Scope) -> tuple[str, str, str, str]:
    return (
        str(scope.tenant_id or ""),
        str(scope.partner_id or ""),
        str(scope.user_id or ""),
        "on" if scope.is_platform else "",
    )


_SET_SCOPE_SQL = (
    "SELECT set_config('app.tenant_id', %s, true), set_config('app.partner_id', %s, true), "
    "set_config('app.user_id', %s, true), set_config('app.platform', %s, true)"
)


def install_postgres_guard(engine: Engine, config: dict[str, Any]) -> None:
    """Switch role and publish the scope to PostgreSQL in every transaction.

    `SET LOCAL` and `set_config(..., true)` both end with the transaction, so a pooled
    connection never carries a tenant into the next one (safe behind PgBouncer in
    transaction mode). The scope is re-published whenever it changes mid-transaction.
    """
    role_setting = config.get("DATABASE_APP_ROLE", "auto")
    role_name = config.get("DATABASE_APP_ROLE_NAME", "mediation_hub_app")
    state: dict[str, str | None] = {"role": None if role_setting != "auto" else "?"}
    if role_setting not in ("auto", ""):
        state["role"] = role_setting

    def _resolve_role(conn: Connection) -> str | None:
        # Switch only when logged in as a superuser or as the tables' owner: then RLS
        # would not apply to us. A dedicated login role (production) needs no switch.
        row = conn.exec_driver_sql(
            "SELECT r.rolsuper OR EXISTS (SELECT 1 FROM pg_tables t "
            "WHERE t.schemaname = current_schema() AND t.tableowner = current_user), "
            "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %(role)s) "
            "FROM pg_roles r WHERE r.rolname = current_user",
            {"role": role_name},
        ).one()
        if not row[0]:
            return ""
        # Privileged login but the role is not created yet (before the first
        # migration): decide again on the next transaction.
        return role_name if row[1] else "?"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.info[_APPLIED] = None
        role = state["role"]
        if role == "?":
            role = state["role"] = _resolve_role(conn)
        if role and role != "?":
            conn.exec_driver_sql(f'SET LOCAL ROLE "{role}"')

    @event.listens_for(engine, "before_cursor_execute")
    def _publish_scope(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        wanted = _settings(_scope.get())
        if conn.info.get(_APPLIED) != wanted:
            cursor.execute(_SET_SCOPE_SQL, wanted)
            conn.info[_APPLIED] = wanted
