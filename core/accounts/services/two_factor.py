"""Optional TOTP two-factor authentication (RFC 6238), each code accepted once."""

from __future__ import annotations

import hmac
import uuid
from datetime import timedelta

import pyotp

from core import audit
from core.accounts.models import User
from core.accounts.services.throttling import check_current_password, note_failed_login
from core.clock import now
from core.jobs import redis_connection


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Mediation Hub")


def use_totp_code(user_id: uuid.UUID, secret: str | None, code: str) -> bool:
    """Accept a valid code once: RFC 6238 section 5.2 forbids accepting it a second time."""
    code = "".join((code or "").split())
    if not secret or not (code.isdigit() and len(code) == 6):
        return False
    totp, at = pyotp.TOTP(secret), now()
    for offset in (0, -1, 1):
        moment = at + timedelta(seconds=offset * totp.interval)
        if hmac.compare_digest(totp.at(moment), code):
            key = f"totp-used:{user_id}:{totp.timecode(moment)}"
            return bool(redis_connection().set(key, 1, nx=True, ex=totp.interval * 4))
    return False


def enable_totp(user: User, secret: str, code: str) -> bool:
    """Turn two-factor on once the user proves their app holds `secret`."""
    if user.totp_enabled or not use_totp_code(user.id, secret, code):
        return False
    user.totp_secret, user.totp_enabled_at = secret, now()
    audit.record_security("two_factor.enabled", user_id=user.id)
    return True


def disable_totp(user: User, password: str, code: str) -> bool:
    """Turn two-factor off: needs both the password and a current code."""
    if not user.totp_enabled or not check_current_password(user, password):
        return False
    if not use_totp_code(user.id, user.totp_secret, code):
        note_failed_login(user.email)
        audit.record_security("reauth.failed", user_id=user.id, details={"factor": "totp"})
        return False
    user.totp_secret, user.totp_enabled_at = None, None
    audit.record_security("two_factor.disabled", user_id=user.id)
    return True
