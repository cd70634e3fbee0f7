"""The one place that answers "may this tenant do X now?".

| subscription status | access |
|---|---|
| billing off (no STRIPE_SECRET_KEY) | full, on the unlimited internal plan |
| none / incomplete (no paid subscription yet) | full, in the chosen plan's limits (or Solo's) |
| trialing / active | full |
| past_due | full for BILLING_GRACE_DAYS from `past_due_since`, with a banner; then read-only |
| canceled / unpaid / incomplete_expired / paused | read-only |

Read-only refuses writes in the center's workspace (pages and the center's API
tokens) with 403 and a link to the billing page; reads, exports and the billing pages
keep working, and nothing is deleted. Seats: a center cannot add a mediator past its
plan's `max_seats` (SeatLimitReached, with an upgrade link).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from core.billing.client import billing_enabled
from core.billing.models import BillingAccount, SubscriptionStatus
from core.billing.plans import PLANS, UNLIMITED, Plan, plan_for, smallest_plan_for
from core.billing.seats import seats_in_use
from core.billing.usage import as_utc
from core.clock import now
from core.db import db
from core.errors import DomainError


class Level(enum.StrEnum):
    FULL = "full"
    READ_ONLY = "read_only"


FULL_STATUSES = frozenset({SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE})
# No paid subscription yet: the center is setting up and may choose its plan.
SETUP_STATUSES = frozenset({SubscriptionStatus.NONE, SubscriptionStatus.INCOMPLETE})
ACTIONS = ("write", "add_seat", "api", "webhooks", "marketplace_listing")
PLAN_FLAGS = {
    "api": "api_access",
    "webhooks": "webhooks",
    "marketplace_listing": "marketplace_listing",
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Until a plan is chosen, a center is held to the smallest plan's limits.
DEFAULT_PLAN = "solo"


@dataclass(frozen=True)
class Access:
    plan: Plan
    status: str
    level: Level
    grace_ends_at: datetime | None = None
    banner: str | None = None
    billing_on: bool = True

    @property
    def read_only(self) -> bool:
        return self.level == Level.READ_ONLY


class BillingRefused(DomainError):
    """The workspace is read-only until the subscription is paid."""

    status = 403
    code = "billing-read-only"

    def __init__(self, message: str, billing_url: str | None) -> None:
        super().__init__(message)
        self.billing_url = billing_url


class SeatLimitReached(DomainError):
    """The plan holds no more mediators: upgrade first."""

    status = 403
    code = "seat-limit"

    def __init__(self, message: str, billing_url: str | None) -> None:
        super().__init__(message)
        self.billing_url = billing_url


# --- the billing page's address (tenants owns the URL layout) ---------------------------

BillingUrl = Callable[[uuid.UUID, bool], str]
_billing_url: dict[str, BillingUrl] = {}


def register_billing_url(fn: BillingUrl) -> None:
    """`fn(tenant_id, external)` returns the center's billing page (absolute if external)."""
    _billing_url["fn"] = fn


def billing_url(tenant_id: uuid.UUID, *, external: bool = False) -> str | None:
    fn = _billing_url.get("fn")
    return None if fn is None else fn(tenant_id, external)


# --- the answer ------------------------------------------------------------------------


def account_of(tenant_id: uuid.UUID) -> BillingAccount | None:
    """The tenant's billing account, if it has one (never creates it: reads only)."""
    return db.session.scalar(
        select(BillingAccount).where(BillingAccount.tenant_id == uuid.UUID(str(tenant_id)))
    )


def grace_days() -> int:
    return int(current_app.config.get("BILLING_GRACE_DAYS", 7))


def grace_end(account: BillingAccount) -> datetime:
    started = as_utc(account.past_due_since) if account.past_due_since else now()
    return started + timedelta(days=grace_days())


