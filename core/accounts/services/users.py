"""Users and their passwords (argon2id)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from core import audit
from core.accounts.models import User
from core.db import db

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps the time of a login for an unknown email the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 10


MAX_PASSWORD_LENGTH = 200  # argon2 cost grows with input; nobody types more than this


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_fingerprint(email: str) -> str:
    """A keyed hash of an address: audit rows can be correlated without storing emails."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, normalize_email(email).encode(), hashlib.sha256).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def get_user(user_id: uuid.UUID) -> User | None:
    return db.session.get(User, user_id)


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
