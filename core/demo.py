"""Demo data: each domain registers a seeder; `seed()` runs them once, in order.

A seeder receives the logins collected so far and adds its own; it must be idempotent
(running `make run` twice changes nothing). Passwords are generated on first run and
kept in `instance/demo.json`, never in the repository.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app

from core.db import db

Logins = dict[str, list[dict[str, Any]]]
Seeder = Callable[[Logins, Callable[[str], str]], None]

_SEEDERS: list[Seeder] = []


def register(seeder: Seeder) -> None:
    if seeder not in _SEEDERS:
        _SEEDERS.append(seeder)


def _previous() -> Logins:
    path = Path(current_app.instance_path) / "demo.json"
    if path.exists():
        return json.loads(path.read_text())
    return {"users": [], "oauth_clients": []}


def seed() -> Logins:
    previous = {u["email"]: u["password"] for u in _previous().get("users", [])}

    def password_for(email: str) -> str:
        return previous.get(email) or "demo-" + secrets.token_urlsafe(9)

    logins: Logins = {"users": [], "oauth_clients": []}
    for seeder in _SEEDERS:
        seeder(logins, password_for)
        db.session.commit()
    return logins


def describe(logins: Logins) -> str:
    lines = ["Demo logins (password reset on first run only):"]
    for user in logins["users"]:
        where = user.get("center") or user.get("partner") or "platform"
        lines.append(f"  {user['email']:<42} {user['password']:<20} {user['role']:<13} {where}")
    return "\n".join(lines)
