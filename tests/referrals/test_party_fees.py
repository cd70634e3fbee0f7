"""Party fees end to end through the center's pages and the party's payment link:
invoicing details with an encrypted Stripe key, quote, split, invoices, card payment on
the center's own Stripe (not the platform's), refund and credit note, bank transfer,
reverse charge, bad input and another center's 404."""

from __future__ import annotations

import re

import pytest
import stripe
from sqlalchemy import select, text

from core.billing.client import stripe_client
from core.db import db
from core.tenancy import tenant_scope
from referrals.fee_models import CenterBillingProfile, InvoiceStatus, PartyInvoice
from referrals.invoice_rules import REVERSE_CHARGE
from tests.referrals.fee_helpers import accepted_case, center_with_profile, fees_form
from tests.tenants.helpers import audit_actions, make_center, sign_in

CENTER_KEY = "sk_test_center_own_account_51Hx"
PUBLISHABLE = "pk_test_center_own_account_51Hx"


@pytest.fixture
def center_stripe(app, stripe_center):
    """Every center's Stripe client points at the second emulator (the center's own)."""
    app.config["CENTER_STRIPE_API_BASE"] = stripe_center.url
    return stripe_center


def _visitor(app):
    """Another browser, without the test's session, reading English pages."""
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return other


def _invoices(center) -> list[PartyInvoice]:
    # Fresh rows: the requests wrote through sessions of their own.
    query = select(PartyInvoice).order_by(PartyInvoice.number)
    with tenant_scope(center.tenant.id):
        return list(db.session.scalars(query.execution_options(populate_existing=True)))


def _issue(client, center, **changes) -> list[PartyInvoice]:
    referral = accepted_case(center)
    response = client.post_form(center.url(f"fees/cases/{referral.id}"), fees_form(**changes))
    assert response.status_code == 303, response.get_data(as_text=True)
    return _invoices(center)


def _pay_link(client, center, invoice) -> str:
    page = client.get(center.url(f"fees/invoices/{invoice.id}")).get_data(as_text=True)
    match = re.search(r'href="http://localhost(/pay/[^"/]+)"', page)
    assert match, "no payment link on the invoice page"
    return match.group(1)


def test_three_parties_share_1000_euros_and_vat_is_per_invoice(client):
    center = center_with_profile(client)
    invoices = _issue(client, center)
    assert [i.number for i in invoices] == [1, 2, 3]
    assert [i.net_cents for i in invoices] == [33334, 33333, 33333]
    assert sum(i.net_cents for i in invoices) == 100000
    assert [i.vat_cents for i in invoices] == [6667, 6667, 6667]
    assert all(i.total_cents == i.net_cents + i.vat_cents for i in invoices)
    listing = client.get(center.url("fees/invoices")).get_data(as_text=True)
    assert all(i.reference in listing for i in invoices)


def test_custom_percentages_must_add_up_and_a_refusal_writes_nothing(client):
    center = center_with_profile(client)
    referral = accepted_case(center)
    bad = fees_form(split_mode="custom", party_share_0="50", party_share_1="30", party_share_2="10")
    response = client.post_form(center.url(f"fees/cases/{referral.id}"), bad)
    assert response.status_code == 422
    assert "add up to 100" in response.get_data(as_text=True)
    assert _invoices(center) == []
    good = {**bad, "party_share_2": "20"}
    assert client.post_form(center.url(f"fees/cases/{referral.id}"), good).status_code == 303
    assert [i.net_cents for i in _invoices(center)] == [50000, 30000, 20000]


def test_the_center_stripe_key_is_checked_and_stored_encrypted(client, center_stripe, owner_engine):
    center = center_with_profile(
        client, stripe_secret_key=CENTER_KEY, stripe_publishable_key=PUBLISHABLE
    )
    with owner_engine.connect() as conn:
        dump = "\n".join(
            str(tuple(row)) for row in conn.execute(text("SELECT * FROM center_billing_profiles"))
        )
    assert CENTER_KEY not in dump and "center_own_account" in dump  # the publishable key
    with tenant_scope(center.tenant.id):
        profile = db.session.scalars(select(CenterBillingProfile)).one()
        assert profile.stripe_key_encrypted and profile.accepts_cards
    page = client.get(center.url("fees/settings")).get_data(as_text=True)
    assert CENTER_KEY not in page


