"""Security headers, CSRF protection on every form, and the request body size limit."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from flask_wtf.csrf import CSRFProtect

from core.files.uploads import body_limit

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)


def _refuse_oversized_streams() -> None:
    """A body sent without Content-Length (chunked) over MAX_CONTENT_LENGTH gets 413 too:
    werkzeug stops reading it at the limit, and would hand the views a truncated form."""
    limit = body_limit()
    # Werkzeug checks a declared Content-Length against the request's own limit.
    request.max_content_length = limit
    if (
        limit is None
        or request.content_length is not None  # werkzeug checks those itself
        or "wsgi.input_terminated" not in request.environ  # else werkzeug reads nothing
        or request.method not in {"POST", "PUT", "PATCH", "DELETE"}
    ):
        return
    body = request.get_data(cache=True)  # kept for the form parser; at most `limit` bytes
    if len(body) >= limit and request.environ["wsgi.input"].read(1):
        abort(413)


def init_app(app: Flask) -> None:
    # Before CSRFProtect's own hook, which reads the form.
    app.before_request(_refuse_oversized_streams)
    csrf.init_app(app)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure or app.config.get("HTTPS"):
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if response.mimetype == "text/html":
            # Pages can hold personal data: never keep them in shared caches.
            headers.setdefault("Cache-Control", "no-store")
        return response
