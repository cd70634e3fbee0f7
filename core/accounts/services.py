"""Account rules: users, passwords (argon2id), emailed tokens, throttling, TOTP, and the
sign-in, reset, verification and settings flows built on them.

Services never touch the request: the web layer (views, `sessions`) passes what they
need and commits. Every security-relevant outcome is written with `audit.record_security`
in the caller's transaction.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from core import audit, mail
from core.accounts import sessions
from core.accounts.models import AccountToken, User, UserSession
from core.accounts.signals import email_verified
from core.accounts.tokens import hash_token, new_token
from core.clock import now
from core.db import db
from core.errors import DomainError
from core.jobs import redis_connection

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps the time of a login for an unknown email the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200  # argon2 cost grows with input; nobody types more than this
# Emailed links: a mailbox must not be flooded, and nobody learns who has an account.
MAIL_LIMIT_PER_ADDRESS = (3, timedelta(hours=1))
MAIL_LIMIT_PER_IP = (20, timedelta(hours=1))


class TokenPurpose:
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a token purpose


class Throttled(DomainError):
    """Too many failed attempts on a credential; answered with 429."""

    status = 429
    code = "throttled"


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


def public_url(endpoint: str, **values: str) -> str:
    """An absolute link for an email, built without a request (jobs, CLI, sign-up)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


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


def _retire_tokens(user_id: uuid.UUID, purpose: str) -> None:
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


# --- throttling and rate limits ----------------------------------------------------


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
    key = f"rate:{bucket}:{hash_token(subject)}"
    conn = redis_connection()
    # Creating the key with its expiry first means a crash can never leave a counter
    # without one (INCR keeps the TTL).
    conn.set(key, 0, ex=int(window.total_seconds()), nx=True)
    return int(conn.incr(key)) > limit


def _mail_allowed(bucket: str, email: str, ip: str | None) -> bool:
    per_address = over_limit(bucket, normalize_email(email), *MAIL_LIMIT_PER_ADDRESS)
    per_ip = over_limit(f"{bucket}-ip", ip or "unknown", *MAIL_LIMIT_PER_IP)
    return not (per_address or per_ip)


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


def get_user(user_id: uuid.UUID) -> User | None:
    return db.session.get(User, user_id)


# --- sign-in -----------------------------------------------------------------------


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


def _check_current_password(user: User, password: str) -> bool:
    """Re-authentication inside the account: guessed like a sign-in, so throttled alike."""
    if is_throttled(user.email):
        raise Throttled(_("Too many failed attempts. Please wait before trying again."))
    if check_password(user, password):
        return True
    note_failed_login(user.email)
    audit.record_security("reauth.failed", user_id=user.id)
    return False


# --- emails: verification and password reset ---------------------------------------


def _send_link(user: User, purpose: str, ttl: timedelta, endpoint: str, **context: int) -> None:
    # The mail template is named after the token's purpose (mail/verify_email.txt, ...).
    token = issue_token(user, purpose, ttl)
    link = public_url(endpoint, token=token)
    mail.send_template(user.email, purpose, user.locale, name=user.name, link=link, **context)


