"""Public marketplace: published mediators and offers, search, public pages and API."""

from __future__ import annotations

from flask import Flask

from core.api import Api


def init_app(app: Flask, rest_api: Api) -> None:
    """The marketplace registers its pages and API here (built in its own issue)."""
