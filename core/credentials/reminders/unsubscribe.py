"""One-click unsubscribe (RFC 8058): signed links, and the opt-outs they record.

The link carries the user and the reminder kind, signed with the app's secret key
(itsdangerous, with a salt of its own so no other signed value can pass for one). It
does not expire: a mail client may follow it long after the email arrived, and all it
can do is stop one kind of email for one person.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.accounts.models import User
from core.accounts.services import public_url
from core.credentials.reminders.models import ReminderKind, ReminderOptOut
from core.db import db
from core.errors import DomainError

SALT = "reminders.unsubscribe"


class BadUnsubscribeLink(DomainError):
    """A link that was not made here, was altered, or names a user who is gone."""

    status = 404
    code = "bad-unsubscribe-link"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(user_id: uuid.UUID, kind: ReminderKind) -> str:
    return _serializer().dumps([str(user_id), str(kind)])


def read_token(token: str) -> tuple[User, ReminderKind]:
    """The user and kind a link stands for; BadUnsubscribeLink if it is not genuine."""
    try:
        user_id, kind = _serializer().loads(token)
        user = db.session.get(User, uuid.UUID(user_id))
        kind = ReminderKind(kind)
    except (BadData, TypeError, ValueError):
        raise BadUnsubscribeLink("invalid unsubscribe link") from None
    if user is None:
        raise BadUnsubscribeLink("invalid unsubscribe link")
    return user, kind


def link_for(user_id: uuid.UUID, kind: ReminderKind) -> str:
    return public_url("reminders.unsubscribe", token=token_for(user_id, kind))


def headers_for(link: str) -> dict[str, str]:
    """The headers that let a mail client offer its own unsubscribe button (RFC 8058),
    and tell auto-responders not to answer (RFC 3834)."""
    return {
        "List-Unsubscribe": f"<{link}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def is_opted_out(user_id: uuid.UUID, kind: ReminderKind) -> bool:
    query = select(ReminderOptOut.id).where(
        ReminderOptOut.user_id == user_id, ReminderOptOut.kind == kind
    )
    return db.session.scalar(query) is not None


def opt_outs(user_ids: Iterable[uuid.UUID]) -> set[tuple[uuid.UUID, ReminderKind]]:
    """(user, kind) for every opt-out of these users."""
    ids = list(user_ids)
    if not ids:
        return set()
    rows = db.session.execute(
        select(ReminderOptOut.user_id, ReminderOptOut.kind).where(ReminderOptOut.user_id.in_(ids))
    )
    return {(user_id, kind) for user_id, kind in rows}


def opt_out(user: User, kind: ReminderKind) -> None:
    """Stop emails of `kind` to `user` (already stopped: nothing changes)."""
    if is_opted_out(user.id, kind):
        return
    try:
        with db.session.begin_nested():
            db.session.add(ReminderOptOut(user_id=user.id, kind=kind))
    except IntegrityError:
        pass  # the same click, twice at once: the other one recorded it
    db.session.commit()