def send_email_verification(user: User) -> None:
    """Email `user` a link that verifies their address (sent once the caller commits)."""
    ttl = current_app.config["EMAIL_TOKEN_TTL"]
    hours = int(ttl.total_seconds() // 3600)
    _send_link(user, TokenPurpose.VERIFY_EMAIL, ttl, "accounts.verify_email", hours=hours)


def resend_email_verification(email: str, ip: str | None) -> bool:
    """Send a new link if the address has an unverified account. Returns False only when
    rate-limited, which is counted the same for unknown addresses."""
    if not _mail_allowed("verify-resend", email, ip):
        return False
    user = find_user_by_email(email)
    if user is not None and user.is_active and user.email_verified_at is None:
        send_email_verification(user)
    return True


def verify_email(token: str) -> User | None:
    """Use a verification link. Subscribers of `email_verified` write in this same
    transaction, so the caller's commit makes the whole activation atomic."""
    user = consume_token(token, TokenPurpose.VERIFY_EMAIL)
    if user is None:
        return None
    if user.email_verified_at is None:
        user.email_verified_at = now()
        audit.record_security("email.verified", user_id=user.id)
        email_verified.send(current_app._get_current_object(), user=user)
    return user


def request_password_reset(email: str, ip: str | None) -> bool:
    """Email a reset link if the account exists. Returns False only when rate-limited."""
    if not _mail_allowed("password-reset", email, ip):
        return False
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return True
    ttl = current_app.config["RESET_TOKEN_TTL"]
    minutes = int(ttl.total_seconds() // 60)
    _send_link(user, TokenPurpose.RESET_PASSWORD, ttl, "accounts.reset_password", minutes=minutes)
    audit.record_security("password.reset_requested", user_id=user.id)
    return True


def reset_password(token: str, password: str) -> User | None:
    """Use a reset link: new password, every session ended, lockout lifted."""
    user = consume_token(token, TokenPurpose.RESET_PASSWORD)
    if user is None:
        return None
    set_password(user, password)
    _retire_tokens(user.id, TokenPurpose.RESET_PASSWORD)
    sessions.end_all_sessions(user.id, "password_reset")
    clear_failed_logins(user.email)
    audit.record_security("password.reset", user_id=user.id)
    _notify_password_changed(user)
    return user


def _notify_password_changed(user: User) -> None:
    # Tells the owner at once if someone else changed it.
    link = public_url("accounts.forgot_password")
    mail.send_template(user.email, "password_changed", user.locale, name=user.name, link=link)


# --- account settings --------------------------------------------------------------


def update_profile(user: User, *, name: str, locale: str) -> list[str]:
    """Change name and language; returns the fields that changed (audited)."""
    changes = {"name": name.strip(), "locale": locale}
    changed = [field for field, value in changes.items() if getattr(user, field) != value]
    for field in changed:
        setattr(user, field, changes[field])
    if changed:
        audit.record_security("account.updated", user_id=user.id, details={"fields": changed})
    return changed


def end_other_sessions(user_id: uuid.UUID, current_token: str | None, reason: str) -> None:
    """End every session of the user except the one making the request."""
    query = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None)
    )
    if current_token:
        query = query.where(UserSession.token_hash != hash_token(current_token))
    db.session.execute(
        query.values(ended_at=now(), end_reason=reason).execution_options(synchronize_session=False)
    )


def change_password(user: User, current: str, new: str, current_session_token: str | None) -> bool:
    """Change the password after re-checking the current one; other sessions end."""
    if not _check_current_password(user, current):
        return False
    set_password(user, new)
    _retire_tokens(user.id, TokenPurpose.RESET_PASSWORD)
    end_other_sessions(user.id, current_session_token, "password_changed")
    audit.record_security("password.changed", user_id=user.id)
    _notify_password_changed(user)
    return True


def enable_totp(user: User, secret: str, code: str) -> bool:
    """Turn two-factor on once the user proves their app holds `secret`."""
    if user.totp_enabled or not use_totp_code(user.id, secret, code):
        return False
    user.totp_secret, user.totp_enabled_at = secret, now()
    audit.record_security("two_factor.enabled", user_id=user.id)
    return True


def disable_totp(user: User, password: str, code: str) -> bool:
    """Turn two-factor off: needs both the password and a current code."""
    if not user.totp_enabled or not _check_current_password(user, password):
        return False
    if not use_totp_code(user.id, user.totp_secret, code):
        note_failed_login(user.email)
        audit.record_security("reauth.failed", user_id=user.id, details={"factor": "totp"})
        return False
    user.totp_secret, user.totp_enabled_at = None, None
    audit.record_security("two_factor.disabled", user_id=user.id)
    return True
