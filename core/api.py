"""The REST API's base classes, subclassed once so every domain speaks alike.

Errors are left to `core.errors` (problem+json for everything under /api), so
flask-smorest's own error handler is not registered.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from flask import Flask, request
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from marshmallow import RAISE, ValidationError, fields, pre_load, validate
from marshmallow import Schema as _Schema
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from core.files import uploads

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
MAX_CURSOR = 500


class Api(_Api):
    def _register_error_handlers(self) -> None:
        """Errors are rendered by core.errors as RFC 9457 problem+json."""

    def register_blueprint(self, blp: _Blueprint, **options: Any) -> None:
        # The API authenticates with bearer tokens, never the session cookie: there is
        # no cross-site request to forge, so its blueprints skip the CSRF check.
        from core.security import csrf

        csrf.exempt(blp)
        super().register_blueprint(blp, **options)


class Blueprint(_Blueprint):
    """Domains build their API blueprints from this class."""


NUL_MESSAGE = "Text cannot contain the NUL character (U+0000)."


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


class Schema(_Schema):
    """Strict by default: unknown fields in a request body are refused, and so is text
    holding a NUL character, which PostgreSQL cannot store (422, not a 500)."""

    class Meta:
        unknown = RAISE
        ordered = True

    @pre_load
    def _refuse_nul(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, Mapping):
            bad = [name for name in data if _has_nul(data.get(name))]
            if bad:
                raise ValidationError({name: [NUL_MESSAGE] for name in bad})
        return data


class PageArgs(Schema):
    """The query of a list with cursor pagination (DESIGN.md section 5): a list's own
    filters subclass it. A `limit` above MAX_PAGE_SIZE is refused (`page_limit`)."""

    limit = fields.Integer(
        load_default=DEFAULT_PAGE_SIZE,
        validate=validate.Range(min=1),
        metadata={
            "description": f"Items per page, at most {MAX_PAGE_SIZE} (more is refused: 400)."
        },
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=MAX_CURSOR),
        metadata={"description": "The `next_cursor` of the previous page."},
    )


def page_limit(limit: int) -> int:
    """The page size asked for; 400 problem+json naming the maximum past it."""
    if limit > MAX_PAGE_SIZE:
        raise BadRequest(f"The limit is at most {MAX_PAGE_SIZE}.")
    return limit


def encode_cursor(*values: str) -> str:
    """An opaque cursor holding the sort key of a page's last item."""
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, size: int) -> list[str]:
    """The values `encode_cursor` packed; 400 problem+json for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        values = None
    if not (isinstance(values, list) and len(values) == size):
        raise BadRequest("The cursor is not valid: use a `next_cursor` as given.")
    if not all(isinstance(v, str) for v in values):
        raise BadRequest("The cursor is not valid: use a `next_cursor` as given.")
    return values


BODY_TYPES = ("application/json", "multipart/form-data")


def refuse_other_bodies() -> None:
    """An API write's body is JSON (or a multipart upload): anything else is a 415,
    rather than read as no body at all (a step taking no field would then succeed on
    text it never parsed)."""
    if not request.path.startswith("/api/") or request.method not in ("POST", "PUT", "PATCH"):
        return
    if not request.content_length and "chunked" not in request.headers.get("Transfer-Encoding", ""):
        return
    mimetype = request.mimetype
    if mimetype in BODY_TYPES or mimetype.endswith("+json") or uploads.takes_upload():
        return  # an upload route answers a body without its file itself (422)
    raise UnsupportedMediaType("Send the request body as application/json.")


def init_app(app: Flask) -> Api:
    rest_api = Api(app, spec_kwargs={"info": {"description": "Mediation Hub REST API"}})
    app.extensions["rest_api"] = rest_api
    app.before_request(refuse_other_bodies)
    return rest_api
