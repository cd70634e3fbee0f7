"""Dunning: the emails of a past-due episode, each sent once.

A periodic task (`sweep`) looks at every account whose payment failed and sends the
center's owners and administrators the email of the stage it has reached:

1. `payment_failed` as soon as the subscription is past due;
2. `three_days_left` three days before the grace period ends;
3. `read_only` once it has ended (the workspace is then read-only).

`dunning_stage` remembers the last one sent; it moves forward with a conditional
UPDATE, so two workers never send the same email twice, and the email is queued in
that same transaction (dropped if it rolls back). Paying ends the episode:
`subscriptions.refresh_subscription` clears `past_due_since` and `dunning_stage`.
A sweep that starts late sends only the latest stage due.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale, format_date
from sqlalchemy import select, update

from core.billing.client import billing_enabled
from core.billing.entitlements import billing_url, grace_end
from core.billing.models import BillingAccount, DunningStage, SubscriptionStatus
from core.billing.plans import plan_for
from core.clock import now
from core.db import db
from core.jobs import job
from core.mail import send_template

ORDER = (DunningStage.PAYMENT_FAILED, DunningStage.THREE_DAYS_LEFT, DunningStage.READ_ONLY)
WARNING_BEFORE_END = timedelta(days=3)
TEMPLATES = {
    DunningStage.PAYMENT_FAILED: "billing_payment_failed",
    DunningStage.THREE_DAYS_LEFT: "billing_three_days_left",
    DunningStage.READ_ONLY: "billing_read_only",
}


@dataclass(frozen=True)
class Contacts:
    """Who hears about a center's billing: its name and its managers (email, language)."""

    center: str
    recipients: list[tuple[str, str]]


ContactsProvider = Callable[[uuid.UUID], Contacts | None]
_providers: dict[str, ContactsProvider] = {}


def register_contacts_provider(fn: ContactsProvider) -> None:
    """`fn(tenant_id)` returns the center's Contacts (tenants registers it)."""
    _providers["contacts"] = fn


def stage_due(account: BillingAccount, at: datetime) -> DunningStage | None:
    """The stage a past-due (or unpaid) account has reached at `at`."""
    if account.status == SubscriptionStatus.UNPAID:
        return DunningStage.READ_ONLY
    if account.status != SubscriptionStatus.PAST_DUE:
        return None
    ends = grace_end(account)
    if at >= ends:
        return DunningStage.READ_ONLY
    if at >= ends - WARNING_BEFORE_END:
        return DunningStage.THREE_DAYS_LEFT
    return DunningStage.PAYMENT_FAILED


def _later(stage: DunningStage, than: str | None) -> bool:
    if than is None:
        return True
    return ORDER.index(stage) > ORDER.index(DunningStage(than))


def _advance(account: BillingAccount, stage: DunningStage) -> bool:
    """Move the account's stage from the one read to `stage`; False when another run
    moved it first."""
    previous = account.dunning_stage
    condition = (
        BillingAccount.dunning_stage.is_(None)
        if previous is None
        else BillingAccount.dunning_stage == previous
    )
    result = db.session.execute(
        update(BillingAccount)
        .where(BillingAccount.id == account.id, condition)
        .values(dunning_stage=stage.value)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _notify(account: BillingAccount, stage: DunningStage) -> None:
    provider = _providers.get("contacts")
    contacts = provider(account.tenant_id) if provider else None
    if contacts is None:
        return
    plan = plan_for(account.plan_code)
    ends = grace_end(account)
    link = billing_url(account.tenant_id, external=True) or ""
    for email, locale in contacts.recipients:
        with force_locale(locale):
            ends_text = format_date(ends, "long")
        send_template(
            email,
            TEMPLATES[stage],
            locale,
            center=contacts.center,
            plan=plan.name if plan else "",
            ends=ends_text,
            link=link,
        )


def remind(account_id: uuid.UUID) -> DunningStage | None:
    """Send the account's due email if not sent yet; returns the stage sent."""
    account = db.session.get(BillingAccount, account_id)
    if account is None:
        return None
    if account.status == SubscriptionStatus.PAST_DUE and account.past_due_since is None:
        # The grace runs from when the failure was first seen.
        account.past_due_since = now()
        db.session.flush()
    stage = stage_due(account, now())
    if stage is None or not _later(stage, account.dunning_stage):
        return None
    if not _advance(account, stage):
        return None
    _notify(account, stage)
    return stage


@job("default")
def sweep() -> None:
    """Every past-due or unpaid account: send the email of the stage it reached."""
    if not billing_enabled():
        return
    ids = db.session.scalars(
        select(BillingAccount.id).where(
            BillingAccount.status.in_(
                [SubscriptionStatus.PAST_DUE.value, SubscriptionStatus.UNPAID.value]
            )
        )
    ).all()
    for account_id in ids:
        remind(account_id)
        db.session.commit()
