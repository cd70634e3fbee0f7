"""Emails on each step of a referred case, in each recipient's language (FR/EN).

Subscribed at start-up to `referrals.signals.case_moved`, sent inside the step's
transaction: who is told is read first (a step with nobody to tell costs one query),
then each email is rendered and queued with `core.mail.send_email`, which core.jobs
holds until the commit and drops on a rollback, so nothing leaves for a step that was
not saved.

Who is told:
- of the center's steps (acknowledge to close): the partner, that is the person who sent
  the case while still one of its members, else its administrators; of `assign`, also
  the mediator, when their profile has an account;
- of the partner's steps (created, cancel): the center's owners, administrators and case
  managers. The partner is not told of its own steps.
Nobody is told of a step they took themselves, and nobody gets two emails for one step.

An email says what happened with what the partner may read anyway (the step's
`details`): the center's and the mediator's public names, the status, a decline's
reason, the session's date, the outcome. Never the summary, the parties or the amount;
the center's reasons for overriding a conflict of interest stay in its audit log.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_name
from flask import Flask, current_app
from sqlalchemy import select

from core.accounts.models import User
from core.credentials.models import MediatorProfile
from core.db import db
from core.mail import render, send_email
from core.tenancy import tenant_scope
from referrals import lifecycle, signals
from referrals.models import (
    Partner,
    PartnerMembership,
    PartnerRole,
    Referral,
    ReferralEvent,
    Urgency,
)
from tenants.models import Membership, Role, Tenant

# Which side hears of which step (ReferralEvent.kind); a step in none is told to nobody.
TO_CENTER = frozenset({"created", "cancel"})
TO_PARTNER = frozenset(
    {"acknowledge", "accept", "decline", "assign", "schedule", "record_outcome", "close"}
)
TO_MEDIATOR = frozenset({"assign"})
TOLD = TO_CENTER | TO_PARTNER | TO_MEDIATOR

CASE_ROLES = (Role.OWNER, Role.ADMIN, Role.CASE_MANAGER)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _one_line(text: str) -> str:
    """A free text (the partner's reference) made safe for a subject line."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _locale(user: User, center: Tenant) -> str:
    languages = current_app.config["LANGUAGES"]
    for choice in (user.locale, center.locale):
        if choice in languages:
            return choice
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _session_date(iso: str | None, center: Tenant, locale: str) -> dict[str, str]:
    """The session's date, in the center's time zone and the reader's language."""
    if not iso:
        return {}
    zone = ZoneInfo(center.timezone)
    at = datetime.fromisoformat(iso).astimezone(zone)
    return {
        "date": format_date(at, "full", locale=locale),
        "time": format_time(at, "short", tzinfo=zone, locale=locale),
        "zone": get_timezone_name(zone, "long", zone_variant="generic", locale=locale),
    }


# --- who ---------------------------------------------------------------------------------


def _partner_people(referral: Referral) -> tuple[list[User], bool]:
    """(the partner's recipients, whether that is the case's sender)."""
    members = [
        m
        for m in db.session.scalars(
            select(PartnerMembership)
            .where(PartnerMembership.partner_id == referral.partner_id)
            .order_by(PartnerMembership.created_at, PartnerMembership.id)
        )
        if not m.user.is_disabled
    ]
    sender = [m.user for m in members if m.user_id == referral.created_by_id]
    if sender:
        return sender, True
    return [m.user for m in members if m.role == PartnerRole.ADMIN], False


def _case_managers() -> list[User]:
    """The current center's owners, administrators and case managers."""
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.role.in_(CASE_ROLES))
        .order_by(Membership.created_at, Membership.id)
    )
    return [m.user for m in rows if not m.user.is_disabled]


def _mediator(referral: Referral) -> tuple[User | None, bool]:
    """(the assigned mediator's account if any, whether they belong to the center)."""
    profile_id = referral.mediator_profile_id
    profile = db.session.get(MediatorProfile, profile_id) if profile_id else None
    user = profile.user if profile is not None else None
    if user is None or user.is_disabled:
        return None, False
    member = db.session.scalar(select(Membership.id).where(Membership.user_id == user.id))
    return user, member is not None


