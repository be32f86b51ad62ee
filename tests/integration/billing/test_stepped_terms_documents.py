"""A statement priced with the stepped and rounded terms: its document, scorecard and PDF are
built like any other (a stepped credit's target is its mildest band's limit)."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from billing.documents import documents
from billing.models import Statement
from billing.pdf import statement_pdf_bytes

pytestmark = pytest.mark.django_db
GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "stepped-terms"


def run(*args: str) -> None:
    call_command(*args, stdout=StringIO(), stderr=StringIO())


@pytest.fixture
def statement(kpi_catalogue) -> Statement:
    run("import_contracts", str(GOLDEN / "contract.yaml"))
    run("ingest_kpis", str(GOLDEN / "kpis-1.csv"))
    run("run_billing", "--period", "2026-03")
    return Statement.objects.get(contract__reference="GOLD-STP-001", period="2026-03")


def test_the_scorecard_takes_a_stepped_credits_target_from_its_mildest_band(statement):
    rows = {row.code: row for row in documents([statement.pk], with_scorecard=True)[statement.pk].scorecard}
    assert rows["service_level"].target == Decimal("80")
    assert rows["service_level"].actual == Decimal("73.9") and rows["service_level"].met is False
    assert rows["abandon_rate"].target == Decimal("5")
    assert rows["csat"].target == Decimal("85")


def test_the_pdf_renders(statement):
    assert statement_pdf_bytes(statement=statement).startswith(b"%PDF")
