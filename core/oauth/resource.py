"""The resource side: one decorator that states what each API route needs.

    @blp.route("/organisation")
    @api_access()                                   # any client's token
    @api_access("profile", user=True)               # a person's token with `profile`
    @api_access("mediators:read", owners=("tenant",))  # a center client's token
    @api_access(public=True)                        # anyone; a token raises the limit

The decorator verifies the bearer token locally (core.oauth.tokens), answers 401
(no or bad token) or 403 (wrong owner kind, missing scope, no person behind it) as
RFC 6750 problem+json with a `WWW-Authenticate` header, counts the request against the
client's rate limit (429 past it), and opens the request's scope from the token: the
owning center or partner, or the person for `user=True` routes (lock 1 of DESIGN.md
section 4). It also documents the requirement in the OpenAPI document. A standing
test fails for any /api/v1 route without it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from flask import Response, current_app, g, request

from core import ratelimit, tenancy
from core.api import Blueprint
from core.errors import problem
from core.oauth.models import OWNER_KINDS
from core.oauth.scopes import SCOPES
from core.oauth.tokens import AccessToken, InvalidToken, verify_access_token

SECURITY_SCHEME = "oauth2"
REALM = "mediation-hub"


@dataclass(frozen=True)
class Requirement:
    scope: str | None
    owners: frozenset[str]
    user: bool
    public: bool


def api_access(
    scope: str | None = None,
    *,
    owners: Iterable[str] = OWNER_KINDS,
    user: bool = False,
    public: bool = False,
) -> Callable:
    """Declare and enforce what an API route needs (see the module's docstring)."""
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    rule = Requirement(scope, frozenset(owners), user, public)
    if not rule.owners <= set(OWNER_KINDS) or not rule.owners:
        raise ValueError(f"unknown owner kinds {sorted(rule.owners)}")

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refused = _enter(rule)
            if refused is not None:
                return refused
            return view(*args, **kwargs)

        documented = Blueprint.doc(security=_security(rule), responses=_responses(rule))(wrapper)
        documented.api_access = rule  # type: ignore[attr-defined]
        documented.access_class = _access_class(rule)  # type: ignore[attr-defined]
        return documented

    return decorator


def current_token() -> AccessToken | None:
    return g.get("api_token")


def _access_class(rule: Requirement) -> str:
    if rule.public:
        return "public"
    if rule.user or len(rule.owners) > 1:
        return "own"  # the token subject's own data
    return next(iter(rule.owners))


def _security(rule: Requirement) -> list[dict[str, list[str]]]:
    needed = [rule.scope] if rule.scope else []
    if rule.public:
        return [{}, {SECURITY_SCHEME: needed}]
    return [{SECURITY_SCHEME: needed}]


def _responses(rule: Requirement) -> dict[int, dict[str, str]]:
    found = {429: "Too many requests for this client: see Retry-After and RateLimit"}
    found[401] = "No valid access token (a bad token is refused on public routes too)"
    if not rule.public:
        found[403] = "The token lacks the scope, owner kind or person this route needs"
    return {status: {"description": text} for status, text in found.items()}


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    kind, _, value = header.partition(" ")
    if kind.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _challenge(status: int, title: str, detail: str, params: dict[str, str]) -> Response:
    fields = ", ".join([f'realm="{REALM}"', *(f'{k}="{v}"' for k, v in params.items())])
    return problem(
        status,
        title,
        detail=detail,
        code=params.get("error", "unauthorized").replace("_", "-"),
        headers={"WWW-Authenticate": f"Bearer {fields}"},
    )


def _enter(rule: Requirement) -> Response | None:
    raw = _bearer()
    token = None
    if raw is None and "Authorization" in request.headers:
        return _challenge(
            401,
            "Unauthorized",
            "Send the access token as 'Authorization: Bearer <token>'.",
            {"error": "invalid_request"},
        )
    if raw is not None:
        try:
            token = verify_access_token(raw)
        except InvalidToken as exc:
            current_app.logger.info("access token refused", extra={"reason": exc.reason})
            return _challenge(
                401,
                "Unauthorized",
                "The access token is invalid, expired or revoked.",
                {"error": "invalid_token"},
            )
    if token is None:
        if rule.public:
            return _count(current_app.config["API_LIMIT_ANONYMOUS"], request.remote_addr or "?")
        return _challenge(401, "Unauthorized", "This route needs an access token.", {})
    if not rule.public:
        refused = _check(rule, token)
        if refused is not None:
            return refused
    g.api_token = token
    _open_scope(rule, token)
    if token.owner_kind == "tenant" and not rule.user:
        from core.billing.entitlements import refuse_writes_when_read_only

        # An unpaid center's clients may read and export, not write (403 problem).
        refuse_writes_when_read_only(token.owner_id)
    return _count(current_app.config["API_LIMIT_PER_CLIENT"], token.client_id)


def _check(rule: Requirement, token: AccessToken) -> Response | None:
    if token.owner_kind not in rule.owners:
        return _challenge(
            403,
            "Forbidden",
            f"This route is for {' or '.join(sorted(rule.owners))} clients.",
            {"error": "insufficient_scope"},
        )
    if rule.scope and rule.scope not in token.scopes:
        return _challenge(
            403,
            "Forbidden",
            f"This route needs the scope '{rule.scope}'.",
            {"error": "insufficient_scope", "scope": rule.scope},
        )
    if rule.user and token.user_id is None:
        return _challenge(
            403,
            "Forbidden",
            "This route acts for a person: use a token from the authorization code grant.",
            {"error": "insufficient_scope", "scope": rule.scope or ""},
        )
    return None


def _open_scope(rule: Requirement, token: AccessToken) -> None:
    scope = tenancy.current_scope()
    if rule.user:
        scope = replace(scope, user_id=token.user_id)
    elif token.owner_kind == "tenant":
        scope = replace(scope, tenant_id=token.owner_id, user_id=token.user_id)
    else:
        scope = replace(scope, partner_id=token.owner_id, user_id=token.user_id)
    tenancy.begin_request_scope(scope)


def _count(policy: ratelimit.Policy, subject: str) -> Response | None:
    verdict = ratelimit.hit(policy, subject)
    g.rate_limit_headers = verdict.headers()
    if verdict.allowed:
        return None
    return problem(
        429,
        "Too many requests",
        detail="The rate limit of this client is reached; retry after the given delay.",
        code="rate-limited",
        headers=verdict.headers(),
    )


def add_rate_limit_headers(response: Response) -> Response:
    for key, value in (g.pop("rate_limit_headers", None) or {}).items():
        response.headers.setdefault(key, value)
    return response