def access_for(tenant_id: uuid.UUID | str) -> Access:
    """What the tenant may do now, and the banner its workspace shows."""
    if not billing_enabled():
        return Access(plan=UNLIMITED, status="billing_off", level=Level.FULL, billing_on=False)
    account = account_of(uuid.UUID(str(tenant_id)))
    if account is None:
        return Access(plan=PLANS[DEFAULT_PLAN], status=SubscriptionStatus.NONE, level=Level.FULL)
    return access_of(account)


def access_of(account: BillingAccount) -> Access:
    plan = plan_for(account.plan_code) or PLANS[DEFAULT_PLAN]
    status = SubscriptionStatus(account.status or SubscriptionStatus.NONE)
    if status in FULL_STATUSES or status in SETUP_STATUSES:
        return Access(plan=plan, status=status, level=Level.FULL)
    if status == SubscriptionStatus.PAST_DUE:
        ends = grace_end(account)
        if now() < ends:
            banner = _(
                "The last payment of your subscription failed. Update your card or pay "
                "the open invoice before %(date)s: after that, the workspace turns read-only.",
                date=format_date(ends, "long"),
            )
            return Access(plan, status, Level.FULL, grace_ends_at=ends, banner=banner)
        banner = _(
            "Your subscription is unpaid: the workspace is read-only. Your data is safe "
            "and can still be read and exported; pay the open invoice to restore it."
        )
        return Access(plan, status, Level.READ_ONLY, grace_ends_at=ends, banner=banner)
    banner = _(
        "Your subscription has ended: the workspace is read-only. Your data is safe and "
        "can still be read and exported; choose a plan to restore it."
    )
    return Access(plan, status, Level.READ_ONLY, banner=banner)


def may(tenant_id: uuid.UUID | str, action: str) -> bool:
    """May the tenant do `action` now ("write", "add_seat", "api", "webhooks",
    "marketplace_listing")?"""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    found = access_for(tenant_id)
    if action == "write":
        return not found.read_only
    if action == "add_seat":
        if found.read_only:
            return False
        limit = found.plan.max_seats
        return limit is None or seats_in_use(tenant_id) < limit
    return bool(getattr(found.plan, PLAN_FLAGS[action]))


# --- enforcement -------------------------------------------------------------------------


def check_seat_available(tenant_id: uuid.UUID | str) -> None:
    """SeatLimitReached when the plan holds no more mediators (or BillingRefused when
    the workspace is read-only)."""
    tid = uuid.UUID(str(tenant_id))
    found = access_for(tid)
    if found.read_only:
        raise BillingRefused(found.banner or _("The workspace is read-only."), billing_url(tid))
    limit = found.plan.max_seats
    if limit is None or seats_in_use(tid) < limit:
        return
    bigger = smallest_plan_for(limit + 1)
    if bigger is not None:
        message = _(
            "Your %(plan)s plan holds %(max)d mediators and they are all taken. Move to "
            "the %(bigger)s plan on the billing page to add another.",
            plan=found.plan.name,
            max=limit,
            bigger=bigger.name,
        )
    else:
        message = _(
            "Your %(plan)s plan holds %(max)d mediators and they are all taken.",
            plan=found.plan.name,
            max=limit,
        )
    raise SeatLimitReached(message, billing_url(tid))


def _is_billing_page(tenant_id: uuid.UUID) -> bool:
    page = billing_url(tenant_id)
    return bool(page) and request.path.rstrip("/").startswith(page.rstrip("/"))


def refuse_writes_when_read_only(tenant_id: uuid.UUID | str) -> None:
    """Called as a request enters a center's workspace (pages, the center's API
    tokens): BillingRefused for a write while the workspace is read-only. Reads,
    exports and the billing pages (where the center pays) stay open."""
    if not has_request_context() or request.method not in WRITE_METHODS:
        return
    if not billing_enabled():
        return
    tid = uuid.UUID(str(tenant_id))
    if _is_billing_page(tid):
        return
    found = access_for(tid)
    if found.read_only:
        raise BillingRefused(found.banner or _("The workspace is read-only."), billing_url(tid))
