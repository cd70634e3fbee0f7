"""The center's billing page (/c/<slug>/billing), for owners and administrators:
plan and status, seats and referrals against the plan, invoices (links to Stripe's
hosted page and PDF), the card (Stripe.js Elements: the card never touches our
server), change of plan, cancel at the period's end or resume, and the overage cap.

Without the platform's Stripe keys, billing is off: the page says so and every center
is on the unlimited internal plan. core.billing holds the rules; the views parse a
form, call one service and go back to the page.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import stripe
from babel.numbers import format_currency
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core.access import access, bind_workspace_slug
from core.billing import accounts, subscriptions
from core.billing.client import billing_enabled
from core.billing.models import BillingAccount, SubscriptionStatus
from core.billing.plans import PLANS, UNLIMITED, VAT_PERCENT, plan_for
from core.billing.seats import seats_in_use
from core.billing.subscriptions import BillingError
from core.billing.usage import period_usage
from core.db import db
from core.forms import ButtonForm
from tenants.billing_forms import CardForm, OverageCapForm, PlanForm

bp = Blueprint(
    "center_billing", __name__, url_prefix="/c/<slug>/billing", template_folder="templates"
)
MANAGERS = ("owner", "admin")
Page = str | tuple[str, int] | Response


bind_workspace_slug(bp, "tenant", "slug")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    locale = str(get_locale() or "fr")

    def money(cents: int | None) -> str:
        return format_currency(Decimal(cents or 0) / 100, "EUR", locale=locale)

    return {"money": money}


def _account() -> BillingAccount:
    return accounts.account_for(g.workspace.id)


def _back(message: str, category: str = "success") -> Response:
    db.session.commit()
    flash(message, category)
    return redirect(url_for("center_billing.overview"), code=303)


def _billing_off() -> Response:
    return _back(_("Billing is off on this platform: there is nothing to change."), "info")


def _stripe_failed(error: stripe.StripeError) -> Response:
    current_app.logger.warning(
        "Stripe refused a billing request", extra={"stripe_code": getattr(error, "code", None)}
    )
    message = getattr(error, "user_message", None) or _("Stripe could not do this just now.")
    return _back(message, "danger")


def _render(status: int = 200, **forms: Any) -> Page:
    if not billing_enabled():
        return render_template(
            "tenants/billing.html", enabled=False, plan=UNLIMITED, center=g.workspace.obj
        ), status
    # Read only: showing the page (or refusing a form) creates no account.
    account = accounts.existing_account(g.workspace.id) or accounts.blank_account(g.workspace.id)
    plan = plan_for(account.plan_code)
    forms.setdefault(
        "plan_form",
        PlanForm(formdata=None, plan=account.plan_code or "center", interval=account.interval),
    )
    cap = account.overage_cap_cents
    forms.setdefault(
        "cap_form",
        OverageCapForm(formdata=None, overage_cap=None if cap is None else Decimal(cap) / 100),
    )
    forms.setdefault("button_form", ButtonForm(formdata=None))
    return render_template(
        "tenants/billing.html",
        enabled=True,
        center=g.workspace.obj,
        account=account,
        plan=plan,
        plans=[p for p in PLANS.values() if p.public],
        seats=seats_in_use(account.tenant_id),
        usage=period_usage(account),
        invoices=subscriptions.invoices(account.tenant_id),
        running=account.stripe_subscription_id is not None
        and account.status not in subscriptions.ENDED,
        past_due=account.status == SubscriptionStatus.PAST_DUE.value,
        vat_percent=VAT_PERCENT,
        **forms,
    ), status


@bp.get("")
@access("tenant", roles=MANAGERS)
def overview() -> Page:
    return _render()


def _card_csp(js_url: str) -> str:
    """The card page's own policy: Stripe.js and its frames, and Stripe's API."""
    js_origin = "{0.scheme}://{0.netloc}".format(urlsplit(js_url))
    api = current_app.config.get("STRIPE_API_BASE") or "https://api.stripe.com"
    api_origin = "{0.scheme}://{0.netloc}".format(urlsplit(api))
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data: https://*.stripe.com",
            f"style-src 'self' 'unsafe-inline' {js_origin}",
            f"script-src 'self' {js_origin}",
            f"frame-src {js_origin} https://*.js.stripe.com https://hooks.stripe.com",
            f"connect-src 'self' {api_origin} {js_origin}",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
            "frame-ancestors 'none'",
        ]
    )


@bp.get("/card")
@access("tenant", roles=MANAGERS)
def card() -> Page:
    if not billing_enabled():
        return _render()
    account = _account()
    try:
        accounts.ensure_customer(account, name=g.workspace.obj.legal_name, email=current_user.email)
        intent = subscriptions.create_setup_intent(account)
    except stripe.StripeError as error:
        return _stripe_failed(error)
    db.session.commit()
    js_url = current_app.config["STRIPE_JS_URL"]
    page = render_template(
        "tenants/billing_card.html",
        center=g.workspace.obj,
        account=account,
        form=CardForm(formdata=None),
        client_secret=intent.client_secret,
        setup_intent_id=intent.id,
        js_url=js_url,
        publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY") or "",
    )
    response = current_app.make_response(page)
    response.headers["Content-Security-Policy"] = _card_csp(js_url)
    return response


@bp.post("/card")
@access("tenant", roles=MANAGERS)
def save_card() -> Page:
    if not billing_enabled():
        return _billing_off()
    form = CardForm()
    if not form.validate():
        return _render(422, card_form=form)
    account = _account()
    try:
        payment_method = subscriptions.card_from_setup_intent(account, form.setup_intent.data)
        subscriptions.save_card(account, payment_method)
    except BillingError as error:
        db.session.rollback()  # a refused request writes nothing
        form.setup_intent.errors = [*form.setup_intent.errors, error.message]
        return _render(422, card_form=form)
    except stripe.StripeError as error:
        return _stripe_failed(error)
    return _back(_("The card is saved: invoices are charged to it from now on."))


@bp.post("/plan")
@access("tenant", roles=MANAGERS)
def choose_plan() -> Page:
    if not billing_enabled():
        return _billing_off()
    form = PlanForm()
    if not form.validate():
        return _render(422, plan_form=form)
    account = _account()
    running = account.stripe_subscription_id and account.status not in subscriptions.ENDED
    try:
        if running:
            subscriptions.change_plan(account, form.plan.data, form.interval.data)
        else:
            seats = max(seats_in_use(account.tenant_id), 1)
            subscriptions.subscribe(account, form.plan.data, form.interval.data, seats)
    except BillingError as error:
        db.session.rollback()  # a refused request writes nothing
        field = getattr(form, error.field, form.plan)
        field.errors = [*field.errors, error.message]
        return _render(422, plan_form=form)
    except stripe.StripeError as error:
        return _stripe_failed(error)
    if running:
        return _back(_("The plan is changed."))
    return _back(
        _("Subscription requested: it starts as soon as Stripe confirms the payment."), "info"
    )


def _button(act: Any, message: str) -> Page:
    if not billing_enabled():
        return _billing_off()
    form = ButtonForm()
    if not form.validate():
        problems = [str(e) for e in form.form_errors]
        return _render(422, error="; ".join(problems) or _("The form expired. Please try again."))
    try:
        act(_account())
    except BillingError as error:
        db.session.rollback()  # a refused request writes nothing
        return _render(422, error=error.message)
    except stripe.StripeError as error:
        return _stripe_failed(error)
    return _back(message)


@bp.post("/cancel")
@access("tenant", roles=MANAGERS)
def cancel() -> Page:
    return _button(
        subscriptions.cancel_at_period_end,
        _("The subscription ends at the end of the paid period."),
    )


@bp.post("/resume")
@access("tenant", roles=MANAGERS)
def resume() -> Page:
    return _button(subscriptions.resume, _("The subscription goes on."))


@bp.post("/overage-cap")
@access("tenant", roles=MANAGERS)
def overage_cap() -> Page:
    if not billing_enabled():
        return _billing_off()
    form = OverageCapForm()
    if not form.validate():
        return _render(422, cap_form=form)
    account = _account()
    value = form.overage_cap.data
    account.overage_cap_cents = None if value is None else int(value * 100)
    if value is None:
        return _back(_("No cap: referrals past the allowance are all billed."))
    return _back(_("The overage cap is saved."))


def init_app(app: Any) -> None:
    app.register_blueprint(bp)
