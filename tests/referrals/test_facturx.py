"""Factur-X for business buyers: the PDF carries CII XML at the EN 16931 profile, which
the `factur-x` package's own check accepts once extracted back from the PDF."""

from __future__ import annotations

import facturx
from lxml import etree

from tests.referrals.fee_helpers import accepted_case, center_with_profile, fees_form
from tests.referrals.test_party_fees import _invoices

RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"


def _embedded_xml(client, center, invoice) -> bytes:
    response = client.get(center.url(f"fees/invoices/{invoice.id}/pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    filename, xml = facturx.get_xml_from_pdf(response.data, check_xsd=False)
    assert filename == "factur-x.xml"
    return xml


def _issue_to_businesses(client, center, **changes):
    referral = accepted_case(center)
    form = fees_form(
        party_business_0="y",
        party_siret_0="73282932000074",
        party_vat_number_0="FR44732829320",
        party_business_1="y",
        party_country_1="DE",
        party_vat_number_1="DE136695976",
        **changes,
    )
    assert client.post_form(center.url(f"fees/cases/{referral.id}"), form).status_code == 303
    return _invoices(center)


def test_a_business_invoice_embeds_en16931_xml_that_validates(client):
    center = center_with_profile(client)
    french, german, person = _issue_to_businesses(client, center)

    xml = _embedded_xml(client, center, french)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"
    tree = etree.fromstring(xml)
    assert tree.findtext(f".//{RAM}GrandTotalAmount") == "400.01"  # 333.34 + 20% VAT
    assert tree.findtext(f".//{RAM}BuyerTradeParty/{RAM}Name") == "Partie 1"

    reverse = _embedded_xml(client, center, german)
    assert facturx.xml_check_xsd(reverse, flavor="factur-x", level="en16931")
    codes = etree.fromstring(reverse).findall(f".//{RAM}CategoryCode")
    assert {c.text for c in codes} == {"AE"}

    # A private person gets a plain PDF (no XML to extract).
    plain = client.get(center.url(f"fees/invoices/{person.id}/pdf")).data
    assert plain.startswith(b"%PDF")
    assert not any(facturx.get_xml_from_pdf(plain, check_xsd=False))


def test_a_credit_note_is_type_381_and_names_its_invoice(client):
    center = center_with_profile(client)
    french = _issue_to_businesses(client, center)[0]
    assert client.post_form(center.url(f"fees/invoices/{french.id}/credit")).status_code == 303
    note = _invoices(center)[-1]
    xml = _embedded_xml(client, center, note)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert tree.findtext(f".//{RAM}TypeCode") == "381"
    assert tree.findtext(f".//{RAM}InvoiceReferencedDocument/{RAM}IssuerAssignedID") == (
        french.reference
    )
