"""French invoice rules: identities, VAT per line, reverse charge and legal mentions.

The mentions printed on the documents stay in French whatever the reader's language:
an invoice issued in France is a French legal document (Code de commerce art. L441-9,
CGI art. 242 nonies A), so those texts are constants here, not translated strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from stdnum.eu import vat as eu_vat
from stdnum.fr import siret as fr_siret

EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
REVERSE_CHARGE = "Autoliquidation - article 196 de la directive 2006/112/CE"
FRANCHISE = "TVA non applicable, article 293 B du CGI"
NO_DISCOUNT = "Pas d'escompte pour paiement anticipé."
LATE_PENALTIES = (
    "En cas de retard de paiement, pénalités au taux de trois fois le taux d'intérêt "
    "légal (article L441-10 du code de commerce)."
)
RECOVERY_INDEMNITY = (
    "Indemnité forfaitaire pour frais de recouvrement due au créancier en cas de retard "
    "de paiement : 40 EUR (article D441-5 du code de commerce)."
)


@dataclass
class Buyer:
    """A party as invoiced: a person, or a business with its identifiers."""

    name: str
    address: str
    postal_code: str
    city: str
    country: str = "FR"
    email: str = ""
    is_business: bool = False
    siret: str = ""
    vat_number: str = ""


def compact_vat(number: str) -> str:
    return eu_vat.compact(number) if number.strip() else ""


def compact_siret(number: str) -> str:
    return "".join(number.split())


def _vat_country(number: str) -> str:
    prefix = number[:2].upper()
    return "GR" if prefix == "EL" else prefix


def identity_errors(*, country: str, siret: str, vat_number: str, business: bool) -> dict[str, Any]:
    """Field messages for a SIRET and a VAT number, under "siret" and "vat_number"."""
    errors: dict[str, Any] = {}
    siret = compact_siret(siret)
    if siret and not fr_siret.is_valid(siret):
        errors["siret"] = _l("This is not a valid SIRET number (14 digits).")
    if business and country == "FR" and not siret:
        errors["siret"] = _l("A French business is invoiced with its SIRET number.")
    if vat_number.strip():
        compact = compact_vat(vat_number)
        if not eu_vat.is_valid(compact):
            errors["vat_number"] = _l("This is not a valid EU VAT number.")
        elif _vat_country(compact) != country:
            errors["vat_number"] = _l("This VAT number is not of the country given.")
    return errors


def reverse_charged(buyer: Buyer) -> bool:
    """EU business buyers outside France with a valid VAT number account for the VAT
    themselves (directive 2006/112/EC art. 196): the center invoices without it."""
    return (
        buyer.is_business
        and buyer.country in EU_COUNTRIES
        and buyer.country != "FR"
        and bool(buyer.vat_number)
        and eu_vat.is_valid(buyer.vat_number)
    )


def vat_cents(net_cents: int, rate: Decimal) -> int:
    return int((Decimal(net_cents) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line(description: str, net_cents: int, rate: Decimal) -> dict[str, Any]:
    """One invoice line (quantity 1), its VAT computed on the line itself."""
    return {
        "description": description,
        "quantity": "1",
        "unit_cents": net_cents,
        "vat_rate": str(rate.quantize(Decimal("0.01"))),
        "net_cents": net_cents,
        "vat_cents": vat_cents(net_cents, rate),
    }


def totals(lines: list[dict[str, Any]]) -> tuple[int, int, int]:
    net = sum(int(item["net_cents"]) for item in lines)
    tax = sum(int(item["vat_cents"]) for item in lines)
    return net, tax, net + tax


def mentions(seller: dict[str, Any], *, business: bool, reverse: bool, zero_vat: bool) -> list[str]:
    """The legal mentions of one document, in print order."""
    days = int(seller.get("payment_terms_days") or 0)
    terms = (
        "Paiement à réception de la facture."
        if days == 0
        else f"Paiement à {days} jours à compter de la date de facture."
    )
    found = [terms, NO_DISCOUNT, LATE_PENALTIES]
    if business:
        found.append(RECOVERY_INDEMNITY)
    if reverse:
        found.append(REVERSE_CHARGE)
    elif zero_vat and not seller.get("vat_number"):
        found.append(FRANCHISE)
    if seller.get("legal_mentions"):
        found.append(str(seller["legal_mentions"]))
    return found


def money(cents: int) -> str:
    """Cents as a decimal amount with two places ("1234.50"), for documents and XML."""
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def vat_category(reverse: bool, rate: str) -> str:
    """The VAT category code of EN 16931: AE (reverse charge), E (exempt: the VAT
    franchise of a small center) or S (standard)."""
    if reverse:
        return "AE"
    return "E" if Decimal(rate) == 0 else "S"