def test_a_key_stripe_refuses_is_a_field_message(client, app):
    app.config["CENTER_STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    center = make_center()
    sign_in(client, center.owner)
    from tests.referrals.fee_helpers import PROFILE

    form = {**PROFILE, "stripe_secret_key": CENTER_KEY, "stripe_publishable_key": PUBLISHABLE}
    response = client.post_form(center.url("fees/settings"), form)
    assert response.status_code == 422
    assert "Stripe refused this key" in response.get_data(as_text=True)
    with tenant_scope(center.tenant.id):
        assert db.session.scalars(select(CenterBillingProfile)).all() == []


def test_a_party_pays_by_card_on_the_center_account_then_a_refund_issues_a_credit_note(
    client, center_stripe, stripe_platform
):
    center = center_with_profile(
        client, stripe_secret_key=CENTER_KEY, stripe_publishable_key=PUBLISHABLE
    )
    invoice = _issue(client, center)[0]
    link = _pay_link(client, center, invoice)

    party = _visitor(client.application)  # no session: the link is the credential
    page = party.get(link)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'data-client-secret="pi_' in body and PUBLISHABLE in body
    assert "js.stripe.com" in page.headers["Content-Security-Policy"]
    intent_id = _invoices(center)[0].stripe_payment_intent_id
    assert intent_id

    # The browser's part (Stripe.js confirming the card), done server-side on the
    # center's emulator; the app learns of it only by reading the intent back.
    center_account = stripe_client(CENTER_KEY, center_stripe.url)
    center_account.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    confirmed = center_account.v1.payment_intents.confirm(intent_id)
    assert confirmed.status == "succeeded"
    assert party.get(link + "/return").status_code == 200
    paid = _invoices(center)[0]
    assert paid.status == InvoiceStatus.PAID and paid.payment_method.value == "card"
    assert "is paid" in party.get(link).get_data(as_text=True)

    on_center = center_account.v1.payment_intents.list()
    assert [pi.id for pi in on_center.data] == [intent_id]
    assert on_center.data[0].amount == invoice.total_cents
    platform = stripe_client("sk_test_platform", stripe_platform.url)
    assert platform.v1.payment_intents.list().data == []
    assert platform.v1.charges.list().data == []

    response = client.post_form(center.url(f"fees/invoices/{invoice.id}/credit"))
    assert response.status_code == 303
    documents = _invoices(center)
    note = documents[-1]
    assert note.is_credit_note and note.reference == "AV-000004"
    assert note.corrects_id == invoice.id and note.total_cents == invoice.total_cents
    assert documents[0].status == InvoiceStatus.CREDITED
    refunds = center_account.v1.refunds.list().data
    assert [r.id for r in refunds] == [note.stripe_refund_id]
    assert refunds[0].amount == invoice.total_cents
    note_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "AV-000004" in note_page and invoice.reference in note_page


def test_the_browser_cannot_mark_an_invoice_paid(client, center_stripe):
    center = center_with_profile(
        client, stripe_secret_key=CENTER_KEY, stripe_publishable_key=PUBLISHABLE
    )
    invoice = _issue(client, center)[0]
    link = _pay_link(client, center, invoice)
    party = _visitor(client.application)
    party.get(link)
    # Back from "Stripe" with nothing paid: still issued.
    assert party.get(link + "/return?redirect_status=succeeded").status_code == 200
    assert _invoices(center)[0].status == InvoiceStatus.ISSUED
    assert party.get(link[:-3] + "xyz").status_code == 404  # a damaged link

    # Paid, but the party never came back: the center's invoice page asks Stripe.
    intent_id = _invoices(center)[0].stripe_payment_intent_id
    center_account = stripe_client(CENTER_KEY, center_stripe.url)
    center_account.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    center_account.v1.payment_intents.confirm(intent_id)
    assert client.get(center.url(f"fees/invoices/{invoice.id}")).status_code == 200
    assert _invoices(center)[0].status == InvoiceStatus.PAID


def test_without_stripe_the_party_sees_bank_details_and_the_center_marks_paid(client):
    center = center_with_profile(client)
    invoice = _issue(client, center)[0]
    invoice_id = invoice.id
    link = _pay_link(client, center, invoice)
    page = _visitor(client.application).get(link).get_data(as_text=True)
    assert "FR1420041010050500013M02606" in page and "payment-form" not in page
    response = client.post_form(center.url(f"fees/invoices/{invoice_id}/paid"))
    assert response.status_code == 303
    assert _invoices(center)[0].status == InvoiceStatus.PAID
    assert "fees.invoice_paid" in audit_actions(center.tenant)
    again = client.post_form(center.url(f"fees/invoices/{invoice_id}/paid"))
    assert again.status_code == 422
    pdf = client.get(center.url(f"fees/invoices/{invoice_id}/pdf"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_an_eu_business_outside_france_is_reverse_charged(client):
    center = center_with_profile(client)
    invoices = _issue(
        client,
        center,
        party_business_0="y",
        party_country_0="DE",
        party_vat_number_0="DE136695976",
    )
    german = invoices[0]
    assert german.reverse_charge and german.vat_cents == 0
    assert german.lines[0]["vat_rate"] == "0.00"
    assert invoices[1].vat_cents == 6667
    page = client.get(center.url(f"fees/invoices/{german.id}")).get_data(as_text=True)
    assert REVERSE_CHARGE in page and "40 EUR" in page


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"siret": "12345678901234"}, "siret", "not a valid SIRET"),
        ({"vat_number": "FR00000000000"}, "vat_number", "not a valid EU VAT number"),
        ({"iban": "FR00 1234"}, "iban", "not a valid IBAN"),
        ({"legal_name": "x" * 201}, "legal_name", "200"),
        ({"stripe_secret_key": "pk_live_oops"}, "stripe_secret_key", "rk_"),
    ],
)
def test_bad_invoicing_details_are_field_messages(client, form, field, message):
    from tests.referrals.fee_helpers import PROFILE

    center = make_center()
    sign_in(client, center.owner)
    response = client.post_form(center.url("fees/settings"), {**PROFILE, **form})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with tenant_scope(center.tenant.id):
        assert db.session.scalars(select(CenterBillingProfile)).all() == []


