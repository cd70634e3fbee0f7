"""Sign-in in two steps (password, then a TOTP code when enabled), throttled."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from core import audit
from core.accounts.models import User
from core.accounts.services.throttling import clear_failed_logins, is_throttled, note_failed_login
from core.accounts.services.two_factor import use_totp_code
from core.accounts.services.users import (
    check_password,
    email_fingerprint,
    find_user_by_email,
    get_user,
    normalize_email,
)


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    NEEDS_TOTP = "needs_totp"
    INVALID = "invalid"
    THROTTLED = "throttled"
    UNVERIFIED = "unverified"
    DISABLED = "disabled"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None


def _refused(action: str, email: str, user: User | None, **details: str) -> None:
    audit.record_security(
        action,
        user_id=user.id if user else None,
        details={"email_hash": email_fingerprint(email), **details},
    )


def _failed(email: str, user: User | None, **details: str) -> LoginResult:
    note_failed_login(email)
    _refused("login.failed", email, user, **details)
    return LoginResult(LoginOutcome.INVALID)


def _throttled(email: str, user: User | None) -> LoginResult:
    _refused("login.throttled", email, user)
    return LoginResult(LoginOutcome.THROTTLED)


def authenticate(email: str, password: str) -> LoginResult:
    """First step of a sign-in. Throttling is checked before the password, so a locked
    address is refused even with the right one; unknown addresses count like known ones
    so the answer never tells whether an account exists."""
    email = normalize_email(email)
    user = find_user_by_email(email)
    if is_throttled(email):
        return _throttled(email, user)
    if not check_password(user, password):
        return _failed(email, user)
    if not user.is_active:
        audit.record_security("login.refused", user_id=user.id, details={"reason": "disabled"})
        return LoginResult(LoginOutcome.DISABLED, user)
    if user.email_verified_at is None:
        audit.record_security("login.refused", user_id=user.id, details={"reason": "unverified"})
        return LoginResult(LoginOutcome.UNVERIFIED, user)
    if user.totp_enabled:
        return LoginResult(LoginOutcome.NEEDS_TOTP, user)
    clear_failed_logins(email)
    return LoginResult(LoginOutcome.OK, user)


def authenticate_second_factor(user_id: uuid.UUID, code: str) -> LoginResult:
    """Second step: a wrong code counts as a failed sign-in for the throttle."""
    user = get_user(user_id)
    if user is None or not user.is_active or not user.totp_enabled:
        return LoginResult(LoginOutcome.INVALID)
    if is_throttled(user.email):
        return _throttled(user.email, user)
    if not use_totp_code(user.id, user.totp_secret, code):
        return _failed(user.email, user, factor="totp")
    clear_failed_logins(user.email)
    return LoginResult(LoginOutcome.OK, user)
