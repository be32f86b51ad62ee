"""Indexation end to end: index values through ``import_index``, an indexed month priced with
its provisional flag while the value is not yet published, then priced again when it arrives:
a draft is replaced, an issued month gets an adjustment through the late-correction path."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.models import Statement
from contracts.index_import import index_series_create
from contracts.models import IndexValue

from .conftest import CONTRACT, load_kpis, month

INDEXATION = """    indexation:
      index: CPI
      base_month: 2025-01
      anniversary_month: 3
      reference_lag_months: 2
      applies_to: {{components: [mgmt]}}
      cap_percent: "5"
"""
INDEXED = CONTRACT.replace("  - effective_from: 2026-01\n", "  - effective_from: 2026-01\n" + INDEXATION, 1)
MARCH = "2026-03"


def import_index(tmp_path, rows: str, *args: str) -> str:
    path = tmp_path / "cpi.csv"
    path.write_text("series,period,value\n" + rows)
    out = StringIO()
    call_command("import_index", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def price_and_issue(period: str = MARCH, issue: bool = True) -> None:
    quiet = {"stdout": StringIO(), "stderr": StringIO()}
    call_command("run_billing", "--period", period, **quiet)
    if issue:
        call_command("issue_statements", "--period", period, **quiet)


def mgmt_amounts(statement: Statement) -> list[Decimal]:
    return [line.amount for line in statement.lines.filter(component_id="mgmt")]


@pytest.fixture
def indexed(db, tmp_path):
    """The contract indexed on CPI from March 2026 (reading 2026-01 against 2025-01); CPI known
    to 2025-12 only; March's KPIs loaded."""
    from contracts.services import contract_import_content

    index_series_create(code="CPI", name="Consumer prices index")
    import_index(tmp_path, "CPI,2025-01,100.0\nCPI,2025-12,102.0\n")
    content = INDEXED.format(
        reference="ACME-T-001", supplier="Northwind CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc"
    )
    contract_import_content(file_name="acme.yaml", content=content.encode())
    load_kpis(month("ACME-T-001", MARCH, 500, 90))


def live(period: str = MARCH) -> Statement:
    return Statement.objects.get(period=period, adjusts__isnull=True)


def test_a_month_priced_before_its_index_value_is_published_is_provisional_and_flagged(indexed):
    price_and_issue(issue=False)
    draft = live()
    assert mgmt_amounts(draft) == [Decimal("10200.00")]  # 102.0 / 100.0: +2 %, the last known value
    (flag,) = [f for f in draft.flags if f["code"] == "index_provisional"]
    assert "CPI 2026-01 is not yet published" in flag["message"] and "2025-12 (102)" in flag["message"]
    assert draft.inputs["indexation"] == {
        "index": "CPI",
        "factor": "1.02",
        "reads": [
            {"wanted": "2025-01", "read": "2025-01", "value": "100.000000"},
            {"wanted": "2026-01", "read": "2025-12", "value": "102.000000"},
        ],
    }
    assert draft.inputs["terms"]["indexation"]["index"] == "CPI"


def test_the_value_arriving_prices_a_draft_again_without_the_flag(
    indexed, tmp_path, django_capture_on_commit_callbacks
):
    price_and_issue(issue=False)
    with django_capture_on_commit_callbacks(execute=True):
        import_index(tmp_path, "CPI,2026-01,103.0\n")
    draft = live()
    assert draft.status == Statement.Status.DRAFT
    assert mgmt_amounts(draft) == [Decimal("10300.00")]
    assert not [f for f in draft.flags if f["code"] == "index_provisional"]


def test_the_value_arriving_after_issue_is_a_correction_of_the_issued_month(
    indexed, tmp_path, django_capture_on_commit_callbacks
):
    price_and_issue()
    original = live()
    assert original.status == Statement.Status.ISSUED
    with django_capture_on_commit_callbacks(execute=True):
        import_index(tmp_path, "CPI,2026-01,103.0\n")
    original.refresh_from_db()
    assert original.status == Statement.Status.ISSUED and mgmt_amounts(original) == [Decimal("10200.00")]
    adjustment = Statement.objects.get(adjusts=original)
    assert adjustment.status == Statement.Status.DRAFT
    (line,) = adjustment.lines.all()
    assert (line.component_id, line.amount) == ("mgmt", Decimal("100.00"))
    assert line.explanation.startswith("Correction: was 10,200.00, now 10,300.00.")
    assert "CPI 2026-01 103 / 2025-01 100 = +3.00 %" in line.explanation
    # importing the same file again changes nothing and prices nothing again
    with django_capture_on_commit_callbacks(execute=True):
        import_index(tmp_path, "CPI,2026-01,103.0\n")
    assert Statement.objects.filter(adjusts=original).count() == 1


