"""Contract files written before a change to the terms import and price exactly as before.

Two snapshots in ``compatibility/``, made from the code before the stepped credits, pain
bands, package pricing and KPI rounding were added, and never regenerated to make a change
pass (a difference is a change in what a contract already signed is worth):

* ``canonical.json``: the canonical parameters of every component of every terms version of
  the contract files in ``compatibility/contracts/`` (what an import stores): copies of
  fixtures/contracts and of the golden scenarios' contracts as they were written then, kept
  here because the demo contracts go on to use the new terms;
* ``priced.json``: those fixture contracts billed and issued on the fixture KPI months as the
  demo bills them (January to March, then February's late correction), every document of each
  month as ``export_statements --status all`` gives it.

The golden scenarios' own ``expected.json`` files are checked by tests/golden. The hostile
files' messages are checked by ``test_hostile_files``. To write the snapshots (only on code
that has not changed pricing): ``COMPATIBILITY_WRITE=1 pytest`` on this module.
"""

import json
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from contracts.components import KpiInfo
from contracts.schema import validate_contract
from contracts.yamlio import parse_document
from kpis.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent / "compatibility"
CONTRACTS = HERE / "contracts"
CONTRACT_FILES = sorted(CONTRACTS.glob("*.yaml"))
FIXTURE_CONTRACTS = [
    CONTRACTS / name for name in ("acme-telecom.yaml", "bright-retail.yaml", "northern-utility.yaml")
]
# The demo's months: each ingested, billed and issued in turn, then February corrected.
MONTHS = [("2026-01", "2026-01.csv"), ("2026-02", "2026-02.csv"), ("2026-03", "2026-03.xlsx")]
CORRECTION = ("2026-02", "2026-02-correction.csv")
KPI_INFO = {k.code: KpiInfo(k.unit, k.direction, k.aggregation) for k in CATALOGUE}
WRITE = os.environ.get("COMPATIBILITY_WRITE") == "1"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def canonical(path: Path) -> dict:
    """``{effective_from: {component id: [type, canonical params]}}`` of one contract file."""
    name = path.name
    spec = validate_contract(
        parse_document(path.read_text(), file_name=name), file_name=name, catalogue=KPI_INFO
    )
    return {
        version.effective_from: {c.id: [c.type, c.params] for c in version.components}
        for version in spec.versions
    }


def priced_fixture_months() -> dict:
    run("import_contracts", *[str(p) for p in FIXTURE_CONTRACTS])
    for period, name in [*MONTHS, CORRECTION]:
        run("ingest_kpis", str(ROOT / "fixtures" / "kpis" / name))
        run("run_billing", "--period", period)
        run("issue_statements", "--period", period, "--issue-date", f"{period}-28")
    return {
        period: json.loads(run("export_statements", "--period", period, "--status", "all"))
        for period, _ in MONTHS
    }


def compare(name: str, actual: dict) -> None:
    path = HERE / name
    if WRITE:
        path.write_text(json.dumps(actual, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    assert actual == json.loads(path.read_text())


def test_every_contract_file_imports_as_before():
    files = {path.name: canonical(path) for path in CONTRACT_FILES}
    assert len(files) >= 5  # the three fixtures and both golden scenarios
    compare("canonical.json", files)


@pytest.mark.django_db
def test_the_fixture_contracts_price_their_months_as_before(kpi_catalogue):
    exported = priced_fixture_months()
    assert {s["contract"] for s in exported["2026-03"]} == {
        "ACME-TEL-001",
        "BRIGHT-RET-002",
        "NORTHERN-UTIL-003",
    }
    compare("priced.json", exported)
