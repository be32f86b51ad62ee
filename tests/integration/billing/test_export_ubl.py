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
