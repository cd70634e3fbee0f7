"""The weekly digest to each center's owners and admins: their mediators'
certifications that need following up, and the training records awaiting verification.

The weekly run enqueues one job per live center; each runs inside that center's scope,
so the ORM guard and row-level security keep every read of affiliations and
memberships to the center. Certifications are read from core.credentials (standing),
for the mediators of the center's live affiliations only. The digest names the
mediator, the scheme, the status and its issues in words: nothing of the affiliation
itself (internal notes, rate) is read. Like the mediators' reminders, each email is a
row recorded before it is sent and marked sent after, once per recipient and week,
with a one-click unsubscribe (kind `center_digest`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import mail
from core.accounts.models import User
from core.accounts.services import public_url
from core.clock import now
from core.credentials.compliance import Assessment, Status
from core.credentials.compliance.wording import describe
from core.credentials.models import (
    Certification,
    MediatorProfile,
    TrainingRecord,
    VerificationStatus,
)
from core.credentials.reminders import unsubscribe
from core.credentials.reminders.delivery import Outgoing, deliver
from core.credentials.reminders.models import ReminderKind
from core.credentials.reminders.service import assessed, latest_only, locale_of
from core.db import db
from core.jobs import RECURRING, Recurring, job
from core.tenancy import current_tenant_id
from tenants.digest_models import CenterDigest
from tenants.models import (
    MANAGER_ROLES,
    Affiliation,
    AffiliationStatus,
    Membership,
    Tenant,
    TenantStatus,
)

KIND = ReminderKind.CENTER_DIGEST
WEEKLY = Recurring("tenants.digest.send_center_digests", cron="13 6 * * 1")
# What a center has to follow up; revoked certifications are final and left out.
ATTENTION = (Status.EXPIRED, Status.EXPIRING, Status.HOURS_SHORT, Status.UNVERIFIED)


@dataclass(frozen=True)
class Item:
    mediator: str
    certification: Certification
    found: Assessment


@dataclass(frozen=True)
class Report:
    items: list[Item]
    pending_records: int

    @property
    def is_empty(self) -> bool:
        return not self.items and not self.pending_records


def week_of(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def center_today(tenant: Tenant) -> date:
    return now().astimezone(ZoneInfo(tenant.timezone)).date()


def report(on: date) -> Report:
    """What the current center has to follow up on `on`."""
    profiles = list(
        db.session.scalars(
            select(MediatorProfile)
            .join(Affiliation, Affiliation.profile_id == MediatorProfile.id)
            .where(Affiliation.status != AffiliationStatus.ENDED)
            .order_by(MediatorProfile.display_name, MediatorProfile.id)
        )
    )
    ids = [p.id for p in profiles]
    if not ids:
        return Report([], 0)
    certifications = latest_only(
        list(
            db.session.scalars(
                select(Certification)
                .where(Certification.profile_id.in_(ids), Certification.revoked_at.is_(None))
                .order_by(Certification.issued_on, Certification.id)
            )
        )
    )
    names = {p.id: p.display_name for p in profiles}
    items = []
    for certification in certifications:
        found = assessed(certification, on)
        if found is not None and found.status in ATTENTION:
            items.append(Item(names[certification.profile_id], certification, found))
    items.sort(key=lambda item: (item.mediator.lower(), item.certification.scheme.name))
    pending = db.session.scalar(
        select(func.count())
        .select_from(TrainingRecord)
        .where(
            TrainingRecord.profile_id.in_(ids),
            TrainingRecord.verification_status == VerificationStatus.PENDING,
        )
    )
    return Report(items, pending or 0)


def _managers() -> list[User]:
    """The current center's owners and admins whose account is usable."""
    query = (
        select(Membership)
        .where(Membership.role.in_(MANAGER_ROLES))
        .order_by(Membership.created_at, Membership.id)
    )
    return [m.user for m in db.session.scalars(query) if not m.user.is_disabled]


def _record(user_id: uuid.UUID, week: str) -> bool:
    recorded = select(CenterDigest.id).where(
        CenterDigest.user_id == user_id, CenterDigest.week == week
    )
    if db.session.scalar(recorded) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(CenterDigest(user_id=user_id, week=week))
    except IntegrityError:
        return False  # a run at the same time recorded it first
    return True


def plan(on: date) -> int:
    """Record this week's digest for each manager not opted out, when there is
    anything to report; commits before anything is sent. Returns how many were added."""
    if report(on).is_empty:
        return 0
    managers = _managers()
    stopped = unsubscribe.opt_outs(u.id for u in managers)
    week = week_of(on)
    added = sum(1 for u in managers if (u.id, KIND) not in stopped and _record(u.id, week))
    db.session.commit()
    return added


def _message(tenant: Tenant, user: User, found: Report, on: date) -> Outgoing:
    locale = locale_of(user)
    link = unsubscribe.link_for(user.id, KIND)
    items = [
        {
            "mediator": item.mediator,
            "scheme": item.certification.scheme.name,
            "number": item.certification.number,
            "status": str(item.found.status),
            "sentences": [
                describe(issue, locale)
                for issue in item.found.issues
                if issue.status != Status.COMPLIANT
            ],
        }
        for item in found.items
    ]
    monday = on - timedelta(days=on.weekday())
    subject, body = mail.render(
        "center_digest",
        locale,
        name=user.name,
        center=tenant.legal_name,
        week_of=format_date(monday, "long", locale=locale),
        items=items,
        pending=found.pending_records,
        link=public_url("mediators.compliance", slug=tenant.slug),
        unsubscribe=link,
    )
    return Outgoing(user.email, subject, body, unsubscribe.headers_for(link))


def compose(row: CenterDigest, tenant: Tenant, on: date) -> Outgoing | None:
    """The digest from today's data, or None when it is no longer due: another week,
    a recipient no longer a manager or who opted out, nothing left to report."""
    if row.week != week_of(on):
        return None
    user = next((u for u in _managers() if u.id == row.user_id), None)
    if user is None or unsubscribe.is_opted_out(user.id, KIND):
        return None
    found = report(on)
    if found.is_empty:
        return None
    return _message(tenant, user, found, on)


def run(tenant: Tenant, on: date) -> tuple[int, int]:
    """The current center's digest for the week of `on`: (recorded, sent)."""
    added = plan(on)
    unsent = select(CenterDigest.id).where(CenterDigest.sent_at.is_(None))
    ids = list(db.session.scalars(unsent.order_by(CenterDigest.created_at, CenterDigest.id)))
    sent = deliver(CenterDigest, ids, lambda row: compose(row, tenant, on))
    return added, sent


# --- jobs --------------------------------------------------------------------------------


@job("default")
def send_center_digests() -> None:
    """Weekly: one digest job per live center, each in that center's scope."""
    live = select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
    for tenant_id in db.session.scalars(live):
        send_center_digest.delay(tenant_id=str(tenant_id))


@job("default", timeout=1800)
def send_center_digest() -> None:
    """The digest of the center whose scope the job was given."""
    tenant = db.session.get(Tenant, current_tenant_id())
    if tenant is None or not tenant.is_live:
        return
    run(tenant, center_today(tenant))


def init_app(app: Flask) -> None:
    """Declare the weekly run among the recurring jobs (once per process)."""
    if WEEKLY not in RECURRING:
        RECURRING.append(WEEKLY)
