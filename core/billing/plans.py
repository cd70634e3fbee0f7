"""The plans, as configuration: what each costs and what it entitles a center to.

Prices are in euro cents, excluding VAT (20 % in France, added on Stripe's invoices).
`flask billing sync-plans` creates the matching Stripe products and plans (the Plans
API: the emulator used in tests has no Prices API), with stable ids such as
`mh_center_month`, so the sync can run again without duplicating anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

CURRENCY = "eur"
VAT_PERCENT = 20
INTERVALS = ("month", "year")


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    description: object  # a lazy string
    # Per mediator seat and per interval, excl. VAT.
    seat_price_cents: dict[str, int]
    # None: unlimited.
    max_seats: int | None
    referrals_included_per_month: int | None
    overage_cents_per_referral: int
    marketplace_listing: bool = True
    api_access: bool = True
    webhooks: bool = True
    several_sites: bool = False
    public: bool = True

    def stripe_plan_id(self, interval: str) -> str:
        return f"mh_{self.code}_{interval}"

    @property
    def stripe_product_id(self) -> str:
        return f"mh_{self.code}"

    def referrals_included(self, interval: str) -> int | None:
        """The allowance of one billing period (a year counts twelve months)."""
        if self.referrals_included_per_month is None:
            return None
        return self.referrals_included_per_month * (12 if interval == "year" else 1)


PLANS: dict[str, Plan] = {
    plan.code: plan
    for plan in (
        Plan(
            code="solo",
            name="Solo",
            description=_l("One to three mediators, the marketplace and the partner API."),
            seat_price_cents={"month": 2900, "year": 29000},
            max_seats=3,
            referrals_included_per_month=10,
            overage_cents_per_referral=500,
            webhooks=False,
        ),
        Plan(
            code="center",
            name="Center",
            description=_l("Up to 25 mediators, webhooks and a larger referral allowance."),
            seat_price_cents={"month": 2500, "year": 25000},
            max_seats=25,
            referrals_included_per_month=100,
            overage_cents_per_referral=300,
        ),
        Plan(
            code="network",
            name="Network",
            description=_l("Unlimited mediators over several sites."),
            seat_price_cents={"month": 2000, "year": 20000},
            max_seats=None,
            referrals_included_per_month=1000,
            overage_cents_per_referral=200,
            several_sites=True,
        ),
    )
}

# Every tenant's plan while platform billing is off (no Stripe keys: embedded mode).
UNLIMITED = Plan(
    code="unlimited",
    name="Unlimited",
    description=_l("Billing is off: every feature, no limit."),
    seat_price_cents={"month": 0, "year": 0},
    max_seats=None,
    referrals_included_per_month=None,
    overage_cents_per_referral=0,
    several_sites=True,
    public=False,
)


def plan_for(code: str | None) -> Plan | None:
    return PLANS.get(code or "")


def smallest_plan_for(seats: int) -> Plan | None:
    """The cheapest public plan that holds `seats` mediators (for the upgrade link)."""
    for plan in PLANS.values():
        if plan.max_seats is None or plan.max_seats >= seats:
            return plan
    return None
