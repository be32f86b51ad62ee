"""E-invoices without a database: a statement's document as Factur-X CII and Peppol UBL,
checked against the official schemas and the EN 16931 and Peppol rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from billing.documents import DocumentContract, DocumentLine, Party, StatementDocument
from billing.einvoice.cii import cii_xml
from billing.einvoice.ubl import ubl_xml
from billing.einvoice.values import EInvoiceError, einvoice_of

from .einvoice_checks import (
    assert_valid_cii,
    assert_valid_ubl,
    cii_schema_errors,
    en16931_failures,
    peppol_failures,
    ubl_schema_errors,
)

CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"

BUYER = Party("ACME", "Acme Telecom plc", "1 Exchange Sq\nLondon", "GB", "GB123456782")
SUPPLIER = Party(
    "NWCX", "Northwind CX Ltd", "5 Mill Lane\nLeeds\nLS1 4AB\nWest Yorkshire", "GB", "GB987654311"
)


def statement(
    amounts=("14000.00", "500.00", "-700.00"),
    *,
    credit_note=False,
    self_billed=False,
    tax_rate="20",
    currency="GBP",
    places=2,
    supplier=SUPPLIER,
) -> StatementDocument:
    """A statement document with one line per amount; net, tax and gross as pricing makes them."""
    lines = tuple(
        DocumentLine(n, f"component_{n}", "charge", "", Decimal(a), f"Line {n} explained", f"Component {n}")
        for n, a in enumerate(amounts, start=1)
    )
    net = sum((line.amount for line in lines), Decimal(0))
    tax = (net * Decimal(tax_rate) / 100).quantize(Decimal(1).scaleb(-places))
    return StatementDocument(
        id=1,
        number="ACME-CN-2026-000001" if credit_note else "ACME-2026-000001",
        revision=1,
        status="issued",
        document_type="credit_note" if credit_note else "invoice",
        period="2026-02",
        currency=currency,
        decimal_places=places,
        contract=DocumentContract("ACME-NW-2026", "Customer service", self_billed, 30),
        buyer=BUYER,
        supplier=supplier,
        net=net,
        tax=tax,
        gross=net + tax,
        tax_rate=Decimal(tax_rate),
        issue_date=date(2026, 3, 3),
        due_date=date(2026, 4, 2),
        paid_at=None,
        approved_by=None,
        issued_by=None,
        paid_by=None,
        adjusts="ACME-2026-000001" if credit_note else None,
        replaces=None,
        void_reason="",
        flags=(),
        lines=lines,
    )


CASES = {
    "invoice": statement(),
    "self-billed invoice": statement(self_billed=True),
    "credit note": statement(("-1000.00",), credit_note=True),
    "credit note with a line raised": statement(("-1500.00", "300.00"), credit_note=True),
    "self-billed credit note": statement(("-1000.00",), credit_note=True, self_billed=True),
    "zero rated": statement(tax_rate="0"),
    "no minor unit (JPY)": statement(("1234567", "-1000"), currency="JPY", places=0),
}


# The official validators: every kind of document passes them all.
@pytest.mark.parametrize("document", CASES.values(), ids=CASES.keys())
def test_cii_validates_against_the_factur_x_xsd_and_the_en16931_rules(document):
    assert_valid_cii(cii_xml(einvoice_of(document)))


@pytest.mark.parametrize("document", CASES.values(), ids=CASES.keys())
def test_ubl_validates_against_the_ubl_xsd_the_en16931_and_the_peppol_rules(document):
    tolerance = Decimal(1).scaleb(-document.decimal_places)
    assert_valid_ubl(ubl_xml(einvoice_of(document)), tolerance=max(tolerance, Decimal("0.01")))


# The validators can fail: a broken document is caught by each of them.
def test_the_validators_catch_a_total_that_does_not_add_up_and_an_element_out_of_place():
    ubl = etree.fromstring(ubl_xml(einvoice_of(CASES["invoice"])))
    ubl.find(f"{CAC}LegalMonetaryTotal/{CBC}PayableAmount").text = "1.00"
    broken = etree.tostring(ubl)
    assert any(rule == "BR-CO-16" for rule, _, _ in en16931_failures(broken, "ubl"))
    assert any("BR-CO-16" in finding for finding in peppol_failures(broken))
    ubl.insert(0, ubl.find(f"{CBC}IssueDate"))  # before CustomizationID: out of the schema's order
    assert ubl_schema_errors(etree.tostring(ubl))

    cii = etree.fromstring(cii_xml(einvoice_of(CASES["invoice"])))
    cii.find(f".//{RAM}SpecifiedTradeSettlementHeaderMonetarySummation/{RAM}LineTotalAmount").text = "1.00"
    assert any(rule == "BR-CO-10" for rule, _, _ in en16931_failures(etree.tostring(cii), "cii"))
    header = cii.find(f".//{RAM}ApplicableHeaderTradeSettlement")
    header.insert(0, etree.Element(f"{RAM}NoSuchElement"))
    assert cii_schema_errors(etree.tostring(cii))


# Type codes (UNTDID 1001) and the root element: self-billed is 389, a credit note a CreditNote.
@pytest.mark.parametrize(
    ("case", "root", "code"),
    [
        ("invoice", "Invoice", "380"),
        ("self-billed invoice", "Invoice", "389"),
        ("credit note", "CreditNote", "381"),
        ("self-billed credit note", "CreditNote", "261"),
    ],
)
def test_type_codes(case, root, code):
    invoice = einvoice_of(CASES[case])
    ubl = etree.fromstring(ubl_xml(invoice))
    assert etree.QName(ubl).localname == root
    assert ubl.findtext(f"{CBC}{root}TypeCode") == code
    cii = etree.fromstring(cii_xml(invoice))
    assert cii.findtext(f".//{{*}}ExchangedDocument/{RAM}TypeCode") == code


# EN 16931 totals: BT-106 is the sum of the line amounts (BT-131), BT-109 = BT-106 (no
# allowances or charges), BT-112 = BT-109 + BT-110, BT-115 = BT-112 (nothing prepaid); a
# credit note's amounts are the stored ones negated.
@pytest.mark.parametrize(
    ("case", "lines", "line_total", "tax", "grand_total"),
    [
        ("invoice", ["14000.00", "500.00", "-700.00"], "13800.00", "2760.00", "16560.00"),
        ("credit note", ["1000.00"], "1000.00", "200.00", "1200.00"),
        ("credit note with a line raised", ["1500.00", "-300.00"], "1200.00", "240.00", "1440.00"),
        ("zero rated", ["14000.00", "500.00", "-700.00"], "13800.00", "0.00", "13800.00"),
        ("no minor unit (JPY)", ["1234567", "-1000"], "1233567", "246713", "1480280"),
    ],
)
def test_totals_arithmetic(case, lines, line_total, tax, grand_total):
    ubl = etree.fromstring(ubl_xml(einvoice_of(CASES[case])))
    kind = etree.QName(ubl).localname
    amounts = [line.findtext(f"{CBC}LineExtensionAmount") for line in ubl.iter(f"{CAC}{kind}Line")]
    assert amounts == lines
    totals = ubl.find(f"{CAC}LegalMonetaryTotal")
    assert totals.findtext(f"{CBC}LineExtensionAmount") == line_total == str(sum(map(Decimal, lines)))
    assert totals.findtext(f"{CBC}TaxExclusiveAmount") == line_total
    assert ubl.findtext(f"{CAC}TaxTotal/{CBC}TaxAmount") == tax
    assert Decimal(line_total) + Decimal(tax) == Decimal(grand_total)
    assert (
        totals.findtext(f"{CBC}TaxInclusiveAmount") == totals.findtext(f"{CBC}PayableAmount") == grand_total
    )


def test_a_line_below_zero_has_quantity_minus_one_and_a_positive_price():
    invoice = einvoice_of(CASES["credit note with a line raised"])
    assert [(line.quantity, line.price, line.amount) for line in invoice.lines] == [
        ("1", "1500.00", "1500.00"),
        ("-1", "300.00", "-300.00"),
    ]


def test_the_ubl_names_the_parties_endpoints_references_and_period():
    ubl = etree.fromstring(ubl_xml(einvoice_of(CASES["credit note"])))
    seller = ubl.find(f"{CAC}AccountingSupplierParty/{CAC}Party")
    endpoint = seller.find(f"{CBC}EndpointID")
    assert (endpoint.get("schemeID"), endpoint.text) == ("9932", "GB987654311")
    assert seller.findtext(f"{CAC}PartyLegalEntity/{CBC}RegistrationName") == "Northwind CX Ltd"
    # Four address lines: the third and fourth share the last line.
    address = seller.find(f"{CAC}PostalAddress")
    assert [address.findtext(f"{CBC}StreetName"), address.findtext(f"{CBC}AdditionalStreetName")] == [
        "5 Mill Lane",
        "Leeds",
    ]
    assert address.findtext(f"{CAC}AddressLine/{CBC}Line") == "LS1 4AB, West Yorkshire"
    buyer = ubl.find(f"{CAC}AccountingCustomerParty/{CAC}Party")
    assert buyer.findtext(f"{CAC}PartyTaxScheme/{CBC}CompanyID") == "GB123456782"
    assert ubl.findtext(f"{CBC}BuyerReference") == "ACME-NW-2026"
    assert ubl.findtext(f"{CAC}BillingReference/{CAC}InvoiceDocumentReference/{CBC}ID") == "ACME-2026-000001"
    assert [ubl.findtext(f"{CAC}InvoicePeriod/{CBC}{end}") for end in ("StartDate", "EndDate")] == [
        "2026-02-01",
        "2026-02-28",
    ]
    assert ubl.findtext(f"{CAC}PaymentMeans/{CBC}PaymentDueDate") == "2026-04-02"  # BT-9 of a credit note


def test_an_iban_in_the_frozen_details_is_the_payment_account():
    """Parties frozen with bank details (read with getattr: older documents have none) give BT-84."""

    class BankedParty:
        def __init__(self, party, **bank):
            self.__dict__.update({name: getattr(party, name) for name in Party.__slots__}, **bank)

    document = replace(
        CASES["invoice"], supplier=BankedParty(SUPPLIER, iban="GB33 BUKB 2020 1555 5555 55", bic="BUKBGB22")
    )
    invoice = einvoice_of(document)
    ubl = ubl_xml(invoice)
    assert_valid_ubl(ubl)
    assert etree.fromstring(ubl).findtext(f"{CAC}PaymentMeans/{CAC}PayeeFinancialAccount/{CBC}ID") == (
        "GB33BUKB20201555555555"
    )
    cii = cii_xml(invoice)
    assert_valid_cii(cii)
    assert etree.fromstring(cii).findtext(f".//{RAM}IBANID") == "GB33BUKB20201555555555"


def test_without_an_endpoint_the_ubl_is_refused_and_the_cii_still_written():
    abroad = replace(CASES["invoice"], supplier=replace(SUPPLIER, country="US", vat_number="US-123"))
    with pytest.raises(EInvoiceError, match="Peppol endpoint"):
        ubl_xml(einvoice_of(abroad))
    assert_valid_cii(cii_xml(einvoice_of(abroad)))
    with pytest.raises(EInvoiceError, match="no VAT number"):
        einvoice_of(replace(CASES["invoice"], supplier=replace(SUPPLIER, vat_number="")))


def test_a_draft_has_no_einvoice():
    with pytest.raises(EInvoiceError, match="only an issued document"):
        einvoice_of(replace(CASES["invoice"], number=None, issue_date=None))
