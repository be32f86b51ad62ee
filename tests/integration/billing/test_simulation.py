"""Simulating terms (billing.simulation): a contract's own stored terms reproduce its actual
statements to the cent, every month, over the golden scenarios and the demo; proposals
against hand-worked values; the range and file checks; and nothing written."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from billing.models import Statement, StatementLine
from billing.simulation import (
    simulation_from_file,
)
from billing.simulation_json import simulation_json
from contracts.models import Contract
from contracts.services import contract_export
from tests.golden.test_golden import HERE as GOLDEN
from tests.golden.test_golden import SCENARIOS, scenario_export

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures"


def run(*args: str) -> None:
    call_command(*args, stdout=StringIO(), stderr=StringIO())


def own_terms(contract: Contract, **kwargs) -> dict:
    """The contract simulated on its own stored terms, exported as its contract file, from its
    first month with a statement (unless ``first`` is given) to its last."""
    kwargs.setdefault("first", Statement.objects.filter(contract=contract).order_by("period")[0].period)
    content = contract_export(contract=contract).encode()
    return simulation_json(
        simulation_from_file(contract=contract, file_name="own.yaml", content=content, **kwargs)
    )


def assert_reproduces_every_month(document: dict) -> None:
    """Every month has an actual statement and the simulation equals it to the cent."""
    assert document["months"], "no month simulated"
    for month in document["months"]:
        actual, proposed = month["actual"], month["proposed"]
        assert actual is not None, f"{document['contract']} {month['period']} has no statement"
        where = f"{document['contract']} {month['period']}"
        assert (proposed["net"], proposed["tax"], proposed["gross"]) == (
            actual["net"],
            actual["tax"],
            actual["gross"],
        ), where
        nonzero = {cid: amount for cid, amount in proposed["components"].items() if Decimal(amount)}
        assert nonzero == {cid: a for cid, a in actual["components"].items() if Decimal(a)}, where
        assert set(month["difference"]["components"].values()) <= {"0.00"}, where
        assert month["difference"]["net"] == "0.00", where
    totals = document["totals"]
    assert totals["difference"] == {"net": "0.00", "tax": "0.00", "gross": "0.00"}


# The property over the golden scenarios: late-correction's month is an invoice and its credit
# note (the actual is their sum), so the correction is reproduced too.
@pytest.mark.parametrize("name", SCENARIOS)
def test_own_terms_reproduce_the_golden_scenarios(name):
    scenario_export(GOLDEN / name)
    for contract in Contract.objects.all():
        document = own_terms(contract)
        assert_reproduces_every_month(document)
    if name == "late-correction":
        (month,) = document["months"]
        assert month["actual"]["status"] == "issued" and len(month["actual"]["documents"]) == 2
        assert month["proposed"]["net"] == "31825.00"  # 34,200.00 − 2,375.00 (README.md)


def demo_months() -> None:
    """The demo's months as bin/demo.py bills them, with its three late corrections: February's
    restated volumes, Northwind's January figures and March's corrected cost to serve (here
    ingested by the command-line operator, so they count at once), each billed and issued."""
    run("import_contracts", *sorted(str(p) for p in (FIXTURES / "contracts").glob("*.yaml")))
    for period, name in (("2026-01", "2026-01.csv"), ("2026-02", "2026-02.csv"), ("2026-03", "2026-03.xlsx")):
        run("ingest_kpis", str(FIXTURES / "kpis" / name))
        run("run_billing", "--period", period)
        run("issue_statements", "--period", period)
    for period, name in (
        ("2026-02", "2026-02-correction.csv"),
        ("2026-01", "2026-01-northwind-late.csv"),
        ("2026-03", "2026-03-cost-to-serve-corrected.csv"),
    ):
        run("ingest_kpis", str(FIXTURES / "kpis" / name))
        run("run_billing", "--period", period)
        run("issue_statements", "--period", period)


def test_own_terms_reproduce_every_demo_contract_and_month_with_corrections_and_earn_back():
    demo_months()
    corrected = set(
        Statement.objects.filter(adjusts__isnull=False, status="issued").values_list(
            "contract__reference", "period"
        )
    )
    earned_back = set(
        StatementLine.objects.filter(kind="earn_back").values_list(
            "statement__contract__reference", "statement__period"
        )
    )
    assert corrected, "the demo's corrections issued no adjustment"
    seen_corrected, seen_earn_back = set(), set()
    for contract in Contract.objects.order_by("reference"):
        document = own_terms(contract, first="2026-01", last="2026-03")
        assert_reproduces_every_month(document)
        for month in document["months"]:
            key = (contract.reference, month["period"])
            if key in corrected:
                assert len(month["actual"]["documents"]) >= 2
                seen_corrected.add(key)
            if any(line["kind"] == "earn_back" for line in month["proposed"]["lines"]):
                seen_earn_back.add(key)
    assert seen_corrected == corrected
    assert seen_earn_back == earned_back
