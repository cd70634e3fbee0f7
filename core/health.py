"""Liveness (`/healthz`) and readiness (`/readyz`: the database and Redis answer)."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from core.access import access
from core.db import db
from core.jobs import redis_connection

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
@access("public")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
@access("public")
def readyz():
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        log.exception("readiness: database")
        checks["database"] = "unavailable"
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
    except Exception:
        log.exception("readiness: redis")
        checks["redis"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
