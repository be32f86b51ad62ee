"""Golden scenarios, end to end through the management commands.

Each folder holds a contract file, KPI files and the expected export. ``kpis-1.csv`` is the
month as first delivered: it is ingested, billed and issued. A ``kpis-2.csv`` is a late
correction: ingested after issue, then the month is billed again and the adjustment issued.
An ``index-1.csv`` holds index values known before the month is billed (imported first, the
series created by ``import_index --name``); an ``index-2.csv`` is a value published after
issue: importing it prices the month again by itself (the billing run it starts once the
import is committed), and the adjustment is issued. The expected amounts are worked by hand in
each folder's README.md.
A scenario over several months has one ``kpis-YYYY-MM.csv`` per month instead: each is
ingested, billed and issued in month order, and the expected export is every month's, in
order. The expected amounts are worked by hand in each folder's README.md.
"""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import TestCase

HERE = Path(__file__).resolve().parent
SCENARIOS = sorted(path.name for path in HERE.iterdir() if (path / "expected.json").exists())


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def import_index(path: Path) -> None:
    series = path.read_text().splitlines()[1].split(",")[0]
    run("import_index", str(path), "--series", series, "--name", series)


def months_export(folder: Path, files: list[Path]) -> list[dict]:
    """Each month's file ingested, billed and issued in turn; every month's export, in order."""
    periods = [path.stem.removeprefix("kpis-") for path in files]
    for path, period in zip(files, periods, strict=True):
        run("ingest_kpis", str(path))
        run("run_billing", "--period", period)
        run("issue_statements", "--period", period, "--issue-date", f"{period}-28")
    return [
        s
        for period in periods
        for s in json.loads(run("export_statements", "--period", period, "--status", "all"))
    ]


def scenario_export(folder: Path) -> list[dict]:
    if (folder / "index-1.csv").exists():
        import_index(folder / "index-1.csv")
    run("import_contracts", str(folder / "contract.yaml"))
    monthly = sorted(folder.glob("kpis-[0-9][0-9][0-9][0-9]-[0-9][0-9].csv"))
    if monthly:
        return months_export(folder, monthly)
    first = (folder / "kpis-1.csv").read_text()
    period = next(line.split(",")[1][:7] for line in first.splitlines()[1:])
    run("ingest_kpis", str(folder / "kpis-1.csv"))
    run("run_billing", "--period", period)
    run("issue_statements", "--period", period, "--issue-date", f"{period}-28")
    if (folder / "kpis-2.csv").exists():
        run("ingest_kpis", str(folder / "kpis-2.csv"))
        run("run_billing", "--period", period)
        run("issue_statements", "--period", period, "--issue-date", f"{period}-28")
    if (folder / "index-2.csv").exists():
        with TestCase.captureOnCommitCallbacks(execute=True):
            import_index(folder / "index-2.csv")
        run("issue_statements", "--period", period, "--issue-date", f"{period}-28")
    return json.loads(run("export_statements", "--period", period, "--status", "all"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", SCENARIOS)
def test_golden_scenario(name):
    folder = HERE / name
    assert scenario_export(folder) == json.loads((folder / "expected.json").read_text())


def test_every_scenario_folder_has_its_expectation():
    assert {
        "telecom-month",
        "late-correction",
        "stepped-terms",
        "indexed-anniversary",
        "quarter-settlement",
    } <= set(SCENARIOS)
