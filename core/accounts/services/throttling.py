"""Failed sign-ins lock an address for a while; emailed links are rate-limited."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from core import audit, ratelimit
from core.accounts.models import User
from core.accounts.services.users import check_password, normalize_email
from core.accounts.tokens import hash_token
from core.errors import DomainError
from core.jobs import redis_connection

# Emailed links: a mailbox must not be flooded, and nobody learns who has an account.
MAIL_LIMIT_PER_ADDRESS = (3, timedelta(hours=1))
MAIL_LIMIT_PER_IP = (20, timedelta(hours=1))


class Throttled(DomainError):
    """Too many failed attempts on a credential; answered with 429."""

    status = 429
    code = "throttled"


def _failure_key(email: str) -> str:
    return f"login-failures:{hash_token(normalize_email(email))}"


def is_throttled(email: str) -> bool:
    failures = redis_connection().get(_failure_key(email))
    return int(failures or 0) >= current_app.config["LOGIN_MAX_FAILURES"]


def throttle_retry_after(email: str) -> int:
    """Seconds until a throttled address may try again (for the Retry-After header)."""
    ttl = int(redis_connection().ttl(_failure_key(email)))
    return ttl if ttl > 0 else int(current_app.config["LOGIN_LOCKOUT"].total_seconds())


def note_failed_login(email: str) -> int:
    key = _failure_key(email)
    conn = redis_connection()
    count = int(conn.incr(key))
    conn.expire(key, int(current_app.config["LOGIN_LOCKOUT"].total_seconds()))
    return count


def clear_failed_logins(email: str) -> None:
    redis_connection().delete(_failure_key(email))


def over_limit(bucket: str, subject: str, limit: int, window: timedelta) -> bool:
    """Count one event for `subject` in a fixed window; True once past `limit`."""
    policy = ratelimit.Policy(bucket, limit, int(window.total_seconds()))
    return not ratelimit.hit(policy, subject).allowed


def mail_allowed(bucket: str, email: str, ip: str | None) -> bool:
    per_address = over_limit(bucket, normalize_email(email), *MAIL_LIMIT_PER_ADDRESS)
    per_ip = over_limit(f"{bucket}-ip", ip or "unknown", *MAIL_LIMIT_PER_IP)
    return not (per_address or per_ip)


def check_current_password(user: User, password: str) -> bool:
    """Re-authentication inside the account: guessed like a sign-in, so throttled alike."""
    if is_throttled(user.email):
        raise Throttled(_("Too many failed attempts. Please wait before trying again."))
    if check_password(user, password):
        return True
    note_failed_login(user.email)
    audit.record_security("reauth.failed", user_id=user.id)
    return False
