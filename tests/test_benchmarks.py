"""The benchmarks still run end to end, at a tiny size, on the suite's database.

Their figures are not checked here (they belong in docs/performance.md, measured on an idle
machine); these tests only keep the commands from rotting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def bench(*args: str, timeout: int = 300) -> str:
    url = os.environ.get("DATABASE_URL", "")
    database = ["--database-url", url] if url.startswith(("postgres://", "postgresql://")) else []
    result = subprocess.run(
        [sys.executable, *args, *database], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_billing_benchmark_prices_every_contract_in_one_process_and_in_two():
    one = bench("bench/billing.py", "--contracts", "30", "--phases")
    assert "30 drafts" in one and ", 0 failed" in one
    assert "billing run (one process)" in one and "load the inputs" in one and "ratio to floor" in one
    two = bench("bench/billing.py", "--contracts", "30", "--workers", "2")
    assert "30 drafts" in two and ", 0 failed" in two and "billing run (2 worker processes)" in two


def test_the_ingestion_benchmark_ingests_its_file():
    out = bench("bench/ingest.py", "--rows", "3000", "--contracts", "5", "--stored-reference")
    assert "3,000 rows" in out and "ratio to floor" in out and "load average" in out
    assert "floor (Arrow streaming read" in out and "peak" in out and "reference, not the floor" in out


def test_the_simulation_benchmark_simulates_every_contract_and_month():
    out = bench("bench/simulate.py", "--contracts", "5", "--months", "3")
    assert "5 contracts × 3 months simulated (15 months priced, 5 beside a statement)" in out
    assert "pure pricing core alone" in out and "ratio to the pure core" in out


def celery_bench(*args: str) -> str:
    """``bench`` with the benchmark's workers on the suite's broker (``make test-celery``)."""
    os.environ.setdefault("BENCH_BROKER_URL", os.environ["CELERY_BROKER_URL"])
    return bench(*args, timeout=900)  # workers start twice, and a loaded machine renders slowly


@pytest.mark.celery_worker
def test_the_billing_benchmark_prices_the_month_on_real_celery_workers():
    out = celery_bench(
        "bench/billing.py",
        "--contracts",
        "30",
        "--celery",
        "--workers",
        "2",
        "--database-name",
        "gainshare_bench_celery",
    )
    assert "30 drafts" in out and "billing run (one process)" in out
    assert "1 worker process: " in out and "30 priced, 0 failed" in out and "fan-out cost" in out
    assert "2 worker processes: " in out and out.count("30 priced, 0 failed") == 2


@pytest.mark.celery_worker
def test_the_pdf_benchmark_stores_a_months_pdfs_on_real_celery_workers():
    out = celery_bench(
        "bench/pdf.py",
        "--celery",
        "--statements",
        "7",
        "--iterations",
        "2",
        "--database-name",
        "gainshare_bench_pdf_celery",
    )
    assert "median render: ours" in out and "7 statements issued" in out
    assert "Celery, 1 worker process: " in out and "Celery, 2 worker processes: " in out
