"""The e-invoice as Peppol BIS Billing 3.0 UBL 2.1: an ``Invoice`` (380, or 389 self-billed)
or a ``CreditNote`` (381, or 261 self-billed). Elements are written in the UBL 2.1 schema's
order (the OASIS XSDs vendored in ``schemas/ubl-2.1``, which the tests check).

Endpoints (BT-34, BT-49): each party's VAT number as frozen at issue, under its country's
Peppol VAT scheme (``values.VAT_ENDPOINT_SCHEMES``: 9932 for a UK VAT number)."""

from __future__ import annotations

from lxml import etree

from .values import VAT_ENDPOINT_SCHEMES, EInvoice, EInvoiceError, EParty

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
ROOTS = {
    False: "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    True: "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def _el(parent, tag: str, text: str | None = None, **attributes) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{CBC if prefix == 'cbc' else CAC}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _party(parent, tag: str, party: EParty) -> None:
    if not party.endpoint_scheme:
        raise EInvoiceError(
            f"{party.name}: a Peppol endpoint needs a VAT number of a country with a Peppol VAT "
            f"scheme ({', '.join(VAT_ENDPOINT_SCHEMES)}); this party has "
            + (f"{party.country!r}" if party.vat_number else "no VAT number")
        )
    element = _el(_el(parent, tag), "cac:Party")
    _el(element, "cbc:EndpointID", party.vat_number, schemeID=party.endpoint_scheme)
    _el(_el(element, "cac:PartyName"), "cbc:Name", party.name)
    address = _el(element, "cac:PostalAddress")
    lines = party.address_lines
    if lines:
        _el(address, "cbc:StreetName", lines[0])
    if len(lines) > 1:
        _el(address, "cbc:AdditionalStreetName", lines[1])
    if len(lines) > 2:
        _el(_el(address, "cac:AddressLine"), "cbc:Line", lines[2])
    _el(_el(address, "cac:Country"), "cbc:IdentificationCode", party.country)
    tax_scheme = _el(element, "cac:PartyTaxScheme")  # the endpoint implies a VAT number
    _el(tax_scheme, "cbc:CompanyID", party.vat_number)
    _el(_el(tax_scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _el(element, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party.name)
    if party.registration:
        _el(legal, "cbc:CompanyID", party.registration)


def _category(parent, tag: str, invoice: EInvoice) -> None:
    category = _el(parent, tag)
    _el(category, "cbc:ID", invoice.tax_category)
    _el(category, "cbc:Percent", invoice.tax_rate)
    _el(_el(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def ubl_xml(invoice: EInvoice) -> bytes:
    """The Peppol BIS Billing 3.0 UBL XML of ``invoice`` (UTF-8, with its declaration).

    Raises ``EInvoiceError`` when a party has no Peppol endpoint (no VAT number, or a country
    without a Peppol VAT scheme)."""
    credit = invoice.is_credit_note
    kind = "CreditNote" if credit else "Invoice"
    root = etree.Element(f"{{{ROOTS[credit]}}}{kind}", nsmap={None: ROOTS[credit], "cac": CAC, "cbc": CBC})
    money = {"currencyID": invoice.currency}
    _el(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
    _el(root, "cbc:ProfileID", PROFILE_ID)
    _el(root, "cbc:ID", invoice.number)
    _el(root, "cbc:IssueDate", invoice.issue_date.isoformat())
    if not credit and invoice.due_date is not None:
        _el(root, "cbc:DueDate", invoice.due_date.isoformat())
    _el(root, f"cbc:{kind}TypeCode", invoice.type_code)
    _el(root, "cbc:Note", invoice.note)
    _el(root, "cbc:DocumentCurrencyCode", invoice.currency)
    _el(root, "cbc:BuyerReference", invoice.buyer_reference)
    period = _el(root, "cac:InvoicePeriod")
    _el(period, "cbc:StartDate", invoice.period_start.isoformat())
    _el(period, "cbc:EndDate", invoice.period_end.isoformat())
    if invoice.preceding_invoice:
        _el(
            _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference"),
            "cbc:ID",
            invoice.preceding_invoice,
        )
    _el(_el(root, "cac:ContractDocumentReference"), "cbc:ID", invoice.contract_reference)
    _party(root, "cac:AccountingSupplierParty", invoice.seller)
    _party(root, "cac:AccountingCustomerParty", invoice.buyer)
    # BT-72: the services were delivered through the end of the billed month.
    _el(_el(root, "cac:Delivery"), "cbc:ActualDeliveryDate", invoice.period_end.isoformat())
    if invoice.seller.iban or (credit and invoice.due_date is not None):
        means = _el(root, "cac:PaymentMeans")
        _el(means, "cbc:PaymentMeansCode", "58" if invoice.seller.iban else "1")
        if credit and invoice.due_date is not None:
            _el(means, "cbc:PaymentDueDate", invoice.due_date.isoformat())
        if invoice.seller.iban:
            account = _el(means, "cac:PayeeFinancialAccount")
            _el(account, "cbc:ID", invoice.seller.iban)
            if invoice.seller.bic:
                _el(_el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", invoice.seller.bic)
    tax_total = _el(root, "cac:TaxTotal")
    _el(tax_total, "cbc:TaxAmount", invoice.tax_total, **money)
    subtotal = _el(tax_total, "cac:TaxSubtotal")
    _el(subtotal, "cbc:TaxableAmount", invoice.tax_basis, **money)
    _el(subtotal, "cbc:TaxAmount", invoice.tax_total, **money)
    _category(subtotal, "cac:TaxCategory", invoice)
    totals = _el(root, "cac:LegalMonetaryTotal")
    _el(totals, "cbc:LineExtensionAmount", invoice.line_total, **money)
    _el(totals, "cbc:TaxExclusiveAmount", invoice.tax_basis, **money)
    _el(totals, "cbc:TaxInclusiveAmount", invoice.grand_total, **money)
    _el(totals, "cbc:PayableAmount", invoice.payable, **money)
    for line in invoice.lines:
        element = _el(root, f"cac:{kind}Line")
        _el(element, "cbc:ID", str(line.position))
        _el(element, f"cbc:{'Credited' if credit else 'Invoiced'}Quantity", line.quantity, unitCode="C62")
        _el(element, "cbc:LineExtensionAmount", line.amount, **money)
        item = _el(element, "cac:Item")
        if line.description:
            _el(item, "cbc:Description", line.description)
        _el(item, "cbc:Name", line.name)
        _category(item, "cac:ClassifiedTaxCategory", invoice)
        _el(_el(element, "cac:Price"), "cbc:PriceAmount", line.price, **money)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