# --- what ---------------------------------------------------------------------------------


def _links(referral: Referral, center: Tenant, partner: Partner) -> tuple[str, str]:
    """The case in the partner's portal and in the center's inbox (plain paths: the
    pages may be served by either side's blueprint)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return (
        f"{base}/p/{partner.slug}/referrals/{referral.id}",
        f"{base}/c/{center.slug}/referrals/{referral.id}",
    )


def _facts(referral: Referral, event: ReferralEvent, center: Tenant, partner: Partner) -> dict:
    details = event.details or {}
    return {
        "step": event.kind,
        "case": _one_line(referral.reference or str(referral.id)),
        "center": center.legal_name,
        "partner": partner.name,
        "status": lifecycle.STATUS_LABELS[event.status],
        "urgent": referral.urgency == Urgency.URGENT,
        "mediator": details.get("mediator"),
        "reason": details.get("reason"),
        "outcome": details.get("outcome"),
        "scheduled_at": details.get("scheduled_at"),
    }


def _mail(user: User, template: str, center: Tenant, facts: dict, **extra: Any) -> None:
    """Render `templates/mail/<template>.txt` in the user's language and queue it."""
    locale = _locale(user, center)
    context = {**facts, **_session_date(facts["scheduled_at"], center, locale), **extra}
    subject, body = render(template, locale, name=user.name, **context)
    send_email.delay(to=user.email, subject=subject, body=body)


@dataclass(frozen=True)
class Recipient:
    user: User
    template: str  # templates/mail/<template>.txt
    link: str | None  # the case's page on the "partner" or "center" side, or none
    extra: dict[str, Any] = field(default_factory=dict)


def _recipients(referral: Referral, event: ReferralEvent) -> list[Recipient]:
    """Who is told of the step, each person once, never the one who took it."""
    kind = event.kind
    told: set[uuid.UUID] = {event.actor_user_id} if event.actor_user_id else set()

    def first_time(user: User) -> bool:
        fresh = user.id not in told
        told.add(user.id)
        return fresh

    found: list[Recipient] = []
    if kind in TO_PARTNER:
        people, as_sender = _partner_people(referral)
        extra = {"as_sender": as_sender}
        found += [
            Recipient(u, "referral_partner", "partner", extra) for u in filter(first_time, people)
        ]
    if kind in TO_MEDIATOR:
        user, member = _mediator(referral)
        if user is not None and first_time(user):
            found.append(Recipient(user, "referral_mediator", "center" if member else None))
    if kind in TO_CENTER:
        managers = filter(first_time, _case_managers())
        found += [Recipient(u, "referral_center", "center") for u in managers]
    return found


def notify(referral: Referral, event: ReferralEvent) -> int:
    """Queue the emails of one step of `referral`; returns how many."""
    if event.kind not in TOLD:
        return 0
    # Reading the center's members needs its scope, whichever side moved the case; the
    # step's own rows are flushed by its service, not here.
    with tenant_scope(referral.tenant_id), db.session.no_autoflush:
        recipients = _recipients(referral, event)
        if not recipients:  # a center or partner with nobody to tell: one query
            return 0
        center = referral.center
        partner = db.session.get(Partner, referral.partner_id)
        partner_link, center_link = _links(referral, center, partner)
        links = {"partner": partner_link, "center": center_link, None: None}
        facts = _facts(referral, event, center, partner)
        for to in recipients:
            _mail(to.user, to.template, center, facts, link=links[to.link], **to.extra)
    return len(recipients)


def _on_case_moved(referral: Referral, *, event: ReferralEvent, **_extra: Any) -> None:
    notify(referral, event)


def init_app(app: Flask) -> None:
    """Email each step of a case (the signal is process-wide: connected once)."""
    signals.case_moved.connect(_on_case_moved)
