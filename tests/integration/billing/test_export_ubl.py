"""``manage.py export_ubl NUMBER [--out FILE]``: an issued document's Peppol UBL, printed or
written; a clear error, and nothing written, for anything else."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from lxml import etree

from billing.einvoice.exports import statement_ubl_xml
from tests.unit.billing.einvoice_checks import assert_valid_ubl

from .test_einvoice_pdf import issued  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def test_it_prints_the_ubl_of_an_issued_document(issued):  # noqa: F811
    out = StringIO()
    call_command("export_ubl", issued.number, stdout=out)
    xml = out.getvalue().encode()
    assert xml.strip() == statement_ubl_xml(statement_id=issued.pk).strip()
    assert_valid_ubl(xml)
    assert etree.fromstring(xml).findtext("{*}InvoiceTypeCode") == "389"


def test_it_writes_the_file_given(issued, tmp_path):  # noqa: F811
    target = tmp_path / "invoice.xml"
    out = StringIO()
    call_command("export_ubl", issued.number, "--out", str(target), stdout=out)
    assert target.read_bytes() == statement_ubl_xml(statement_id=issued.pk)
    assert out.getvalue().startswith(f"wrote {target} (")


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("NO-SUCH-1", "no issued document NO-SUCH-1"),
        ("", "not a document number: ''"),
        ("X" * 41, "not a document number"),
    ],
)
def test_an_unknown_or_malformed_number_is_an_error(issued, number, message, tmp_path):  # noqa: F811
    target = tmp_path / "never.xml"
    with pytest.raises(CommandError, match=message):
        call_command("export_ubl", number, "--out", str(target), stdout=StringIO())
    assert not target.exists()


def test_a_directory_that_does_not_exist_is_an_error(issued, tmp_path):  # noqa: F811
    with pytest.raises(CommandError, match="cannot write"):
        call_command(
            "export_ubl", issued.number, "--out", str(tmp_path / "no" / "such.xml"), stdout=StringIO()
        )


def test_the_buyer_reference_is_the_po_number_frozen_at_issue_else_the_contract_reference(
    db, django_capture_on_commit_callbacks
):
    from datetime import date

    from billing.services import statement_approve, statement_issue, statement_price_draft
    from pricing.period import Period

    from .test_einvoice_pdf import load_kpis, month, vat_registered_contract

    contract = vat_registered_contract()
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    load_kpis(month(contract.reference, "2026-02", 1500, 78))
    statements = {}
    for period, reference in ((Period(2026, 1), ""), (Period(2026, 2), "PO-4500012345")):
        contract.buyer_reference = reference
        contract.save(update_fields=["buyer_reference"])
        draft = statement_price_draft(contract_id=contract.pk, period=period)
        statement_approve(statement_id=draft.pk)
        with django_capture_on_commit_callbacks(execute=True):
            statements[str(period)] = statement_issue(statement_id=draft.pk, issue_date=date(2026, 3, 2))
    contract.buyer_reference = "PO-CHANGED-LATER"
    contract.save(update_fields=["buyer_reference"])
    for period, expected in (("2026-01", contract.reference), ("2026-02", "PO-4500012345")):
        xml = statement_ubl_xml(statement_id=statements[period].pk)
        assert_valid_ubl(xml)
        assert etree.fromstring(xml).findtext("{*}BuyerReference") == expected
