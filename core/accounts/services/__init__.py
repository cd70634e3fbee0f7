"""Account rules: users and passwords, emailed links, throttling, two-factor, and the
sign-in, recovery and settings flows built on them.

Services never touch the request: the web layer (views, `sessions`) passes what they
need and commits. Every security-relevant outcome is written with `audit.record_security`
in the caller's transaction. Callers use this package's names; the modules behind it
each hold one concern.
"""

from core.accounts.services.links import TokenPurpose, consume_token, peek_token, public_url
from core.accounts.services.profile import change_password, update_profile
from core.accounts.services.recovery import (
    request_password_reset,
    resend_email_verification,
    reset_password,
    send_email_verification,
    verify_email,
)
from core.accounts.services.signin import (
    LoginOutcome,
    LoginResult,
    authenticate,
    authenticate_second_factor,
)
from core.accounts.services.throttling import Throttled, throttle_retry_after
from core.accounts.services.two_factor import (
    disable_totp,
    enable_totp,
    new_totp_secret,
    totp_uri,
    use_totp_code,
)
from core.accounts.services.users import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    create_user,
    find_user_by_email,
    get_user,
    hash_password,
    normalize_email,
)

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "LoginOutcome",
    "LoginResult",
    "Throttled",
    "TokenPurpose",
    "authenticate",
    "authenticate_second_factor",
    "change_password",
    "consume_token",
    "create_user",
    "disable_totp",
    "enable_totp",
    "find_user_by_email",
    "get_user",
    "hash_password",
    "new_totp_secret",
    "normalize_email",
    "peek_token",
    "public_url",
    "request_password_reset",
    "resend_email_verification",
    "reset_password",
    "send_email_verification",
    "throttle_retry_after",
    "totp_uri",
    "update_profile",
    "use_totp_code",
    "verify_email",
]
