"""Emailed single-use links: only the token's hash is stored, each works once."""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from core.accounts.models import AccountToken, User
from core.accounts.tokens import hash_token, new_token
from core.clock import now
from core.db import db


class TokenPurpose:
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a token purpose


def public_url(endpoint: str, **values: str) -> str:
    """An absolute link for an email, built without a request (jobs, CLI, sign-up)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def issue_token(user: User, purpose: str, ttl: timedelta) -> str:
    """Create a single-use token for `user`; returns the secret for the emailed link."""
    token, token_hash = new_token()
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash,
            created_at=now(),
            expires_at=now() + ttl,
        )
    )
    return token


def _live_token(token: str, purpose: str) -> AccountToken | None:
    record = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == hash_token(token or ""))
    )
    if record is None or record.purpose != purpose or record.used_at or record.expires_at <= now():
        return None
    return record


def consume_token(token: str, purpose: str) -> User | None:
    """Use a token once: None if unknown, used, expired or for another purpose."""
    record = _live_token(token, purpose)
    if record is None:
        return None
    # A conditional update, so two concurrent uses of one link cannot both succeed.
    won = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == record.id, AccountToken.used_at.is_(None))
        .values(used_at=now())
    )
    return db.session.get(User, record.user_id) if won.rowcount == 1 else None


def peek_token(token: str, purpose: str) -> User | None:
    """Like consume_token, without using it (to show the form behind a link)."""
    record = _live_token(token, purpose)
    return db.session.get(User, record.user_id) if record else None


def retire_tokens(user_id: uuid.UUID, purpose: str) -> None:
    """After a reset, the other links sent for the same purpose must stop working."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now())
        .execution_options(synchronize_session=False)
    )
