"""PDF rendering benchmark: our statement render against WeasyPrint on the same HTML, bare.

    python bench/pdf.py [--iterations 20]

Bills and issues the demo's March 2026 for the three demo contracts in a fresh SQLite
database, then measures, side by side and alternating, the median time of
``billing.pdf.statement_pdf_bytes`` (context, template and render) and of WeasyPrint's
``HTML(string=...).write_pdf()`` on the same HTML; then statements per minute with 1 and 2
worker processes.
"""

import argparse
import statistics
import subprocess
import sys
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, fresh_database_url, setup_django


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
    args = parser.parse_args()
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
    for workers in (1, 2):
        print(
            f"{workers} worker process{'es' if workers > 1 else ''}: {per_minute(url, ids, workers, 40):.0f} statements/minute"
        )


if __name__ == "__main__":
    main()
