"""Party fees of a case: the center's seller profile, the quote, the invoices and the
credit notes (card payments are in referrals.party_payments).

Every function acts in the current center's scope (the ORM guard and RLS filter it):
another center's case, quote or invoice is a 404 like a missing one. Each write is one
transaction: an invoice and its number, or a credit note and its invoice's new status,
are committed together or not at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit
from core.clock import now
from core.db import db
from core.tenancy import current_tenant_id
from referrals import cases, center_stripe, invoice_rules
from referrals.fee_models import (
    CenterBillingProfile,
    FeeQuote,
    InvoiceKind,
    InvoiceStatus,
    PartyInvoice,
    PaymentMethod,
    SplitMode,
)
from referrals.fee_split import SplitError, equal_split, parse_percentages, percentage_split
from referrals.invoice_numbering import take_number
from referrals.models import Referral, ReferralStatus
from tenants.services.rules import NotFound
from tenants.storefront_models import Offer, OfferPricing

DEFAULT_HOURLY_RATE = Decimal("150.00")
# A case is billed once the center took it on.
BILLABLE = frozenset(
    {
        ReferralStatus.ACCEPTED,
        ReferralStatus.ASSIGNED,
        ReferralStatus.SCHEDULED,
        ReferralStatus.CONCLUDED,
        ReferralStatus.CLOSED,
    }
)
SELLER_FIELDS = (
    "legal_name",
    "address",
    "postal_code",
    "city",
    "country",
    "siret",
    "vat_number",
    "iban",
    "bic",
    "legal_mentions",
    "payment_terms_days",
)


class FeesInvalid(Exception):
    """Input refused: messages by form field ("" for the form as a whole)."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def cents(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- the center as a seller ----------------------------------------------------------------


@dataclass
class ProfileInput:
    legal_name: str
    address: str
    postal_code: str
    city: str
    country: str
    siret: str
    vat_number: str = ""
    iban: str = ""
    bic: str = ""
    legal_mentions: str = ""
    payment_terms_days: int = 30
    # Blank: keep the stored key. Both or neither are given.
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""


def billing_profile() -> CenterBillingProfile | None:
    return db.session.scalars(select(CenterBillingProfile)).one_or_none()


def save_billing_profile(data: ProfileInput) -> CenterBillingProfile:
    """Save the seller's identity; a new Stripe key is checked with its account first."""
    siret = invoice_rules.compact_siret(data.siret)
    errors = invoice_rules.identity_errors(
        country=data.country, siret=siret, vat_number=data.vat_number, business=True
    )
    if data.country == "FR" and not siret:
        errors["siret"] = _l("A center in France invoices with its SIRET number.")
    key, publishable = data.stripe_secret_key.strip(), data.stripe_publishable_key.strip()
    profile = billing_profile()
    if key and not center_stripe.SECRET_KEY.match(key):
        errors["stripe_secret_key"] = _l("A Stripe restricted key starts with rk_ (or sk_).")
    if publishable and not center_stripe.PUBLISHABLE_KEY.match(publishable):
        errors["stripe_publishable_key"] = _l("A Stripe publishable key starts with pk_.")
    if key and not publishable and not (profile and profile.stripe_publishable_key):
        errors["stripe_publishable_key"] = _l("Enter the publishable key of the same account.")
    if key and not errors:
        try:
            center_stripe.check_key(key)
        except center_stripe.StripeAccountError:
            errors["stripe_secret_key"] = _l("Stripe refused this key.")
    if errors:
        raise FeesInvalid(errors)
    if profile is None:
        profile = CenterBillingProfile()
        db.session.add(profile)
    for name in SELLER_FIELDS:
        setattr(profile, name, getattr(data, name))
    profile.siret = siret
    profile.vat_number = invoice_rules.compact_vat(data.vat_number)
    profile.iban = "".join(data.iban.split()).upper()
    if key:
        center_stripe.store_key(profile, key, publishable or profile.stripe_publishable_key)
    elif publishable:
        profile.stripe_publishable_key = publishable
    # Never the key itself in the log: only that it changed.
    audit.record("fees.profile_saved", details={"stripe_key_changed": bool(key)})
    db.session.commit()
    return profile


def _seller_snapshot(profile: CenterBillingProfile) -> dict[str, Any]:
    return {name: getattr(profile, name) for name in SELLER_FIELDS}


# --- the quote -----------------------------------------------------------------------------


@dataclass
class QuoteInput:
    offer_id: uuid.UUID | None
    hours: Decimal | None
    hourly_rate: Decimal = DEFAULT_HOURLY_RATE
    vat_rate: Decimal = Decimal("20.00")
    split_mode: SplitMode = SplitMode.EQUAL
    shares: list[str] = field(default_factory=list)


def billable_case(referral_id: uuid.UUID) -> Referral:
    referral = cases.get(referral_id)
    if referral.tenant_id != current_tenant_id():  # a partner's scope reads it too
        raise NotFound(str(_l("No such referral.")))
    return referral


