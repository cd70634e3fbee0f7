"""Account rules: users, passwords (argon2id), emailed tokens, throttling, TOTP."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from core import audit
from core.accounts.models import AccountToken, User
from core.accounts.tokens import hash_token, new_token
from core.clock import now
from core.db import db
from core.jobs import redis_connection

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps the time of a login for an unknown email the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 10


class TokenPurpose:
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a token purpose


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def create_user(email: str, name: str, password: str | None, locale: str = "fr") -> User:
    user = User(
        email=normalize_email(email),
        name=name.strip(),
        password_hash=hash_password(password) if password else None,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    audit.record_security("user.created", user_id=user.id)
    return user


def check_password(user: User | None, password: str) -> bool:
    if user is None or not user.password_hash:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)


# --- emailed single-use tokens ---------------------------------------------------


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


def consume_token(token: str, purpose: str) -> User | None:
    """Use a token once: None if unknown, used, expired or for another purpose."""
    record = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == hash_token(token or ""))
    )
    if (
        record is None
        or record.purpose != purpose
        or record.used_at is not None
        or record.expires_at <= now()
    ):
        return None
    record.used_at = now()
    return db.session.get(User, record.user_id)


def peek_token(token: str, purpose: str) -> User | None:
    """Like consume_token, without using it (to show the form behind a link)."""
    record = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == hash_token(token or ""))
    )
    if record is None or record.purpose != purpose or record.used_at or record.expires_at <= now():
        return None
    return db.session.get(User, record.user_id)


# --- login throttling --------------------------------------------------------------


def _failure_key(email: str) -> str:
    return f"login-failures:{hash_token(normalize_email(email))}"


def is_throttled(email: str) -> bool:
    failures = redis_connection().get(_failure_key(email))
    return int(failures or 0) >= current_app.config["LOGIN_MAX_FAILURES"]


def note_failed_login(email: str) -> int:
    key = _failure_key(email)
    conn = redis_connection()
    count = int(conn.incr(key))
    conn.expire(key, int(current_app.config["LOGIN_LOCKOUT"].total_seconds()))
    return count


def clear_failed_logins(email: str) -> None:
    redis_connection().delete(_failure_key(email))


# --- TOTP --------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Mediation Hub")


def verify_totp(secret: str, code: str) -> bool:
    code = (code or "").replace(" ", "")
    return (
        bool(secret)
        and code.isdigit()
        and pyotp.TOTP(secret).verify(code, for_time=now(), valid_window=1)
    )


def get_user(user_id: uuid.UUID) -> User | None:
    return db.session.get(User, user_id)
