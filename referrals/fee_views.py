"""The center's party-fee pages: invoicing details and Stripe key, a case's fees, the
party invoices, each invoice with its PDF, marking paid and crediting.

Owners and administrators set the invoicing details; owners, administrators and case
managers handle a case's fees. Another center's case or invoice is a 404 (the services
read inside the center's scope). Bad input shows field messages with 422; a refused
change writes nothing.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.access import access, bind_workspace_slug
from core.db import db
from core.forms import ButtonForm
from referrals import invoice_pdf, party_fees, party_payments
from referrals.center_stripe import StripeAccountError
from referrals.fee_forms import SPLIT_LABELS, BillingProfileForm, FeesForm
from referrals.fee_models import InvoiceStatus, PartyInvoice
from referrals.party_fees import FeesInvalid
from tenants.services import storefront

bp = Blueprint("fees", __name__, url_prefix="/c/<slug>/fees", template_folder="templates")
MANAGERS = ("owner", "admin")
HANDLERS = ("owner", "admin", "case_manager")
Page = str | tuple[str, int] | Response
STATUS_LABELS = {
    "issued": _l("Issued"),
    "paid": _l("Paid"),
    "credited": _l("Credited"),
}


bind_workspace_slug(bp, "tenant", "slug")


def euros(cents: int) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale=str(get_locale() or "fr"))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "euros": euros,
        "invoice_status": lambda s: STATUS_LABELS.get(str(s), str(s)),
        "split_label": lambda s: SPLIT_LABELS.get(str(s), str(s)),
    }


def _show(form: Any, invalid: FeesInvalid) -> None:
    """The service's messages on their fields (the rest on the form), nothing written."""
    db.session.rollback()
    for name, message in invalid.errors.items():
        field = form._fields.get(name)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def _back(endpoint: str, message: str, category: str = "success", **values: Any) -> Response:
    flash(message, category)
    return redirect(url_for(endpoint, **values), code=303)


# --- invoicing details ---------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@access("tenant", roles=MANAGERS)
def settings() -> Page:
    profile = party_fees.billing_profile()
    if request.method == "GET":
        form = BillingProfileForm(formdata=None, data=BillingProfileForm.data_of(profile))
        return render_template("fees/settings.html", form=form, profile=profile)
    form = BillingProfileForm()
    if form.validate():
        try:
            party_fees.save_billing_profile(form.profile_input())
        except FeesInvalid as invalid:
            _show(form, invalid)
        else:
            return _back("fees.settings", _("The invoicing details are saved."))
    return render_template("fees/settings.html", form=form, profile=profile), 422


# --- a case's fees -------------------------------------------------------------------------


def _fees_form(referral: Any, quote: Any, post: bool) -> FeesForm:
    offers = storefront.center_offers()
    parties = len(referral.parties)
    if post:
        return FeesForm(offers=offers, parties=parties)
    data: dict[str, Any] = {}
    for i, party in enumerate(referral.parties):
        data[f"party_name_{i}"] = party.name
        data[f"party_email_{i}"] = party.email or ""
        data[f"party_country_{i}"] = "FR"
        if quote is not None and i < len(quote.shares):
            data[f"party_share_{i}"] = quote.shares[i]
    if quote is not None:
        data |= {
            "offer_id": str(quote.offer_id) if quote.offer_id else "",
            "hours": quote.hours,
            "vat_rate": quote.vat_rate,
            "split_mode": quote.split_mode.value,
        }
        if quote.hourly_rate_cents is not None:
            data["hourly_rate"] = Decimal(quote.hourly_rate_cents) / 100
    return FeesForm(formdata=None, data=data, offers=offers, parties=parties)


def _render_case(referral: Any, form: FeesForm, status: int = 200) -> Page:
    quote = party_fees.quote_of(referral.id)
    shares = (
        party_fees.shares_of(quote, len(referral.parties)) if quote and referral.parties else []
    )
    return (
        render_template(
            "fees/case.html",
            referral=referral,
            form=form,
            quote=quote,
            shares=shares,
            invoices=party_fees.invoices(referral.id),
            profile=party_fees.billing_profile(),
        ),
        status,
    )


