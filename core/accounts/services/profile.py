"""A signed-in user's own settings: name, language, password."""

from __future__ import annotations

from core import audit
from core.accounts import sessions
from core.accounts.models import User
from core.accounts.services.links import TokenPurpose, retire_tokens
from core.accounts.services.recovery import notify_password_changed
from core.accounts.services.throttling import check_current_password
from core.accounts.services.users import set_password


def update_profile(user: User, *, name: str, locale: str) -> list[str]:
    """Change name and language; returns the fields that changed (audited)."""
    changes = {"name": name.strip(), "locale": locale}
    changed = [field for field, value in changes.items() if getattr(user, field) != value]
    for field in changed:
        setattr(user, field, changes[field])
    if changed:
        audit.record_security("account.updated", user_id=user.id, details={"fields": changed})
    return changed


def change_password(user: User, current: str, new: str, current_session_token: str | None) -> bool:
    """Change the password after re-checking the current one; other sessions end."""
    if not check_current_password(user, current):
        return False
    set_password(user, new)
    retire_tokens(user.id, TokenPurpose.RESET_PASSWORD)
    sessions.end_other_sessions(user.id, current_session_token, "password_changed")
    audit.record_security("password.changed", user_id=user.id)
    notify_password_changed(user)
    return True
