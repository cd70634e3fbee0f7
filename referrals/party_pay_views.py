"""The party's payment page, reached from a signed link (no account).

The link names the center and the invoice; the page enters that center's scope only.
Card details go to Stripe through Stripe.js Elements; the return page re-reads the
PaymentIntent from the center's Stripe before anything is marked paid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, make_response, render_template
from flask_babel import lazy_gettext as _l

from core.access import access
from core.db import db
from core.security import CONTENT_SECURITY_POLICY
from core.tenancy import tenant_scope
from referrals import party_fees, party_payments
from referrals.center_stripe import StripeAccountError
from referrals.fee_models import InvoiceStatus, PartyInvoice
from referrals.fee_views import euros, pdf_response
from tenants.services.rules import NotFound

bp = Blueprint("party_pay", __name__, url_prefix="/pay", template_folder="templates")
Page = str | tuple[str, int] | Response


def _with_invoice(token: str, view: Callable[[PartyInvoice], Page]) -> Page:
    named = party_payments.read_token(token)
    if named is None:
        abort(404)
    tenant_id, invoice_id = named
    with tenant_scope(tenant_id):
        try:
            found = party_fees.get_invoice(invoice_id)
        except NotFound:
            abort(404)
        if found.is_credit_note:
            abort(404)
        return view(found)


def _stripe_policy() -> str:
    """The site's policy, opened to Stripe.js only on the page that takes the card."""
    parts = urlsplit(current_app.config.get("STRIPE_JS_URL") or "https://js.stripe.com/v3/")
    stripe_js = f"{parts.scheme}://{parts.netloc}"
    return (
        CONTENT_SECURITY_POLICY.replace(
            "script-src 'self'", f"script-src 'self' {stripe_js}"
        ).replace("connect-src 'self'", "connect-src 'self' https://api.stripe.com")
        + f"; frame-src {stripe_js} https://hooks.stripe.com"
    )


def _render(invoice: PartyInvoice, token: str, **extra: Any) -> str:
    profile = party_fees.billing_profile()
    return render_template(
        "fees/pay.html",
        invoice=invoice,
        token=token,
        euros=euros,
        profile=profile,
        stripe_js_url=current_app.config.get("STRIPE_JS_URL"),
        **extra,
    )


@bp.get("/<token>")
@access("public")  # the signed link is the credential
def page(token: str) -> Page:
    def show(invoice: PartyInvoice) -> Page:
        profile = party_fees.billing_profile()
        secret = None
        error = None
        if invoice.status == InvoiceStatus.ISSUED and profile and profile.accepts_cards:
            try:
                secret = party_payments.start(invoice)
            except StripeAccountError:
                db.session.rollback()
                error = _l("Card payment is not available just now; bank transfer is.")
        response = make_response(_render(invoice, token, client_secret=secret, error=error))
        if secret:
            response.headers["Content-Security-Policy"] = _stripe_policy()
        return response

    return _with_invoice(token, show)


@bp.get("/<token>/return")
@access("public")
def done(token: str) -> Page:
    def settle(invoice: PartyInvoice) -> Page:
        try:
            party_payments.settle(invoice)
        except StripeAccountError:
            db.session.rollback()
            return _render(invoice, token, error=_l("The payment could not be checked yet.")), 503
        return _render(invoice, token, returned=True)

    return _with_invoice(token, settle)


@bp.get("/<token>/pdf")
@access("public")
def pdf(token: str) -> Page:
    return _with_invoice(token, pdf_response)
