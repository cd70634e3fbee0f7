"""Errors in one place: RFC 9457 problem+json for the API, friendly pages for the web."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, json, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from core.db import db
from core.tenancy import TenantScopeError

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://mediation-hub.example/problems/"


class DomainError(Exception):
    """A business rule refused the request; `status` and `code` say how."""

    status = 400
    code = "bad-request"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status:
            self.status = status
        if code:
            self.code = code


class Conflict(DomainError):
    status = 409
    code = "conflict"


def wants_problem_json() -> bool:
    if request.path.startswith("/api/") or request.path.startswith("/.well-known/"):
        return True
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/json", "application/problem+json"]
    )
    return best in {"application/json", "application/problem+json"}


def problem(
    status: int,
    title: str,
    *,
    detail: str | None = None,
    code: str | None = None,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (code or _slug(title)),
        "title": title,
        "status": status,
        "instance": request.path,
        "request_id": getattr(g, "request_id", None),
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype="application/problem+json"
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _slug(title: str) -> str:
    return "-".join(title.lower().split())


def _page(status: int, title: str, detail: str | None) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def handle_http_exception(exc: HTTPException) -> Response | tuple[str, int]:
    status = exc.code or 500
    title = exc.name
    if wants_problem_json():
        errors = None
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            errors = data.get("messages") or data.get("errors")
        headers = {
            k: v for k, v in (exc.get_headers() or []) if k.lower() not in {"content-type", "allow"}
        }
        return problem(status, title, detail=exc.description, errors=errors, headers=headers)
    return _page(status, _error_title(status, title), _error_detail(exc))


def _error_title(status: int, fallback: str) -> str:
    titles = {
        400: _("Bad request"),
        401: _("Sign-in required"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        413: _("Request too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
    }
    return titles.get(status, fallback)


def _error_detail(exc: HTTPException) -> str | None:
    # Werkzeug's and Flask-WTF's descriptions (a missing CSRF token...) are English only:
    # the statuses a page can meet get a translated one. A description given to abort()
    # by a view is its own, already translated.
    if exc.description != type(exc).description and not isinstance(exc, CSRFError):
        return exc.description
    details = {
        400: _("The request could not be processed. Go back, reload the page and try again."),
        401: _("Please sign in to continue."),
        403: _("You do not have access to this page."),
        404: _("The page you asked for does not exist or is not available to you."),
        405: _("This page cannot be used this way."),
        413: _("What you sent is larger than the 1 MB we accept."),
        429: _("Please wait a few minutes before trying again."),
        500: _("The team has been told. Please try again in a moment."),
    }
    return details.get(exc.code or 500, exc.description)


def field_errors(exc: DomainError) -> dict[str, Any] | None:
    """A service's per-field messages (`exc.errors`, e.g. ProfileInvalid, or the one
    `exc.field` of a FieldError), in webargs' shape, so that a client reads every 422
    alike: {"json": {"field": ["message"]}} (`exc.location` names another part of the
    request, e.g. "files")."""
    found = getattr(exc, "errors", None)
    field = getattr(exc, "field", None)
    if not found and isinstance(field, str):
        found = {field: exc.message}
    if not isinstance(found, dict) or not found:
        return None
    location = getattr(exc, "location", "json")
    return {location: {str(name): [str(message)] for name, message in found.items()}}


def handle_domain_error(exc: DomainError) -> Response | tuple[str, int]:
    db.session.rollback()
    if wants_problem_json():
        return problem(exc.status, exc.message, code=exc.code, errors=field_errors(exc))
    return _page(exc.status, _error_title(exc.status, exc.message), exc.message)


def handle_integrity_error(exc: IntegrityError) -> Response | tuple[str, int]:
    db.session.rollback()
    log.warning("integrity error", extra={"error": str(exc.orig)[:200]})
    if wants_problem_json():
        return problem(
            409, "Conflict", detail="The request conflicts with existing data.", code="conflict"
        )
    return _page(409, _("Conflict"), _("This conflicts with existing data."))


def handle_unexpected(exc: Exception) -> Response | tuple[str, int]:
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    db.session.rollback()
    if isinstance(exc, TenantScopeError):
        log.error("tenant scope violation", exc_info=exc)
    else:
        log.exception("unhandled error")
    if current_app.config.get("PROPAGATE_UNEXPECTED"):
        raise exc
    return handle_http_exception(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(Exception, handle_unexpected)
