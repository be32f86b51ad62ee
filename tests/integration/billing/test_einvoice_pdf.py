"""The stored PDF of an issued document is a Factur-X PDF/A-3b: the EN 16931 CII embedded as
``factur-x.xml``, built from the same document; previews stay plain PDFs."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from billing.einvoice.exports import statement_cii_xml
from billing.models import Statement
from billing.pdf import statement_pdf_bytes, statement_pdf_preview_bytes
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Contract, Organisation
from contracts.services import contract_import_content
from pricing.period import Period
from tests.unit.billing.einvoice_checks import assert_valid_cii

from .conftest import CONTRACT, load_kpis, month

pytestmark = pytest.mark.django_db
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"


def vat_registered_contract():
    """The test contract with a VAT-registered supplier, agreed in its self-billing agreement."""
    content = CONTRACT.format(
        reference="ACME-V-001", supplier="Northwind CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc"
    )
    content = content.replace("country: GB}", "country: GB, vat_number: GB987654311}")
    content = content.replace("end: 2028-12-31}", "end: 2028-12-31, supplier_vat: GB987654311}")
    contract_import_content(file_name="ACME-V-001.yaml", content=content.encode())
    return Contract.objects.get(reference="ACME-V-001")


@pytest.fixture
def issued(db, django_capture_on_commit_callbacks):
    contract = vat_registered_contract()
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    draft = statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))
    statement_approve(statement_id=draft.pk)
    with django_capture_on_commit_callbacks(execute=True):  # the PDF is stored after commit
        statement = statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3))
    statement.refresh_from_db()
    return statement


def pdfa_markers(pdf: bytes) -> dict:
    """What a PDF/A-3b reader looks for: the XMP's PDF/A identification, the output intent,
    and the embedded files with their relationship."""
    reader = PdfReader(BytesIO(pdf))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    intents = [intent.get_object() for intent in root.get("/OutputIntents", [])]
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    files = {names[i]: names[i + 1].get_object() for i in range(0, len(names), 2)}
    return {
        "part": "pdfaid:part>3<" in xmp or 'pdfaid:part="3"' in xmp,
        "conformance": "pdfaid:conformance>B<" in xmp or 'pdfaid:conformance="B"' in xmp,
        "facturx_xmp": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in xmp and "EN 16931" in xmp,
        "intent": [str(intent["/S"]) for intent in intents],
        "icc": all("/DestOutputProfile" in intent for intent in intents),
        "files": {name: str(spec["/AFRelationship"]) for name, spec in files.items()},
        "af": [str(spec.get_object()["/F"]) for spec in root.get("/AF", [])],
    }


def test_the_stored_pdf_is_pdfa_3b_with_its_cii_embedded(issued):
    stored = issued.pdf.read()
    assert pdfa_markers(stored) == {
        "part": True,
        "conformance": True,
        "facturx_xmp": True,
        "intent": ["/GTS_PDFA1"],
        "icc": True,
        "files": {"factur-x.xml": "/Alternative"},
        "af": ["factur-x.xml"],
    }
    name, xml = facturx.get_xml_from_pdf(stored, check_xsd=True)
    assert name == "factur-x.xml"
    assert xml == statement_cii_xml(statement_id=issued.pk)
    assert_valid_cii(xml)
    cii = etree.fromstring(xml)
    assert cii.findtext(f".//{RAM}TypeCode") == "389"  # the test contract is self-billed
    assert cii.findtext(f".//{RAM}GrandTotalAmount") == "15960.00" and issued.gross == Decimal("15960.00")


def test_the_cii_reads_the_parties_frozen_at_issue(issued):
    """Renaming the buyer and the contract after issue changes nothing: the XML built now is
    the one embedded at issue."""
    Organisation.objects.filter(code="ACME").update(name="Acme Renamed plc", vat_number="GB000000000")
    Contract.objects.filter(pk=issued.contract_id).update(title="Renamed care")
    xml = statement_cii_xml(statement_id=issued.pk)
    assert xml == facturx.get_xml_from_pdf(issued.pdf.read(), check_xsd=False)[1]
    cii = etree.fromstring(xml)
    buyer = cii.find(f".//{RAM}BuyerTradeParty")
    assert buyer.findtext(f"{RAM}Name") == "Acme Telecom plc"
    assert buyer.findtext(f"{RAM}SpecifiedTaxRegistration/{RAM}ID") == "GB123456782"


def test_a_preview_is_a_plain_pdf_without_an_einvoice(contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    draft = statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))
    reader = PdfReader(BytesIO(statement_pdf_preview_bytes(statement=draft)))
    assert "/Names" not in reader.trailer["/Root"] and "/OutputIntents" not in reader.trailer["/Root"]


def test_a_supplier_without_a_vat_number_gets_a_pdfa_without_an_einvoice(contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    assert not contract.supplier.vat_number
    draft = statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))
    statement_approve(statement_id=draft.pk)
    statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3))
    pdf = statement_pdf_bytes(statement=Statement.objects.get(pk=draft.pk))
    reader = PdfReader(BytesIO(pdf))
    assert "/OutputIntents" in reader.trailer["/Root"] and "/Names" not in reader.trailer["/Root"]
