"""Factur-X (EN 16931 profile) for invoices to businesses: the CII XML built here,
embedded in the PDF by the `factur-x` package (PDF/A-3 with the XML attached).

Element order follows the CII D16B schema the package validates against; amounts are
in euros with two decimals; a credit note is type 381 and names the invoice it corrects.
"""

from __future__ import annotations

from typing import Any

from facturx import generate_from_binary
from lxml import etree

from referrals.fee_models import PartyInvoice
from referrals.invoice_rules import FRANCHISE, money, vat_category

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931 = "urn:cen.eu:en16931:2017"
# The reason (BT-120) and its VATEX code (BT-121) of each exempt category.
EXEMPTION = {"AE": ("Autoliquidation", "VATEX-EU-AE"), "E": (FRANCHISE, "VATEX-FR-FRANCHISE")}


def _el(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrs)
    if text is not None:
        node.text = text
    return node


def _date(parent: Any, tag: str, day: Any) -> None:
    _el(_el(parent, tag), "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _party(parent: Any, tag: str, p: dict[str, str]) -> None:
    party = _el(parent, tag)
    _el(party, "ram:Name", p["name"])
    if p.get("siret"):
        # The SIREN (first 9 digits of the SIRET) under ISO 6523 scheme 0002.
        _el(_el(party, "ram:SpecifiedLegalOrganization"), "ram:ID", p["siret"][:9], schemeID="0002")
    address = _el(party, "ram:PostalTradeAddress")
    _el(address, "ram:PostcodeCode", p["postal_code"])
    _el(address, "ram:LineOne", p["address"])
    _el(address, "ram:CityName", p["city"])
    _el(address, "ram:CountryID", p["country"])
    if p.get("vat_number"):
        _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", p["vat_number"], schemeID="VA")


def _tax(parent: Any, category: str, rate: str, basis: int | None, amount: int | None) -> None:
    tax = _el(parent, "ram:ApplicableTradeTax")
    if amount is not None:
        _el(tax, "ram:CalculatedAmount", money(amount))
    _el(tax, "ram:TypeCode", "VAT")
    if category in EXEMPTION:
        _el(tax, "ram:ExemptionReason", EXEMPTION[category][0])
    if basis is not None:
        _el(tax, "ram:BasisAmount", money(basis))
    _el(tax, "ram:CategoryCode", category)
    if category in EXEMPTION:
        _el(tax, "ram:ExemptionReasonCode", EXEMPTION[category][1])
    _el(tax, "ram:RateApplicablePercent", rate)


def cii_xml(invoice: PartyInvoice, mentions: list[str], corrects: str | None = None) -> bytes:
    """The invoice as EN 16931 CII XML."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.reference)
    _el(document, "ram:TypeCode", "381" if invoice.is_credit_note else "380")
    _date(document, "ram:IssueDateTime", invoice.issued_on)
    for text in mentions:
        _el(_el(document, "ram:IncludedNote"), "ram:Content", text)

    trade = _el(root, "rsm:SupplyChainTradeTransaction")
    for position, item in enumerate(invoice.lines, start=1):
        line = _el(trade, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(line, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(position))
        _el(_el(line, "ram:SpecifiedTradeProduct"), "ram:Name", item["description"])
        price = _el(_el(line, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", money(int(item["unit_cents"])))
        delivery = _el(line, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", item["quantity"], unitCode="C62")
        settlement = _el(line, "ram:SpecifiedLineTradeSettlement")
        category = vat_category(invoice.reverse_charge, item["vat_rate"])
        _tax(settlement, category, item["vat_rate"], None, None)
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", money(int(item["net_cents"])))

    agreement = _el(trade, "ram:ApplicableHeaderTradeAgreement")
    seller = invoice.seller
    _party(
        agreement,
        "ram:SellerTradeParty",
        {**{k: str(v) for k, v in seller.items()}, "name": seller["legal_name"]},
    )
    _party(
        agreement,
        "ram:BuyerTradeParty",
        {
            "name": invoice.buyer_name,
            "siret": invoice.buyer_siret,
            "postal_code": invoice.buyer_postal_code,
            "address": invoice.buyer_address,
            "city": invoice.buyer_city,
            "country": invoice.buyer_country,
            "vat_number": invoice.buyer_vat_number,
        },
    )
    _el(trade, "ram:ApplicableHeaderTradeDelivery")
    settlement = _el(trade, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    if seller.get("iban"):
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "58")  # SEPA credit transfer
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", seller["iban"])
    by_rate: dict[str, list[int]] = {}
    for item in invoice.lines:
        basis_tax = by_rate.setdefault(item["vat_rate"], [0, 0])
        basis_tax[0] += int(item["net_cents"])
        basis_tax[1] += int(item["vat_cents"])
    for rate, (basis, tax) in by_rate.items():
        _tax(settlement, vat_category(invoice.reverse_charge, rate), rate, basis, tax)
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _date(terms, "ram:DueDateDateTime", invoice.due_on)
    sums = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(sums, "ram:LineTotalAmount", money(invoice.net_cents))
    _el(sums, "ram:TaxBasisTotalAmount", money(invoice.net_cents))
    _el(sums, "ram:TaxTotalAmount", money(invoice.vat_cents), currencyID=invoice.currency)
    _el(sums, "ram:GrandTotalAmount", money(invoice.total_cents))
    _el(sums, "ram:DuePayableAmount", money(invoice.total_cents))
    if corrects:
        referenced = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(referenced, "ram:IssuerAssignedID", corrects)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def embed(pdf: bytes, xml: bytes, invoice: PartyInvoice) -> bytes:
    """The PDF turned Factur-X: PDF/A-3 metadata and the XML as factur-x.xml."""
    return generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata={
            "author": invoice.seller["legal_name"],
            "keywords": "Factur-X",
            "title": invoice.reference,
            "subject": invoice.reference,
        },
    )