@bp.route("/cases/<uuid:referral_id>", methods=["GET", "POST"])
@access("tenant", roles=HANDLERS)
def case(referral_id: uuid.UUID) -> Page:
    referral = party_fees.billable_case(referral_id)
    if request.method == "GET":
        return _render_case(referral, _fees_form(referral, party_fees.quote_of(referral_id), False))
    form = _fees_form(referral, None, True)
    if form.validate():
        issuing = form.action.data == "invoice"
        missing = form.missing_buyer_fields() if issuing else {}
        try:
            if missing:
                raise FeesInvalid(missing)
            if issuing:
                party_fees.quote_and_invoice(referral_id, form.quote_input(), form.buyers())
            else:
                party_fees.save_quote(referral_id, form.quote_input())
        except FeesInvalid as invalid:
            _show(form, invalid)
        else:
            message = _("The invoices are issued.") if issuing else _("The quote is saved.")
            return _back("fees.case", message, referral_id=referral_id)
    return _render_case(referral, form, 422)


# --- invoices ------------------------------------------------------------------------------


@bp.get("/invoices")
@access("tenant", roles=HANDLERS)
def invoices() -> Page:
    return render_template("fees/invoices.html", invoices=party_fees.invoices())


def _render_invoice(invoice: PartyInvoice, status: int = 200, form: Any = None) -> Page:
    profile = party_fees.billing_profile()
    return (
        render_template(
            "fees/invoice.html",
            invoice=invoice,
            corrects=party_fees.corrected(invoice),
            mentions=party_fees.mentions_of(invoice),
            form=form or ButtonForm(formdata=None),
            payment_url=url_for(
                "party_pay.page", token=party_payments.payment_token(invoice), _external=True
            ),
            accepts_cards=bool(profile and profile.accepts_cards),
        ),
        status,
    )


@bp.get("/invoices/<uuid:invoice_id>")
@access("tenant", roles=HANDLERS)
def invoice(invoice_id: uuid.UUID) -> Page:
    found = party_fees.get_invoice(invoice_id)
    if found.status == InvoiceStatus.ISSUED and found.stripe_payment_intent_id:
        # The party may have paid and closed the page before coming back: ask Stripe.
        try:
            party_payments.settle(found)
        except StripeAccountError:
            db.session.rollback()
            found = party_fees.get_invoice(invoice_id)
    return _render_invoice(found)


def pdf_response(found: PartyInvoice) -> Response:
    corrects = party_fees.corrected(found)
    body = invoice_pdf.document(
        found, party_fees.mentions_of(found), corrects.reference if corrects else None
    )
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{found.reference}.pdf"'},
    )


@bp.get("/invoices/<uuid:invoice_id>/pdf")
@access("tenant", roles=HANDLERS)
def invoice_pdf_file(invoice_id: uuid.UUID) -> Response:
    return pdf_response(party_fees.get_invoice(invoice_id))


def _step(invoice_id: uuid.UUID, action: Any, done: str) -> Page:
    found = party_fees.get_invoice(invoice_id)
    form = ButtonForm()
    if form.validate():
        try:
            result = action(invoice_id)
        except FeesInvalid as invalid:
            _show(form, invalid)
        except StripeAccountError:
            db.session.rollback()
            form.form_errors.append(_l("Stripe refused the refund; nothing was changed."))
            return _render_invoice(found, 502, form)
        else:
            return _back("fees.invoice", done, invoice_id=result.id)
    return _render_invoice(party_fees.get_invoice(invoice_id), 422, form)


@bp.post("/invoices/<uuid:invoice_id>/paid")
@access("tenant", roles=HANDLERS)
def mark_paid(invoice_id: uuid.UUID) -> Page:
    return _step(invoice_id, party_fees.mark_paid, _("The invoice is marked paid."))


@bp.post("/invoices/<uuid:invoice_id>/credit")
@access("tenant", roles=HANDLERS)
def credit(invoice_id: uuid.UUID) -> Page:
    return _step(invoice_id, party_fees.credit, _("The credit note is issued."))
