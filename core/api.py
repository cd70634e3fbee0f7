"""The REST API's base classes, subclassed once so every domain speaks alike.

Errors are left to `core.errors` (problem+json for everything under /api), so
flask-smorest's own error handler is not registered.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from marshmallow import RAISE
from marshmallow import Schema as _Schema

MAX_PAGE_SIZE = 100


class Api(_Api):
    def _register_error_handlers(self) -> None:
        """Errors are rendered by core.errors as RFC 9457 problem+json."""


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
