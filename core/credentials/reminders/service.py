"""The mediators' reminders: what is due today is recorded, then sent.

Who gets reminders: the mediator of a claimed profile (an unclaimed one has nobody to
write to), whose account is not disabled, about each certification that is neither
revoked nor replaced by a later one of the same scheme. What is due comes from the
certification's standing (core.credentials.standing) through `due.due_for`, and is
checked again just before sending: a row recorded on a crashed run and no longer
relevant on the next is withdrawn, not sent.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import mail
from core.accounts.models import User
from core.accounts.services import public_url
from core.clock import now
from core.credentials.compliance import Assessment
from core.credentials.compliance.wording import describe
from core.credentials.models import Certification, MediatorProfile
from core.credentials.reminders import unsubscribe
from core.credentials.reminders.delivery import Outgoing, deliver
from core.credentials.reminders.due import Due, due_for
from core.credentials.reminders.models import Reminder, ReminderKind
from core.credentials.standing import standing
from core.db import db

log = logging.getLogger(__name__)

# The band each expiry reminder stands for, in days before the last valid day.
BAND_DAYS = {
    ReminderKind.EXPIRY_90: 90,
    ReminderKind.EXPIRY_30: 30,
    ReminderKind.EXPIRY_7: 7,
}


def assessed(certification: Certification, on: date) -> Assessment | None:
    """The certification's standing, or None (logged) if its scheme's stored rules do
    not read: one bad catalogue entry must not stop everyone else's reminders."""
    try:
        return standing(certification, on)
    except ValueError:
        log.exception("unreadable scheme rules", extra={"scheme": str(certification.scheme_id)})
        return None


def today() -> date:
    """The platform's date (its default time zone): the day the daily run is about."""
    return now().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def locale_of(user: User) -> str:
    if user.locale in current_app.config["LANGUAGES"]:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


# --- whom and what ---------------------------------------------------------------------


def latest_only(certifications: list[Certification]) -> list[Certification]:
    """Drop certifications replaced by a later one of the same scheme (a renewal): an
    old one's expiry calls for no reminder and no follow-up."""
    latest: dict[tuple[uuid.UUID, uuid.UUID], date] = {}
    for c in certifications:
        key = (c.profile_id, c.scheme_id)
        latest[key] = max(latest.get(key, c.issued_on), c.issued_on)
    return [c for c in certifications if c.issued_on == latest[(c.profile_id, c.scheme_id)]]


def reminded_certifications() -> list[Certification]:
    """The certifications whose holders get reminders (see the module's docstring)."""
    query = (
        select(Certification)
        .join(MediatorProfile, MediatorProfile.id == Certification.profile_id)
        .join(User, User.id == MediatorProfile.user_id)
        .where(Certification.revoked_at.is_(None), User.is_disabled.is_(False))
        .order_by(Certification.id)
    )
    return latest_only(list(db.session.scalars(query)))


def _is_reminded(certification: Certification, user: User | None) -> bool:
    if certification.is_revoked or user is None or user.is_disabled:
        return False
    later = select(Certification.id).where(
        Certification.profile_id == certification.profile_id,
        Certification.scheme_id == certification.scheme_id,
        Certification.revoked_at.is_(None),
        Certification.issued_on > certification.issued_on,
    )
    return db.session.scalar(later.limit(1)) is None


# --- record ----------------------------------------------------------------------------


def _record(certification_id: uuid.UUID, user_id: uuid.UUID, due: Due) -> bool:
    """Add the reminder unless recorded already; True if added."""
    recorded = select(Reminder.id).where(
        Reminder.kind == due.kind,
        Reminder.certification_id == certification_id,
        Reminder.occasion == due.occasion,
        Reminder.user_id == user_id,
    )
    if db.session.scalar(recorded) is not None:
        return False
    row = Reminder(
        kind=due.kind, certification_id=certification_id, occasion=due.occasion, user_id=user_id
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return False  # a run at the same time recorded it first
    return True


def plan(on: date) -> int:
    """Record every reminder due on `on` that is neither recorded nor opted out of, and
    commit them all before anything is sent. Returns how many were added."""
    certifications = reminded_certifications()
    stopped = unsubscribe.opt_outs({c.profile.user_id for c in certifications})
    added = 0
    for certification in certifications:
        user_id = certification.profile.user_id
        assert user_id is not None  # reminded_certifications joins the profile's user
        found = assessed(certification, on)
        for due in due_for(found, on) if found is not None else ():
            if (user_id, due.kind) not in stopped and _record(certification.id, user_id, due):
                added += 1
    db.session.commit()
    return added


def pending() -> list[uuid.UUID]:
    query = (
        select(Reminder.id)
        .where(Reminder.sent_at.is_(None))
        .order_by(Reminder.created_at, Reminder.id)
    )
    return list(db.session.scalars(query))


# --- send ------------------------------------------------------------------------------


def _message(
    row: Reminder, certification: Certification, user: User, found: Assessment
) -> Outgoing:
    locale = locale_of(user)
    link = unsubscribe.link_for(user.id, row.kind)
    context = {
        "name": user.name,
        "scheme": certification.scheme.name,
        "number": certification.number,
        "link": public_url("credentials.training"),
        "unsubscribe": link,
    }
    if row.kind == ReminderKind.HOURS_SHORT:
        template = "reminder_hours_short"
        context["issues"] = [describe(i, locale) for i in found.issues if i.hours_due]
    else:
        template = "reminder_expiry"
        valid_until = found.valid_until
        assert valid_until is not None  # an expiry reminder is due only with a date
        context["valid_until"] = format_date(valid_until, "long", locale=locale)
        context["days"] = (valid_until - found.on).days
        context["band"] = BAND_DAYS[row.kind]
    subject, body = mail.render(template, locale, **context)
    return Outgoing(user.email, subject, body, unsubscribe.headers_for(link))


def compose(row: Reminder, on: date) -> Outgoing | None:
    """The reminder's email from today's data, or None when it is no longer due."""
    certification = db.session.get(Certification, row.certification_id)
    if certification is None:
        return None
    user = certification.profile.user
    if not _is_reminded(certification, user) or user.id != row.user_id:
        return None
    if unsubscribe.is_opted_out(user.id, row.kind):
        return None
    found = assessed(certification, on)
    if found is None or Due(row.kind, row.occasion) not in due_for(found, on):
        return None
    return _message(row, certification, user, found)


def run(on: date) -> tuple[int, int]:
    """Record what is due on `on`, then send every unsent reminder still due.
    Returns (recorded, sent)."""
    added = plan(on)
    sent = deliver(Reminder, pending(), lambda row: compose(row, on))
    return added, sent
