"""Email verification and password reset, by emailed single-use links."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from core import audit, mail
from core.accounts import sessions
from core.accounts.models import User
from core.accounts.services.links import (
    TokenPurpose,
    consume_token,
    issue_token,
    public_url,
    retire_tokens,
)
from core.accounts.services.throttling import clear_failed_logins, mail_allowed
from core.accounts.services.users import find_user_by_email, set_password
from core.accounts.signals import email_verified
from core.clock import now


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
    if not mail_allowed("verify-resend", email, ip):
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
    if not mail_allowed("password-reset", email, ip):
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
    retire_tokens(user.id, TokenPurpose.RESET_PASSWORD)
    sessions.end_all_sessions(user.id, "password_reset")
    clear_failed_logins(user.email)
    audit.record_security("password.reset", user_id=user.id)
    notify_password_changed(user)
    return user


def notify_password_changed(user: User) -> None:
    # Tells the owner at once if someone else changed it.
    link = public_url("accounts.forgot_password")
    mail.send_template(user.email, "password_changed", user.locale, name=user.name, link=link)
