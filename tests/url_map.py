"""One throwaway app whose URL map the standing tests enumerate at collection time
(parametrize needs the routes before any fixture runs)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from flask import Flask

from core.app import create_app


@functools.cache
def url_map_app() -> Flask:
    keys = Path(tempfile.mkdtemp(prefix="mh-url-map-")) / "oauth_keys.json"
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "url-map-only",
            "DATABASE_URL": "sqlite://",
            "REDIS_URL": None,
            "OAUTH_KEYS_FILE": str(keys),
        }
    )
