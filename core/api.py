"""The REST API's base classes, subclassed once so every domain speaks alike.

Errors are left to `core.errors` (problem+json for everything under /api), so
flask-smorest's own error handler is not registered.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from marshmallow import RAISE
from marshmallow import Schema as _Schema

MAX_PAGE_SIZE = 100


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


class Schema(_Schema):
    """Strict by default: unknown fields in a request body are refused."""

    class Meta:
        unknown = RAISE
        ordered = True


def init_app(app: Flask) -> Api:
    rest_api = Api(app, spec_kwargs={"info": {"description": "Mediation Hub REST API"}})
    app.extensions["rest_api"] = rest_api
    return rest_api
