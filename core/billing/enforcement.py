"""Wiring of the entitlements into the app: the refusal pages and problems, the
workspace banner, and the periodic billing tasks (dunning, overage)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, g, json, render_template
from flask_babel import gettext as _

from core import jobs
from core.billing import dunning, entitlements, overage
from core.db import db
from core.errors import problem, wants_problem_json

# Templates only (the refusal page, the dunning emails): core.billing has no pages of
# its own; the center's billing page is the tenants domain's.
bp = Blueprint("billing_core", __name__, template_folder="templates")

# Seconds between two runs of each billing sweep (dunning emails, period-end overage).


def handle_refusal(
    exc: entitlements.BillingRefused | entitlements.SeatLimitReached,
) -> Any:
    """403 with the reason and the billing page: problem+json for the API (with a
    `billing_url` member), a page with the link for the web."""
    db.session.rollback()
    if wants_problem_json():
        response = problem(exc.status, exc.message, code=exc.code)
        body = response.get_json()
        if exc.billing_url:
            body["billing_url"] = exc.billing_url
            response.set_data(json.dumps(body))
        return response
    title = (
        _("Your plan is full")
        if isinstance(exc, entitlements.SeatLimitReached)
        else _("This workspace is read-only")
    )
    page = render_template(
        "billing/refused.html", title=title, message=exc.message, billing_url=exc.billing_url
    )
    return page, exc.status


def billing_banner() -> entitlements.Access | None:
    """The current center's billing state when its workspace should show a banner."""
    workspace = g.get("workspace")
    if workspace is None or workspace.kind != "tenant":
        return None
    found = entitlements.access_for(workspace.id)
    return found if found.banner else None


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(entitlements.BillingRefused, handle_refusal)
    app.register_error_handler(entitlements.SeatLimitReached, handle_refusal)
    app.jinja_env.globals["billing_banner"] = billing_banner
    app.jinja_env.globals["billing_url_for"] = entitlements.billing_url
    jobs.every(app, "billing-dunning", dunning.sweep, "BILLING_SWEEP_SECONDS")
    jobs.every(app, "billing-overage", overage.sweep, "BILLING_SWEEP_SECONDS")
