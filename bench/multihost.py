"""A month on several hosts, checked against the same month in one process.

    python bench/multihost.py cluster --contracts 2000 --out cluster.json
    python bench/multihost.py reference --contracts 2000 --out reference.json
    python bench/multihost.py compare reference.json cluster.json

``bench/multihost.sh`` runs the three: ``cluster`` with ``DATABASE_URL`` and
``CELERY_BROKER_URL`` naming the database and broker hosts (and the object store's settings,
if given), so the month is priced and its PDFs rendered by the workers on their own hosts;
``reference`` on a fresh SQLite file in this process, every task eager. Both create the same
contracts and KPI file (``bench/billing.py``'s), price March 2026, issue it on a fixed date and
write every statement's number, amounts and lines as JSON; ``compare`` says whether the two are
equal, statement by statement, and exits non-zero if not.
"""

import argparse
import io
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ISSUE_DATE = "2026-04-01"
PERIOD = "2026-03"


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def month(contracts: int, wait_seconds: float) -> None:
    """Create the contracts and their KPIs, price the month and issue it; with a broker, wait for
    the workers to finish the run and to store every PDF."""
    from django.conf import settings
    from django.core.management import call_command

    from bench.billing import create_contracts, kpi_file
    from billing.models import BillingRun, Statement
    from kpis.services import kpi_batch_ingest

    create_contracts(contracts)
    batch = kpi_batch_ingest(file_name="bench.csv", content=kpi_file(contracts), source="cli")
    assert batch.status == "accepted", batch.status
    started = time.perf_counter()
    call_command("run_billing", "--period", PERIOD, stdout=io.StringIO())
    run = BillingRun.objects.latest("pk")
    _wait(lambda: BillingRun.objects.get(pk=run.pk).finished_at is not None, wait_seconds, "the billing run")
    priced = time.perf_counter() - started
    run.refresh_from_db()
    print(f"  run {run.pk}: {run.get_status_display().lower()}, {run.done} of {run.total} in {priced:.1f} s")
    started = time.perf_counter()
    call_command("issue_statements", "--period", PERIOD, "--issue-date", ISSUE_DATE, stdout=io.StringIO())
    issued = Statement.objects.filter(period=PERIOD, status="issued")
    _wait(lambda: not issued.filter(pdf="").exists(), wait_seconds, "the PDFs")
    where = "the workers" if not settings.CELERY_TASK_ALWAYS_EAGER else "this process"
    print(f"  issued {issued.count():,} with their PDFs ({where}) in {time.perf_counter() - started:.1f} s")


def _wait(done, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what} after {seconds:.0f} s")
        time.sleep(0.5)


def statements() -> dict:
    """Every statement of the month: what a payer reads of it, keyed by contract and revision.
    The stored PDF is compared by being there and being a PDF (its bytes carry a creation time)."""
    from billing.models import Statement

    result = {}
    for statement in (
        Statement.objects.filter(period=PERIOD).select_related("contract").prefetch_related("lines")
    ):
        with statement.pdf.open("rb") as pdf:
            is_pdf = pdf.read(5) == b"%PDF-"
        result[f"{statement.contract.reference} r{statement.revision}"] = {
            "number": statement.number,
            "status": statement.status,
            "net": str(statement.net),
            "tax": str(statement.tax),
            "gross": str(statement.gross),
            "flags": statement.flags,
            "issue_date": str(statement.issue_date),
            "pdf": is_pdf,
            "lines": [
                [line.component_id, line.kind, str(line.amount), line.explanation]
                for line in sorted(statement.lines.all(), key=lambda line: line.position)
            ],
        }
    return result


def compare(reference_path: str, cluster_path: str) -> int:
    reference = json.loads(Path(reference_path).read_text())
    cluster = json.loads(Path(cluster_path).read_text())
    missing = sorted(set(reference) - set(cluster))
    extra = sorted(set(cluster) - set(reference))
    differing = sorted(key for key in set(reference) & set(cluster) if reference[key] != cluster[key])
    if missing or extra or differing:
        for label, keys in (("missing", missing), ("extra", extra), ("differing", differing)):
            if keys:
                print(f"  {len(keys)} {label}: {', '.join(keys[:5])}")
        return 1
    if not all(s["pdf"] for s in reference.values()) or not all(s["pdf"] for s in cluster.values()):
        print("  a statement has no stored PDF")
        return 1
    print(f"  equal: {len(reference):,} statements, line by line, each with its stored PDF")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["cluster", "reference", "compare"])
    parser.add_argument("files", nargs="*", help="compare: the reference and the cluster JSON")
    parser.add_argument("--contracts", type=int, default=2000)
    parser.add_argument("--out", help="where the statements' JSON is written")
    parser.add_argument("--wait", type=float, default=1800, help="seconds to wait for the workers")
    args = parser.parse_args()
    if args.mode == "compare":
        if len(args.files) != 2:
            parser.error("compare takes two files")
        return compare(*args.files)
    if not args.out:
        parser.error("--out is required")
    if args.mode == "reference":
        os.environ.pop("CELERY_BROKER_URL", None)
        os.environ.pop("DOCUMENTS_STORAGE", None)
        path = ROOT / "bench" / "out" / "multihost-reference.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        os.environ["MEDIA_ROOT"] = str(path.parent / "multihost-reference-media")
        setup(f"sqlite:///{path}")
    else:
        if not os.environ.get("CELERY_BROKER_URL") or not os.environ.get("DATABASE_URL"):
            parser.error("cluster needs DATABASE_URL and CELERY_BROKER_URL in the environment")
        setup(os.environ["DATABASE_URL"])
    print(f"{args.mode}: {args.contracts:,} contracts, {PERIOD}, issued {date.fromisoformat(ISSUE_DATE)}")
    month(args.contracts, args.wait)
    Path(args.out).write_text(json.dumps(statements(), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
