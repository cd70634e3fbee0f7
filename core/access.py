"""Access classes: every route declares who may call it, with one decorator.

- `public`: anyone (marketplace, health, sign-up, login);
- `own`: the signed-in user's own data;
- `tenant`: a center's workspace, `/c/<slug>/...`, for its members (optionally some roles);
- `partner`: a partner organisation's workspace, for its members.

Workspace routes resolve the center or partner through a resolver the domain registers
at start-up (core imports no domain). A non-member gets 404, exactly like a missing
object, so nobody learns what exists elsewhere; a member whose role is too low gets 403.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import tenancy

AccessClass = Literal["public", "own", "tenant", "partner"]
ACCESS_CLASSES: tuple[str, ...] = ("public", "own", "tenant", "partner")


@dataclass(frozen=True)
class Workspace:
    """The center or partner a request acts in, and the user's role there."""

    kind: Literal["tenant", "partner"]
    id: uuid.UUID
    slug: str
    name: str
    role: str
    obj: Any = None
    needs_two_factor: bool = False


Resolver = Callable[[str, Any], Workspace | None]
Lister = Callable[[Any], list[Workspace]]


def register_resolver(app: Flask, kind: str, resolver: Resolver) -> None:
    """`resolver(reference, user)` returns the user's Workspace for the slug, or None."""
    app.extensions.setdefault("workspace_resolvers", {})[kind] = resolver


def register_lister(app: Flask, lister: Lister) -> None:
    """`lister(user)` returns every workspace of that kind the user belongs to."""
    app.extensions.setdefault("workspace_listers", []).append(lister)


def workspaces_of(user: Any) -> list[Workspace]:
    """All the centers and partner organisations `user` belongs to, by name."""
    found: list[Workspace] = []
    for lister in current_app.extensions.get("workspace_listers", []):
        found.extend(lister(user))
    return sorted(found, key=lambda w: (w.kind, w.name.lower()))


def access(
    kind: AccessClass, roles: Iterable[str] | None = None, *, staff: bool = False
) -> Callable:
    """Declare a view's access class (and, for workspaces, the roles allowed).

    `staff=True` restricts an `own` route to platform staff; others get 404.
    """
    if kind not in ACCESS_CLASSES:
        raise ValueError(f"unknown access class {kind!r}")
    allowed = frozenset(str(r) for r in roles) if roles else None

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if kind == "public":
                return view(*args, **kwargs)
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if staff and not current_user.is_staff:
                abort(404)
            if kind in ("tenant", "partner"):
                denied = _enter_workspace(kind, allowed)
                if denied is not None:
                    return denied
            return view(*args, **kwargs)

        wrapper.access_class = kind  # type: ignore[attr-defined]
        wrapper.access_roles = allowed  # type: ignore[attr-defined]
        wrapper.access_staff = staff  # type: ignore[attr-defined]
        return wrapper

    return decorator


def bind_workspace_slug(bp: Blueprint, kind: Literal["tenant", "partner"], arg: str) -> None:
    """Workspace blueprints (`/c/<slug>/...`, `/p/<partner_slug>/...`): the slug leaves
    the view's arguments for `g.workspace_ref` (the access check resolves it), and URLs
    built inside the same workspace get it back without naming it."""

    @bp.url_value_preprocessor
    def _pull_slug(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values and arg in values:
            g.workspace_ref = values.pop(arg)

    @bp.url_defaults
    def _add_slug(_endpoint: str, values: dict[str, Any]) -> None:
        workspace = g.get("workspace")
        if arg not in values and workspace is not None and workspace.kind == kind:
            values[arg] = workspace.slug


def _enter_workspace(kind: str, allowed: frozenset[str] | None) -> Any:
    resolver = current_app.extensions["workspace_resolvers"][kind]
    reference = g.get("workspace_ref")
    workspace = resolver(reference, current_user) if reference else None
    if workspace is None or workspace.kind != kind:
        abort(404)
    g.workspace = workspace
    scope = tenancy.current_scope()
    if kind == "tenant":
        tenancy.begin_request_scope(replace(scope, tenant_id=workspace.id))
    else:
        tenancy.begin_request_scope(replace(scope, partner_id=workspace.id))
    if workspace.needs_two_factor and request.endpoint != "accounts.two_factor":
        flash(
            _("This center requires two-factor authentication for its administrators."), "warning"
        )
        return redirect(url_for("accounts.two_factor", next=request.full_path))
    if allowed is not None and workspace.role not in allowed:
        abort(403)
    if kind == "tenant":
        from core.billing.entitlements import refuse_writes_when_read_only

        # An unpaid center's workspace is read-only: 403 on a write, with a link to pay.
        refuse_writes_when_read_only(workspace.id)
    return None


def init_app(app: Flask) -> None:
    """Open the request's scope (the signed-in user) and close it at the end."""

    @app.before_request
    def _open_scope() -> None:
        user_id = current_user.id if current_user.is_authenticated else None
        g._scope_token = tenancy.begin_request_scope(tenancy.Scope(user_id=user_id))

    @app.teardown_request
    def _close_scope(_exc: BaseException | None) -> None:
        token = g.pop("_scope_token", None)
        if token is not None:
            tenancy.end_request_scope(token)
