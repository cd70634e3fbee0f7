"""OAuth 2.0 endpoints: authorize (with its consent page), token, revocation (RFC 7009),
introspection (RFC 7662), and the discovery documents: metadata (RFC 8414) and JWKS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from core import ratelimit
from core.access import access
from core.clock import now
from core.db import db
from core.errors import handle_http_exception, problem
from core.oauth import scopes as scope_catalogue
from core.oauth.clients import ORIGIN_HOST, describe_owner
from core.oauth.forms import ConsentForm
from core.oauth.models import GRANT_TYPES
from core.oauth.tokens import issuer, key_store
from core.security import CONTENT_SECURITY_POLICY, csrf

bp = Blueprint("oauth", __name__, template_folder="templates")

# RFC 6749 parameters are short; anything longer is a mistake or an attack.
MAX_PARAMETER_LENGTH = 2048
MAX_PARAMETERS = 20
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


def server() -> Any:
    return current_app.extensions["oauth_server"]


def _oauth_error(status: int, error: str, description: str) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _refuse_bad_parameters() -> Response | None:
    """RFC 6749 section 3.2 and 2.3.1: a form body, each parameter once and short."""
    if request.method == "POST" and request.mimetype != "application/x-www-form-urlencoded":
        return _oauth_error(
            400, "invalid_request", "The body must be application/x-www-form-urlencoded."
        )
    values = request.values
    if len(values) > MAX_PARAMETERS:
        return _oauth_error(400, "invalid_request", "Too many parameters.")
    for name in values:
        items = values.getlist(name)
        if len(name) > 64 or any(len(v) > MAX_PARAMETER_LENGTH for v in items):
            return _oauth_error(400, "invalid_request", f"The parameter {name[:64]!r} is too long.")
        if len(items) > 1:
            return _oauth_error(400, "invalid_request", f"The parameter {name!r} is repeated.")
    return None


def _rate_limited() -> Response | None:
    """Token-endpoint limits: per client (as named) and per address."""
    config = current_app.config
    auth = request.authorization
    client_id = (auth.username if auth and auth.type == "basic" else None) or request.form.get(
        "client_id"
    )
    verdicts = [ratelimit.hit(config["OAUTH_TOKEN_LIMIT_PER_IP"], request.remote_addr or "?")]
    if client_id:
        verdicts.append(ratelimit.hit(config["OAUTH_TOKEN_LIMIT_PER_CLIENT"], client_id))
    verdict = ratelimit.strictest(verdicts)
    if verdict.allowed:
        return None
    return problem(
        429,
        "Too many requests",
        detail="The token endpoint's rate limit is reached; retry after the given delay.",
        code="rate-limited",
        headers=verdict.headers(),
    )


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@access("own")
def authorize():
    refused = _refuse_bad_parameters() if request.method == "GET" else None
    if refused is not None:
        return _authorize_error_page(_("The request of the application is not valid."))
    try:
        grant = server().get_consent_grant(end_user=current_user)
    except OAuth2Error as error:
        if error.redirect_uri:
            return server().handle_error_response(None, error)
        return _authorize_error_page(error.description or error.error)
    client = grant.client
    form = ConsentForm()
    if request.method == "POST" and form.validate():
        grant_user = current_user._get_current_object() if form.decision.data == "allow" else None
        response = server().create_authorization_response(grant=grant, grant_user=grant_user)
        db.session.commit()
        return response
    owner = describe_owner(client.owner_kind, client.owner_id) or {}
    requested = scope_catalogue.parse(grant.request.scope)
    page = render_template(
        "oauth/consent.html",
        form=form,
        client=client,
        owner=owner,
        scopes=[scope_catalogue.SCOPES[s] for s in requested],
        redirect_uri=grant.redirect_uri,
    )
    response = current_app.make_response((page, 422 if form.errors else 200))
    response.headers["Content-Security-Policy"] = _consent_policy(grant.redirect_uri)
    return response


def _consent_policy(redirect_uri: str) -> str:
    """The page's policy, letting its form lead to the client's (already verified)
    redirect URI: browsers hold a form's redirects to `form-action` too, so with
    'self' alone the answer's redirect back to the application would be blocked."""
    parts = urlsplit(redirect_uri)
    if not ORIGIN_HOST.fullmatch(parts.netloc):
        return CONTENT_SECURITY_POLICY  # nothing that could smuggle a directive in
    origin = f"{parts.scheme}://{parts.netloc}"
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {origin}")


def _authorize_error_page(detail: str) -> tuple[str, int]:
    # Never redirect to an unverified URI (RFC 6749 section 4.1.2.1): explain instead.
    return (
        render_template(
            "errors/error.html",
            status=400,
            title=_("This authorization request cannot be used"),
            detail=detail,
        ),
        400,
    )


def _answer(make: Callable[[], Response], *, writes: bool = True) -> Response:
    """An endpoint's answer once the parameters pass; its writes (a token, a used code,
    a revocation) are committed with it."""
    refused = _refuse_bad_parameters()
    if refused is not None:
        return refused
    response = make()
    if writes:
        db.session.commit()
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/oauth/token")
@access("public")
def token():
    return _rate_limited() or _answer(server().create_token_response)


@bp.post("/oauth/revoke")
@access("public")
def revoke():
    return _answer(lambda: server().create_endpoint_response("revocation"))


@bp.post("/oauth/introspect")
@access("public")
def introspect():
    return _answer(lambda: server().create_endpoint_response("introspection"), writes=False)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Any:
    """A body over the 1 MB limit: the endpoints programs call answer problem+json
    whatever they accept (an HTML page otherwise); the consent page keeps its page."""
    if request.endpoint in ("oauth.token", "oauth.revoke", "oauth.introspect"):
        return problem(413, error.name, detail=error.description)
    return handle_http_exception(error)


@bp.get("/.well-known/oauth-authorization-server")
@access("public")
def metadata():
    return _public_json(authorization_server_metadata())


@bp.get("/.well-known/jwks.json")
@access("public")
def jwks():
    return _public_json(key_store().jwks(now().timestamp()))


def _public_json(body: dict[str, Any]) -> Response:
    response = jsonify(body)
    # Short: a rotated key must reach resource servers well before it signs.
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def authorization_server_metadata() -> dict[str, Any]:
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "issuer": issuer(),
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "scopes_supported": list(scope_catalogue.SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(GRANT_TYPES),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS[:2],
        "service_documentation": f"{base}/api/openapi.json",
        "ui_locales_supported": list(current_app.config["LANGUAGES"]),
    }


def init_app(app: Any) -> None:
    for view in (token, revoke, introspect):
        csrf.exempt(view)
    app.register_blueprint(bp)
