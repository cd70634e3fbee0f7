"""The PDF of a party invoice or credit note (fpdf2), Factur-X for business buyers.

Printed in French: the invoice is a French legal document (see referrals.invoice_rules).
A Unicode font is embedded when the system has one (PDF/A wants embedded fonts, and
names carry accents and the euro sign); otherwise the core font, latin-1 only.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from referrals.fee_models import PartyInvoice
from referrals.invoice_rules import money

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def _font(pdf: FPDF) -> tuple[str, bool]:
    for path in FONT_CANDIDATES:
        if path.exists():
            pdf.add_font("Body", fname=str(path))
            return "Body", True
    return "Helvetica", False


def _euros(cents: int) -> str:
    whole, _, decimals = money(cents).partition(".")
    grouped = f"{int(whole):,}".replace(",", " ")
    return f"{grouped},{decimals} EUR"


def render(invoice: PartyInvoice, mentions: list[str], corrects: str | None = None) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    family, unicode_ok = _font(pdf)

    def text(value: str) -> str:
        return value if unicode_ok else value.encode("latin-1", "replace").decode("latin-1")

    def row(value: str, size: int = 10, height: float = 5) -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(0, height, text(value), new_x="LMARGIN", new_y="NEXT")

    seller = invoice.seller
    title = "AVOIR" if invoice.is_credit_note else "FACTURE"
    row(f"{title} {invoice.reference}", size=16, height=9)
    row(f"Date : {invoice.issued_on.strftime('%d/%m/%Y')}")
    if not invoice.is_credit_note:
        row(f"Échéance : {invoice.due_on.strftime('%d/%m/%Y')}")
    if corrects:
        row(f"Avoir sur la facture {corrects}")
    pdf.ln(4)
    row(seller["legal_name"], size=11)
    row(f"{seller['address']}, {seller['postal_code']} {seller['city']} ({seller['country']})")
    row(f"SIRET : {seller['siret']}")
    if seller.get("vat_number"):
        row(f"N° TVA intracommunautaire : {seller['vat_number']}")
    pdf.ln(4)
    row("Client :", size=11)
    row(invoice.buyer_name)
    row(
        f"{invoice.buyer_address}, {invoice.buyer_postal_code} {invoice.buyer_city} "
        f"({invoice.buyer_country})"
    )
    if invoice.buyer_siret:
        row(f"SIRET : {invoice.buyer_siret}")
    if invoice.buyer_vat_number:
        row(f"N° TVA intracommunautaire : {invoice.buyer_vat_number}")
    pdf.ln(4)
    plain = FontFace(emphasis="")  # one embedded face: no bold headings
    with pdf.table(
        col_widths=(80, 15, 30, 20, 30), text_align="LEFT", headings_style=plain
    ) as table:
        table.row([text(h) for h in ("Désignation", "Qté", "Prix HT", "TVA", "Total HT")])
        for item in invoice.lines:
            table.row(
                [
                    text(item["description"]),
                    item["quantity"],
                    text(_euros(int(item["unit_cents"]))),
                    f"{item['vat_rate']} %",
                    text(_euros(int(item["net_cents"]))),
                ]
            )
    pdf.ln(3)
    row(f"Total HT : {_euros(invoice.net_cents)}")
    row(f"TVA : {_euros(invoice.vat_cents)}")
    row(f"Total TTC : {_euros(invoice.total_cents)}", size=12, height=7)
    if seller.get("iban") and not invoice.is_credit_note:
        pdf.ln(3)
        row(f"Virement : IBAN {seller['iban']}  BIC {seller.get('bic') or ''}")
        row(f"Référence à rappeler : {invoice.reference}")
    pdf.ln(4)
    for mention in mentions:
        row(mention, size=8, height=4)
    return bytes(pdf.output())


def document(invoice: PartyInvoice, mentions: list[str], corrects: str | None = None) -> bytes:
    """The file to hand out: Factur-X (PDF with its XML) for a business, else the PDF."""
    pdf = render(invoice, mentions, corrects)
    if not invoice.buyer_is_business:
        return pdf
    from referrals.facturx_invoice import cii_xml, embed

    return embed(pdf, cii_xml(invoice, mentions, corrects), invoice)
