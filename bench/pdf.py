"""PDF rendering benchmark: our statement render against WeasyPrint on the same HTML, bare.

    python bench/pdf.py [--iterations 20]
    python bench/pdf.py --celery --statements 200 --database-url postgres://postgres@127.0.0.1:5432/postgres

Bills and issues the demo's March 2026 for the three demo contracts in a fresh SQLite
database, then measures, side by side and alternating, the median time of
``billing.pdf.statement_pdf_bytes`` (context, template and render) and of WeasyPrint's
``HTML(string=...).write_pdf()`` on the same HTML; then statements per minute with 1 and 2
worker processes.

``--celery`` issues a month of ``--statements`` contracts instead (the billing benchmark's
contracts, in a fresh database, PostgreSQL where given), measures the same ratio on them, then
has real Celery workers on Redis (``BENCH_BROKER_URL``, default ``redis://127.0.0.1:6379/8``)
render and store the PDFs as a month's issue queues them (``statement_pdfs_queue``: chunks
sized for the workers), half of the statements with a worker of 1 pool process and half with
2, timed from queueing until the last PDF is stored, each after an untimed PDF per process.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BROKER_URL, ROOT, CeleryWorker, fresh_database_url, migrate, setup_django, use_broker


def prepare() -> str:
    url = fresh_database_url("", "gainshare_bench_pdf")
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    commands = [
        ["migrate", "-v0"],
        ["import_contracts", *map(str, sorted((ROOT / "fixtures" / "contracts").glob("*.yaml")))],
        ["ingest_kpis", str(ROOT / "fixtures" / "kpis" / "2026-03.xlsx")],
        ["run_billing", "--period", "2026-03"],
        ["issue_statements", "--period", "2026-03"],
    ]
    for command in commands:
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    return url


def prepare_month(count: int, database_url: str, name: str) -> str:
    """A fresh database with ``count`` contracts priced and issued for March 2026, no PDF stored."""
    url = fresh_database_url(database_url, name)
    setup_django(url)
    migrate()
    from bench.billing import create_contracts, kpi_file
    from billing import services
    from kpis.services import kpi_batch_ingest
    from pricing.period import Period

    create_contracts(count)
    assert kpi_batch_ingest(file_name="bench.csv", content=kpi_file(count), source="cli").status == "accepted"
    run = services.billing_run_create(period=Period(2026, 3))
    for chunk in services.billing_run_chunks(run=run):
        services.billing_run_price_chunk(run_id=run.pk, contract_ids=chunk)
    services.billing_run_finish(run_id=run.pk)
    services.statements_issue_period_report(period=Period(2026, 3), queue_pdfs=False)
    return url


def celery_per_minute(url: str, ids: list[int], warm: list[int], processes: int) -> float:
    """Statements per minute that a worker of ``processes`` pool processes renders and stores."""
    from django.conf import settings

    from billing import services

    settings.WORKER_PROCESSES = processes  # the chunk size, as the issuing process sets it
    with CeleryWorker(database_url=url, broker_url=BROKER_URL, concurrency=processes):
        for statement_id in warm:
            services.statement_pdfs_queue(statement_ids=[statement_id])
        _wait_stored(warm)
        started = time.perf_counter()
        services.statement_pdfs_queue(statement_ids=ids)
        _wait_stored(ids)
        return len(ids) / (time.perf_counter() - started) * 60


def _wait_stored(ids: list[int], silent_seconds: float = 300) -> None:
    """Until every PDF is stored; raises ``RuntimeError`` after ``silent_seconds`` without one
    more (a render failing on every retry, a worker gone: see bench/out/celery-worker.log)."""
    from billing.selectors import statement_pdfs_stored

    stored, changed_at = 0, time.monotonic()
    while stored < len(ids):
        time.sleep(0.05)
        now = statement_pdfs_stored(statement_ids=ids)
        if now > stored:
            stored, changed_at = now, time.monotonic()
        elif time.monotonic() - changed_at > silent_seconds:
            raise RuntimeError(
                f"{len(ids) - stored} PDF(s) not stored after {silent_seconds} s without progress"
            )


def _init(url: str) -> None:
    setup_django(url)


def _render(statement_id: int) -> int:
    from billing.models import Statement
    from billing.pdf import statement_pdf_bytes

    return len(statement_pdf_bytes(statement=Statement.objects.get(pk=statement_id)))


def per_minute(url: str, ids: list[int], workers: int, count: int) -> float:
    jobs = [ids[i % len(ids)] for i in range(count)]
    with Pool(workers, initializer=_init, initargs=(url,)) as pool:
        pool.map(_render, jobs[:workers])  # warm up each worker
        started = time.perf_counter()
        pool.map(_render, jobs)
        return count / (time.perf_counter() - started) * 60


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--celery", action="store_true", help="store a month's PDFs on real Celery workers")
    parser.add_argument("--statements", type=int, default=200, help="with --celery: the month's statements")
    parser.add_argument("--database-url", default="", help="with --celery: PostgreSQL (default SQLite)")
    parser.add_argument("--database-name", default="gainshare_bench_pdf_month", help="with --celery")
    args = parser.parse_args()
    if args.celery:
        url = prepare_month(args.statements, args.database_url, args.database_name)
    else:
        url = prepare()
        setup_django(url)
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from billing.documents import documents
    from billing.models import Statement
    from billing.pdf import statement_pdf_bytes
    from billing.rendering import ASSETS, BundledAssetFetcher
    from billing.statement_context import statement_pdf_context

    statements = list(Statement.objects.filter(period="2026-03", status="issued").select_related("contract"))
    ours, bare = [], []
    for i in range(args.iterations):
        statement = statements[i % len(statements)]
        document = documents([statement.pk], with_scorecard=True)[statement.pk]
        html = render_to_string("billing/statement_pdf.html", statement_pdf_context(document=document))
        started = time.perf_counter()
        statement_pdf_bytes(statement=statement)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=BundledAssetFetcher()).write_pdf()
        bare.append(time.perf_counter() - started)
    ours_median, bare_median = statistics.median(ours), statistics.median(bare)
    print(
        f"median render: ours {ours_median * 1000:.0f} ms, WeasyPrint bare {bare_median * 1000:.0f} ms, "
        f"ratio {ours_median / bare_median:.2f}x ({args.iterations} each, alternating)"
    )
    ids = [s.pk for s in statements]
    if args.celery:
        use_broker(BROKER_URL)
        warm, rest = ids[:3], ids[3:]
        print(f"{len(ids)} statements issued; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for processes, half, warm_ids in ((1, rest[::2], warm[:1]), (2, rest[1::2], warm[1:])):
            rate = celery_per_minute(url, half, warm_ids, processes)
            print(
                f"Celery, {processes} worker process{'es' if processes > 1 else ''}: {rate:.0f} statements/minute"
            )
        return
    for workers in (1, 2):
        print(
            f"{workers} worker process{'es' if workers > 1 else ''}: {per_minute(url, ids, workers, 40):.0f} statements/minute"
        )


if __name__ == "__main__":
    main()
