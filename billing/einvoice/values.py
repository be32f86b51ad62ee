"""An issued statement as the business terms of EN 16931, in one place for CII and UBL.

Codes (UNTDID 1001, the EN 16931 code list): 380 commercial invoice, 381 credit note, 389
self-billed invoice, 261 self-billed credit note.

Sign rule: a credit note's stored amounts are negative (its net is below zero); an e-invoice
states a credit note with every amount negated, so its totals are positive, as EN 16931 asks of
a document whose type already says it credits. A line whose amount is then below zero (a
correction that raises one component while lowering the total) is written with quantity -1
and its price positive, since an item's net price may never be negative (BR-27); its line
amount is the signed amount. Every line has quantity 1 (or -1) and unit code C62 ("one").

VAT: one rate per statement. A rate above zero is category S (standard), zero is Z (zero
rated). Amounts keep the currency's places (EN 16931 allows at most two: BR-DEC).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pricing.money import quantum
from pricing.period import Period

from ..documents import StatementDocument

TYPE_CODES = {
    ("invoice", False): "380",
    ("credit_note", False): "381",
    ("invoice", True): "389",
    ("credit_note", True): "261",
}

# Peppol electronic address schemes (EAS) for a VAT number, by the party's country. The
# endpoint is the party's VAT number as frozen at issue under its country's VAT scheme.
VAT_ENDPOINT_SCHEMES = {
    "AT": "9914",
    "BE": "9925",
    "DE": "9930",
    "ES": "9920",
    "FR": "9957",
    "GB": "9932",
    "IE": "9935",
    "NL": "9944",
}


class EInvoiceError(ValueError):
    """The document cannot be written as an e-invoice (a draft, or a party without the
    details EN 16931 requires); the message says which."""


@dataclass(frozen=True, slots=True)
class EParty:
    """A party as EN 16931 names it: ``address_lines`` are the frozen address's non-blank
    lines (at most three, the rest joined into the third); ``vat_number``, ``endpoint_scheme``,
    ``registration``, ``iban`` and ``bic`` are ``""`` when the party has none."""

    name: str
    country: str
    vat_number: str
    address_lines: tuple[str, ...]
    endpoint_scheme: str
    registration: str = ""
    iban: str = ""
    bic: str = ""


@dataclass(frozen=True, slots=True)
class ELine:
    """One invoice line: ``quantity`` is 1 or -1, ``price`` never negative, ``amount`` =
    quantity x price, all as text with the currency's places."""

    position: int
    name: str
    description: str
    quantity: str
    price: str
    amount: str


@dataclass(frozen=True, slots=True)
class EInvoice:
    """The business terms (BT-n) both syntaxes write, amounts as text with the currency's
    places, already signed by the module's sign rule."""

    number: str  # BT-1
    type_code: str  # BT-3
    is_credit_note: bool
    self_billed: bool
    issue_date: date  # BT-2
    due_date: date | None  # BT-9
    currency: str  # BT-5
    buyer_reference: str  # BT-10: the buyer's PO number frozen at issue, else the contract's reference
    contract_reference: str  # BT-12
    preceding_invoice: str | None  # BT-25: the document a correction adjusts
    period_start: date  # BT-73
    period_end: date  # BT-74, inclusive
    note: str  # BT-22: the contract reference and month (not the title, which may change after issue)
    seller: EParty  # BG-4: the supplier
    buyer: EParty  # BG-7: the buyer
    tax_category: str  # BT-118
    tax_rate: str  # BT-119, percent
    lines: tuple[ELine, ...]
    line_total: str  # BT-106
    tax_basis: str  # BT-109
    tax_total: str  # BT-110 and BT-117
    grand_total: str  # BT-112
    payable: str  # BT-115


def einvoice_of(document: StatementDocument) -> EInvoice:
    """The e-invoice of the issued (or paid, void) ``document``.

    Raises ``EInvoiceError`` for a document without a number or issue date (a draft), or one
    whose supplier has neither a VAT number nor a registration number (BR-CO-26)."""
    if not document.number or document.issue_date is None:
        raise EInvoiceError("only an issued document has an e-invoice")
    seller = _party(document.supplier)
    if not (seller.vat_number or seller.registration):
        raise EInvoiceError(f"{seller.name} has no VAT number: the e-invoice must name the seller's")
    sign = -1 if document.document_type == "credit_note" else 1
    places = quantum(document.decimal_places)

    def text(amount: Decimal) -> str:
        return str((amount * sign).quantize(places))

    period = Period.parse(document.period)
    last_day = calendar.monthrange(period.year, period.month)[1]
    lines = tuple(_line(line, sign, places) for line in document.lines)
    rate = document.tax_rate.normalize()
    return EInvoice(
        number=document.number,
        type_code=TYPE_CODES[(document.document_type, document.contract.self_billing)],
        is_credit_note=document.document_type == "credit_note",
        self_billed=document.contract.self_billing,
        issue_date=document.issue_date,
        due_date=document.due_date,
        currency=document.currency,
        buyer_reference=document.buyer_reference or document.contract.reference,
        contract_reference=document.contract.reference,
        preceding_invoice=document.adjusts or document.replaces,
        period_start=date(period.year, period.month, 1),
        period_end=date(period.year, period.month, last_day),
        note=f"Contract {document.contract.reference}, service period {document.period}",
        seller=seller,
        buyer=_party(document.buyer),
        tax_category="S" if rate > 0 else "Z",
        tax_rate=f"{rate:f}",
        lines=lines,
        line_total=text(sum((line.amount for line in document.lines), Decimal(0))),
        tax_basis=text(document.net),
        tax_total=text(document.tax),
        grand_total=text(document.gross),
        payable=text(document.gross),
    )


def _line(line, sign: int, places: Decimal) -> ELine:
    signed = (line.amount * sign).quantize(places)
    return ELine(
        position=line.position,
        name=(line.title or line.component)[:200],
        description=line.explanation[:1000],
        quantity="-1" if signed < 0 else "1",
        price=str(abs(signed)),
        amount=str(signed),
    )


def _party(party) -> EParty:
    """The party's details; ``iban``, ``bic`` and ``registration`` are read when the frozen
    details carry them (documents issued before they were frozen have none). The endpoint
    scheme is ``""`` without a VAT number or for a country not in ``VAT_ENDPOINT_SCHEMES``."""
    scheme = VAT_ENDPOINT_SCHEMES.get(party.country, "") if party.vat_number else ""
    lines = [line.strip() for line in (party.address or "").splitlines() if line.strip()]
    if len(lines) > 3:
        lines = [*lines[:2], ", ".join(lines[2:])]
    return EParty(
        name=party.name,
        country=party.country,
        vat_number=party.vat_number,
        address_lines=tuple(lines),
        endpoint_scheme=scheme,
        registration=str(getattr(party, "registration_number", "") or ""),
        iban=str(getattr(party, "iban", "") or "").replace(" ", ""),
        bic=str(getattr(party, "bic", "") or ""),
    )
