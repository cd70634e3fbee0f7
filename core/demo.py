"""Demo data: each domain registers a seeder; `seed()` runs them once, in order.

A seeder receives the logins collected so far and adds its own; it must be idempotent
(running `make run` twice changes nothing). Passwords are generated on first run and
kept in `instance/demo.json`, never in the repository; so are the demo OAuth clients'
secrets, which the database keeps only as hashes (`previous_client_secret`).
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


def previous_client_secret(client_id: str) -> str | None:
    """The secret a previous run recorded in instance/demo.json for this OAuth client."""
    for entry in _previous().get("oauth_clients", []):
        if entry.get("client_id") == client_id:
            return entry.get("client_secret")
    return None


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
    """The logins as an aligned table for the terminal."""
    rows = [
        (u["email"], u["password"], u["role"], u.get("center") or u.get("partner") or "platform")
        for u in logins["users"]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)] if rows else [0, 0, 0]
    lines = ["Demo logins (passwords generated on the first run, kept in instance/demo.json):"]
    for email, password, role, where in rows:
        lines.append(
            f"  {email:<{widths[0]}}  {password:<{widths[1]}}  {role:<{widths[2]}}  {where}"
        )
    clients = logins.get("oauth_clients", [])
    if clients:
        lines.append("Demo API clients (client credentials; see the README's API quick start):")
        for c in clients:
            owner = c.get("partner") or c.get("center") or ""
            lines.append(f"  {owner}")
            lines.append(f"    client_id      {c['client_id']}")
            lines.append(f"    client_secret  {c['client_secret']}")
            lines.append(f"    scopes         {' '.join(c['scopes'])}")
    return "\n".join(lines)