def test_a_bad_party_vat_number_is_refused_and_nothing_is_issued(client):
    center = center_with_profile(client)
    referral = accepted_case(center)
    form = fees_form(party_business_1="y", party_siret_1="12345678901234")
    response = client.post_form(center.url(f"fees/cases/{referral.id}"), form)
    assert response.status_code == 422
    assert "not a valid SIRET" in response.get_data(as_text=True)
    assert _invoices(center) == []


def test_another_center_gets_404_on_invoices_cases_and_links_stay_in_their_center(app):
    owner_a, owner_b = _visitor(app), _visitor(app)
    a = center_with_profile(owner_a)
    invoice = _issue(owner_a, a)[0]
    b = center_with_profile(owner_b)
    for path in (
        f"fees/invoices/{invoice.id}",
        f"fees/invoices/{invoice.id}/pdf",
        f"fees/cases/{invoice.referral_id}",
    ):
        assert owner_b.get(b.url(path)).status_code == 404
        assert owner_b.get(a.url(path)).status_code == 404
    for action in ("paid", "credit"):
        response = owner_b.post_form(b.url(f"fees/invoices/{invoice.id}/{action}"))
        assert response.status_code == 404
    assert _invoices(a)[0].status == InvoiceStatus.ISSUED
    settings = owner_b.get(b.url("fees/settings")).get_data(as_text=True)
    assert "Centre de médiation de Paris SAS" in settings  # its own, same test data
    assert owner_b.get(b.url("fees/invoices")).get_data(as_text=True).count("F-0000") == 0


def test_fees_need_an_accepted_case(client):
    center = center_with_profile(client)
    from tests.factories import ReferralFactory

    submitted = ReferralFactory(tenant=center.tenant)
    response = client.post_form(center.url(f"fees/cases/{submitted.id}"), fees_form(count=2))
    assert response.status_code == 422
    assert _invoices(center) == []


def test_stripe_errors_are_not_500(client, app, center_stripe):
    center = center_with_profile(
        client, stripe_secret_key=CENTER_KEY, stripe_publishable_key=PUBLISHABLE
    )
    invoice = _issue(client, center)[0]
    link = _pay_link(client, center, invoice)
    app.config["CENTER_STRIPE_API_BASE"] = "http://127.0.0.1:9"
    page = _visitor(client.application).get(link)
    assert page.status_code == 200 and "not available" in page.get_data(as_text=True)
    with pytest.raises(stripe.StripeError):
        stripe_client(CENTER_KEY, "http://127.0.0.1:9").v1.balance.retrieve()


def test_a_quote_from_an_offer_priced_per_party_then_the_page_shows_the_split(client):
    from tests.factories import OfferFactory

    center = center_with_profile(client)
    offer = OfferFactory(tenant=center.tenant)  # 250.00 EUR excl. VAT per party
    referral = accepted_case(center)
    referral_id = referral.id
    form = fees_form(action="quote", offer_id=str(offer.id), hours="")
    response = client.post_form(center.url(f"fees/cases/{referral_id}"), form)
    assert response.status_code == 303
    assert _invoices(center) == []  # a quote only
    page = client.get(center.url(f"fees/cases/{referral_id}")).get_data(as_text=True)
    assert "750.00" in page or "750,00" in page
    assert page.count("250.00") + page.count("250,00") >= 3
    case_page = client.get(center.url(f"referrals/{referral_id}"))
    assert case_page.status_code == 200
    assert f"/fees/cases/{referral_id}" in case_page.get_data(as_text=True)