def quote_of(referral_id: uuid.UUID) -> FeeQuote | None:
    return db.session.scalars(
        select(FeeQuote).where(FeeQuote.referral_id == referral_id)
    ).one_or_none()


def save_quote(referral_id: uuid.UUID, data: QuoteInput, *, commit: bool = True) -> FeeQuote:
    """Price the case (an offer, or hours at a rate) and say how it is shared
    (`commit=False`: in the caller's transaction, e.g. with the invoices)."""
    referral = billable_case(referral_id)
    if referral.status not in BILLABLE:
        raise FeesInvalid({"": _l("Fees are quoted once the case is accepted.")})
    parties = len(referral.parties)
    if data.offer_id is not None:
        offer = db.session.get(Offer, data.offer_id)
        if offer is None:
            raise FeesInvalid({"offer_id": _l("Choose one of the center's offers.")})
        amount = cents(offer.price_excl_vat)
        if offer.pricing == OfferPricing.PER_PARTY:  # each party pays the full price
            amount *= max(parties, 1)
        description, rate, vat = offer.name, None, offer.vat_rate
        hours = None
    else:
        if data.hours is None:
            raise FeesInvalid({"hours": _l("Give the hours, or choose an offer.")})
        hours, rate, vat = data.hours, data.hourly_rate, data.vat_rate
        amount = cents(hours * rate)
        description = str(_l("Mediation: %(hours)s h", hours=hours))
    shares: list[str] = []
    if data.split_mode == SplitMode.CUSTOM:
        if len(data.shares) != parties:
            raise FeesInvalid({"shares": _l("Give one share per party.")})
        try:
            shares = [str(p) for p in parse_percentages(data.shares)]
        except SplitError:
            raise FeesInvalid(
                {"shares": _l("Shares are percentages between 0 and 100 that add up to 100.")}
            ) from None
    quote = quote_of(referral_id) or FeeQuote(referral_id=referral_id)
    quote.offer_id, quote.description = data.offer_id, description[:200]
    quote.hours = hours
    quote.hourly_rate_cents = cents(rate) if rate is not None else None
    quote.amount_excl_vat_cents, quote.vat_rate = amount, vat
    quote.split_mode, quote.shares = data.split_mode, shares
    db.session.add(quote)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return quote


def quote_and_invoice(
    referral_id: uuid.UUID, data: QuoteInput, buyers: list[invoice_rules.Buyer]
) -> list[PartyInvoice]:
    """Save the quote and issue its invoices in one transaction: all or nothing."""
    save_quote(referral_id, data, commit=False)
    return issue_invoices(referral_id, buyers)


def shares_of(quote: FeeQuote, parties: int) -> list[int]:
    """Each party's part of the quote's amount before VAT, in cents (the case's order)."""
    if quote.split_mode == SplitMode.CUSTOM and len(quote.shares) == parties:
        return percentage_split(quote.amount_excl_vat_cents, [Decimal(s) for s in quote.shares])
    return equal_split(quote.amount_excl_vat_cents, parties)


# --- invoices ------------------------------------------------------------------------------


def invoices(referral_id: uuid.UUID | None = None) -> list[PartyInvoice]:
    query = select(PartyInvoice).order_by(PartyInvoice.number.desc())
    if referral_id is not None:
        query = query.where(PartyInvoice.referral_id == referral_id)
    return list(db.session.scalars(query))


def get_invoice(invoice_id: uuid.UUID) -> PartyInvoice:
    invoice = db.session.get(PartyInvoice, invoice_id)
    if invoice is None:
        raise NotFound(str(_l("No such invoice.")))
    return invoice


