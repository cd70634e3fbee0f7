"""Web sessions: a server-side record per sign-in, with idle and absolute timeouts.

The signed cookie carries only the user id and a random session token; the token's
hash names a `UserSession` row, checked on every request. Signing in clears the
cookie and issues a new token (no session fixation); ending the row (sign-out,
timeout, password reset, removal) ends the session at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import Flask, current_app, flash, request, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy import select, update

from core import audit
from core.accounts.models import User, UserSession
from core.accounts.tokens import hash_token, new_token
from core.clock import now
from core.db import db

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please sign in to continue.")
login_manager.login_message_category = "info"

# Writing last_seen on every request would turn each page view into a write.
LAST_SEEN_GRANULARITY = timedelta(seconds=60)


def start_session(user: User) -> UserSession:
    """Sign `user` in with a fresh session id; the old cookie content is discarded."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    token, token_hash = new_token()
    record = UserSession(
        user_id=user.id,
        token_hash=token_hash,
        ip=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:255],
        created_at=now(),
        last_seen_at=now(),
    )
    db.session.add(record)
    session["sid"] = token
    session.permanent = True
    login_user(user)
    audit.record_security("login.succeeded", user_id=user.id)
    return record


def end_session(reason: str = "logout") -> None:
    token = session.get("sid")
    if token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == hash_token(token), UserSession.ended_at.is_(None))
            .values(ended_at=now(), end_reason=reason)
        )
    logout_user()
    session.pop("sid", None)


def end_all_sessions(user_id: uuid.UUID, reason: str) -> None:
    """End every session of a user (password reset, account disabled)."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now(), end_reason=reason)
    )


def _expiry_reason(record: UserSession, at: datetime) -> str | None:
    config = current_app.config
    if at - record.created_at >= config["SESSION_ABSOLUTE_TIMEOUT"]:
        return "absolute_timeout"
    if at - record.last_seen_at >= config["SESSION_IDLE_TIMEOUT"]:
        return "idle_timeout"
    return None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    token = session.get("sid")
    if not token:
        return None
    record = db.session.scalar(
        select(UserSession).where(UserSession.token_hash == hash_token(token))
    )
    if record is None or record.ended_at is not None or str(record.user_id) != user_id:
        session.pop("sid", None)
        return None
    at = now()
    reason = _expiry_reason(record, at)
    if reason:
        record.ended_at, record.end_reason = at, reason
        audit.record_security(f"session.{reason}", user_id=record.user_id)
        db.session.commit()
        session.clear()
        flash(_l("Your session has expired. Please sign in again."), "warning")
        return None
    user = db.session.get(User, record.user_id)
    if user is None or not user.is_active:
        return None
    if at - record.last_seen_at >= LAST_SEEN_GRANULARITY:
        record.last_seen_at = at
        db.session.commit()
    return user


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.unauthorized_handler(_unauthorized)


def _unauthorized():
    from flask import abort, redirect, url_for

    from core.errors import wants_problem_json

    if wants_problem_json():
        abort(401)
    if request.method == "GET":
        flash(login_manager.login_message, "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    abort(401)


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
