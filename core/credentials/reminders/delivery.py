"""Record before send, mark sent after: the delivery loop of reminders and digests.

The rows to send were committed before this runs. Each is taken with a row lock
(skipped if another worker holds it, so two runs at once never send the same one),
composed from the current data, sent synchronously, and marked sent in the same
transaction, committed once the SMTP server accepted the message. A crash between the
acceptance and the commit leaves that one row unsent: the next run sends it again,
the only repeat there can be. A row whose email is no longer relevant when its turn
comes (the certification was renewed, the user opted out...) is withdrawn (deleted).
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from core import mail
from core.clock import now
from core.db import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def deliver(model: Any, ids: Iterable[uuid.UUID], compose: Callable[[Any], Outgoing | None]) -> int:
    """Send the rows `ids` of `model` (columns `id`, `sent_at`) still unsent; returns
    how many were sent. `compose` builds a row's email, or None to withdraw it."""
    sent = 0
    for row_id in ids:
        row = db.session.scalar(
            select(model)
            .where(model.id == row_id, model.sent_at.is_(None))
            .with_for_update(skip_locked=True)
        )
        if row is None:  # sent, withdrawn or being sent by another worker meanwhile
            db.session.rollback()
            continue
        outgoing = compose(row)
        if outgoing is None:
            db.session.delete(row)
            db.session.commit()
            continue
        try:
            mail.send_now(outgoing.to, outgoing.subject, outgoing.body, headers=outgoing.headers)
        except smtplib.SMTPRecipientsRefused:
            # One bad address must not hold back everyone else's: left unsent, the row
            # is tried again on the next run.
            db.session.rollback()
            log.warning("reminder refused by the mail server", extra={"row": str(row_id)})
            continue
        row.sent_at = now()
        db.session.commit()
        sent += 1
    return sent
