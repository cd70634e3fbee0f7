"""`flask billing sync-plans`: the Stripe products and plans of `plans.PLANS`, and the
VAT tax rate the subscriptions carry.

Ids are stable (`mh_center`, `mh_center_month`...): what exists is left alone, so the
command can run on every deployment. A price is never changed in place (Stripe plans
are immutable): a new price needs a new plan id.
"""

from __future__ import annotations

from typing import Any

import click
import stripe
from flask import Flask
from flask.cli import AppGroup

from core.billing.client import billing_enabled, platform_client
from core.billing.plans import CURRENCY, INTERVALS, PLANS
from core.billing.tax import vat_rate_id

billing_group = AppGroup("billing", help="Platform billing (Stripe).")


def _exists(retrieve: Any, object_id: str) -> bool:
    try:
        retrieve(object_id)
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            return False
        raise
    return True


def sync_plans() -> list[str]:
    """Create the missing products, plans and VAT tax rate; the ids created."""
    client = platform_client()
    created: list[str] = []
    rate_id, rate_created = vat_rate_id()
    if rate_created and rate_id:
        created.append(rate_id)
    for plan in PLANS.values():
        if not _exists(client.v1.products.retrieve, plan.stripe_product_id):
            client.v1.products.create(
                params={
                    "id": plan.stripe_product_id,
                    "name": f"Mediation Hub {plan.name}",
                    "metadata": {"plan_code": plan.code},
                }
            )
            created.append(plan.stripe_product_id)
        for interval in INTERVALS:
            plan_id = plan.stripe_plan_id(interval)
            if _exists(client.v1.plans.retrieve, plan_id):
                continue
            client.v1.plans.create(
                params={
                    "id": plan_id,
                    "product": plan.stripe_product_id,
                    "amount": plan.seat_price_cents[interval],
                    "currency": CURRENCY,
                    "interval": interval,
                    "nickname": f"{plan.name} ({interval})",
                    "metadata": {"plan_code": plan.code, "interval": interval},
                }
            )
            created.append(plan_id)
    return created


@billing_group.command("sync-plans")
def sync_plans_command() -> None:
    """Create the Stripe products and plans the price list names (idempotent)."""
    if not billing_enabled():
        raise click.ClickException("platform billing is off: STRIPE_SECRET_KEY is not set")
    created = sync_plans()
    for object_id in created:
        click.echo(f"created {object_id}")
    click.echo(f"{len(created)} created, the others already existed")


def init_app(app: Flask) -> None:
    app.cli.add_command(billing_group)