def _buyer_errors(buyers: list[invoice_rules.Buyer]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for i, buyer in enumerate(buyers):
        found = invoice_rules.identity_errors(
            country=buyer.country,
            siret=buyer.siret,
            vat_number=buyer.vat_number,
            business=buyer.is_business,
        )
        errors |= {f"party_{name}_{i}": message for name, message in found.items()}
    return errors


def issue_invoices(referral_id: uuid.UUID, buyers: list[invoice_rules.Buyer]) -> list[PartyInvoice]:
    """One invoice per party for its share of the quote, numbered in one transaction."""
    referral = billable_case(referral_id)
    quote = quote_of(referral_id)
    profile = billing_profile()
    if quote is None:
        raise FeesInvalid({"": _l("Save the quote first.")})
    if profile is None:
        raise FeesInvalid({"": _l("Fill in the center's invoicing details first.")})
    live = [i for i in invoices(referral_id) if i.status != InvoiceStatus.CREDITED]
    if any(not i.is_credit_note for i in live):
        raise FeesInvalid({"": _l("This case's invoices are issued: credit them to start over.")})
    if len(buyers) != len(referral.parties) or not buyers:
        raise FeesInvalid({"": _l("Give the invoicing details of every party.")})
    errors = _buyer_errors(buyers)
    if errors:
        raise FeesInvalid(errors)
    seller = _seller_snapshot(profile)
    today = now().date()
    issued = []
    for buyer, net in zip(buyers, shares_of(quote, len(buyers)), strict=True):
        buyer.vat_number = invoice_rules.compact_vat(buyer.vat_number)
        buyer.siret = invoice_rules.compact_siret(buyer.siret)
        reverse = invoice_rules.reverse_charged(buyer)
        rate = Decimal(0) if reverse else quote.vat_rate
        lines = [invoice_rules.line(quote.description, net, rate)]
        net_cents, vat_cents, total = invoice_rules.totals(lines)
        invoice = PartyInvoice(
            number=take_number(current_tenant_id()),
            kind=InvoiceKind.INVOICE,
            referral_id=referral_id,
            issued_on=today,
            due_on=today + timedelta(days=profile.payment_terms_days),
            seller=seller,
            buyer_name=buyer.name,
            buyer_address=buyer.address,
            buyer_postal_code=buyer.postal_code,
            buyer_city=buyer.city,
            buyer_country=buyer.country,
            buyer_email=buyer.email,
            buyer_is_business=buyer.is_business,
            buyer_siret=buyer.siret if buyer.is_business else "",
            buyer_vat_number=buyer.vat_number if buyer.is_business else "",
            reverse_charge=reverse,
            lines=lines,
            net_cents=net_cents,
            vat_cents=vat_cents,
            total_cents=total,
        )
        db.session.add(invoice)
        db.session.flush()  # the number's row lock is held until the commit
        issued.append(invoice)
    audit.record(
        "fees.invoices_issued",
        object_type="referral",
        object_id=referral_id,
        details={"numbers": [i.reference for i in issued]},
    )
    db.session.commit()
    return issued


def mark_paid(invoice_id: uuid.UUID) -> PartyInvoice:
    """A bank transfer the center received (it checks its own bank account)."""
    invoice = get_invoice(invoice_id)
    if invoice.is_credit_note or invoice.status != InvoiceStatus.ISSUED:
        raise FeesInvalid({"": _l("Only an unpaid invoice can be marked paid.")})
    invoice.status, invoice.paid_at = InvoiceStatus.PAID, now()
    invoice.payment_method = PaymentMethod.TRANSFER
    audit.record("fees.invoice_paid", object_type="party_invoice", object_id=invoice.id)
    db.session.commit()
    return invoice


def credit(invoice_id: uuid.UUID) -> PartyInvoice:
    """Correct an invoice with a credit note for its whole amount; a card payment is
    refunded through the center's Stripe first (idempotent, so a retry after a failed
    commit does not refund twice)."""
    invoice = get_invoice(invoice_id)
    if invoice.is_credit_note or invoice.status == InvoiceStatus.CREDITED:
        raise FeesInvalid({"": _l("This document cannot be credited.")})
    refund_id = None
    if invoice.payment_method == PaymentMethod.CARD and invoice.stripe_payment_intent_id:
        from referrals.party_payments import refund

        refund_id = refund(invoice)
    note = PartyInvoice(
        number=take_number(current_tenant_id()),
        kind=InvoiceKind.CREDIT_NOTE,
        referral_id=invoice.referral_id,
        corrects_id=invoice.id,
        issued_on=now().date(),
        due_on=now().date(),
        seller=invoice.seller,
        **{name: getattr(invoice, name) for name in BUYER_COPIED},
        lines=invoice.lines,
        net_cents=invoice.net_cents,
        vat_cents=invoice.vat_cents,
        total_cents=invoice.total_cents,
        stripe_refund_id=refund_id,
        stripe_payment_intent_id=invoice.stripe_payment_intent_id,
        payment_method=invoice.payment_method,
    )
    invoice.status = InvoiceStatus.CREDITED
    db.session.add(note)
    audit.record(
        "fees.invoice_credited",
        object_type="party_invoice",
        object_id=invoice.id,
        details={"credit_note": note.reference, "refund": refund_id},
    )
    db.session.commit()
    return note


BUYER_COPIED = (
    "buyer_name",
    "buyer_address",
    "buyer_postal_code",
    "buyer_city",
    "buyer_country",
    "buyer_email",
    "buyer_is_business",
    "buyer_siret",
    "buyer_vat_number",
    "reverse_charge",
)


def corrected(note: PartyInvoice) -> PartyInvoice | None:
    return db.session.get(PartyInvoice, note.corrects_id) if note.corrects_id else None


def mentions_of(invoice: PartyInvoice) -> list[str]:
    return invoice_rules.mentions(
        invoice.seller,
        business=invoice.buyer_is_business,
        reverse=invoice.reverse_charge,
        zero_vat=invoice.vat_cents == 0,
    )