def test_a_revision_of_a_value_used_is_refused_unless_asked_for_then_corrects(
    indexed, tmp_path, django_capture_on_commit_callbacks
):
    import_index(tmp_path, "CPI,2026-01,103.0\n")
    price_and_issue()
    original = live()
    with pytest.raises(CommandError):
        import_index(tmp_path, "CPI,2026-01,104.0\n")
    assert IndexValue.objects.get(period="2026-01").value == Decimal("103.0")
    with django_capture_on_commit_callbacks(execute=True):
        out = import_index(tmp_path, "CPI,2026-01,104.0\n", "--revise")
    assert "1 revised (2026-01)" in out
    value = IndexValue.objects.get(period="2026-01")
    assert [record.value for record in value.history.order_by("history_date")] == [
        Decimal("103.0"),
        Decimal("104.0"),
    ]
    (line,) = Statement.objects.get(adjusts=original).lines.all()
    assert (line.component_id, line.amount) == ("mgmt", Decimal("100.00"))  # 10,300 → 10,400


def test_a_month_whose_index_has_no_value_at_all_fails_naming_the_index(db, tmp_path):
    from contracts.services import contract_import_content

    index_series_create(code="CPI", name="Consumer prices index")
    content = INDEXED.format(
        reference="ACME-T-001", supplier="Northwind CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc"
    )
    contract_import_content(file_name="acme.yaml", content=content.encode())
    load_kpis(month("ACME-T-001", MARCH, 500, 90))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("run_billing", "--period", MARCH, stdout=StringIO(), stderr=err)
    assert "index CPI has no value for 2025-01 or any month before it" in err.getvalue()
    assert not Statement.objects.exists()


def test_months_before_the_first_anniversary_read_no_index(indexed):
    load_kpis(month("ACME-T-001", "2026-02", 500, 90))
    price_and_issue("2026-02", issue=False)
    february = live("2026-02")
    assert mgmt_amounts(february) == [Decimal("10000.00")]
    assert not [f for f in february.flags if f["code"] == "index_provisional"]
    assert february.inputs["indexation"]["reads"] == []


def test_an_indexed_contract_exports_and_imports_again_unchanged(indexed):
    from contracts.models import Contract
    from contracts.services import contract_export, contract_import_content

    text = contract_export(contract=Contract.objects.get())
    assert "  indexation:\n    index: CPI\n    base_month: 2025-01\n    anniversary_month: 3\n" in text
    result = contract_import_content(file_name="again.yaml", content=text.encode())
    assert result.status == "unchanged"


def test_the_indexation_of_a_version_that_priced_an_issued_month_cannot_change(indexed):
    from contracts.schema import ContractFileError
    from contracts.services import contract_import_content

    price_and_issue()
    changed = INDEXED.replace('cap_percent: "5"', 'cap_percent: "3"').format(
        reference="ACME-T-001", supplier="Northwind CX Ltd", buyer_code="ACME", buyer_name="Acme Telecom plc"
    )
    with pytest.raises(
        ContractFileError, match="version 2026-01 priced an issued statement and cannot change"
    ):
        contract_import_content(file_name="acme.yaml", content=changed.encode())


def test_a_chunk_of_indexed_contracts_reads_the_index_in_one_query_whatever_its_size(db, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from billing.services import statements_price
    from contracts.models import Contract
    from contracts.services import contract_import_content
    from pricing.period import Period

    index_series_create(code="CPI", name="Consumer prices index")
    import_index(tmp_path, "CPI,2025-01,100.0\nCPI,2026-01,103.0\n")

    def indexed_contracts(count: int, prefix: str) -> list[int]:
        ids = []
        for n in range(count):
            reference = f"{prefix}-{n:03d}"
            content = INDEXED.format(
                reference=reference,
                supplier=f"{prefix}{n} Ltd",
                buyer_code="ACME",
                buyer_name="Acme Telecom plc",
            )
            contract_import_content(file_name=f"{reference}.yaml", content=content.encode())
            load_kpis(month(reference, MARCH, 500, 90), name=f"{reference}.csv")
            ids.append(Contract.objects.get(reference=reference).pk)
        return ids

    few, many = indexed_contracts(2, "IX-FEW"), indexed_contracts(8, "IX-MANY")

    def queries(ids: list[int]) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            statements_price(contract_ids=ids, period=Period.parse(MARCH))
        return [q["sql"] for q in captured.captured_queries]

    assert len(queries(few)) == len(queries(many))
    index_reads = [sql for sql in queries(many) if "contracts_indexvalue" in sql]
    assert len(index_reads) == 1
    assert {s.lines.get(component_id="mgmt").amount for s in Statement.objects.all()} == {Decimal("10300.00")}
