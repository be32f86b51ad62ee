"""Finance API benchmark: the invoice list under concurrent clients, on PostgreSQL.

    python bench/api.py [--documents 100000] [--database-url postgres://postgres@127.0.0.1:5432/postgres]

Creates, in a fresh database ``bench_api``, N issued documents with 5 lines each (several
buyers and suppliers, 12 monthly periods, numbers, issue and due dates, a share already
paid), written with ``COPY``: statements go in approved with their numbers, their lines
follow, and one ``UPDATE`` issues them, so the immutability triggers hold throughout; then
``VACUUM ANALYZE``, the state autovacuum keeps a live database in.

Then it checks in this process that the number of queries per list request is the same for
page sizes 10, 100 and 500, serves the project with gunicorn on 127.0.0.1 (DEBUG off, the
user throttle raised so the figures measure latency, not the throttle) and loads
``GET /api/v1/invoices/?period=...&page=...`` (100 per page, pages and periods spread over
the requests) with wrk as a finance user of one buyer: a warm-up, then the measured run.
Prints latency percentiles and throughput. gunicorn is stopped on exit, also on error.
"""

import argparse
import io
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Timer, fresh_database_url, migrate, setup_django

BUYERS = ["ACME", "GLOBEX", "INITECH", "UMBRELLA"]
SUPPLIER_COUNT = 20
PERIODS = [f"2025-{month:02d}" for month in range(1, 13)]
COMPONENTS = [
    ("mgmt", "fixed_fee", ""),
    ("voice", "unit_rate", ""),
    ("savings", "gain_share", ""),
    ("experience", "experience_bonus", "csat"),
    ("sla", "service_credit", "service_level"),
]
FINANCE_USER = "bench-finance"

WRK_SCRIPT = """
local paths = {}
local token = "%(token)s"
local periods = {%(periods)s}
local pages = %(pages)d
for _, period in ipairs(periods) do
  for page = 1, pages do
    table.insert(paths, "/api/v1/invoices/?period=" .. period .. "&page=" .. page .. "&page_size=%(page_size)d")
  end
end
local counter = 0

setup = function(thread)
  thread:set("offset", counter * 7)
  counter = counter + 1
end

init = function(args)
  index = offset or 0
end

request = function()
  index = index + 1
  local path = paths[(index %% #paths) + 1]
  return wrk.format("GET", path, {["Authorization"] = "Token " .. token, ["Host"] = "127.0.0.1"})
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH p50_ms=%%.2f p90_ms=%%.2f p95_ms=%%.2f p99_ms=%%.2f max_ms=%%.2f "
    .. "requests=%%d seconds=%%.2f non_2xx=%%d socket_errors=%%d\\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests, summary.duration / 1e6,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


def create_parties_and_contracts(count: int) -> list[tuple[int, int, str]]:
    """``count`` contracts spread over the buyers and suppliers: ``[(contract id, terms version id, buyer code)]``."""
    from contracts.models import Contract, Organisation, TermsVersion

    buyers = Organisation.objects.bulk_create(
        Organisation(name=f"{code.title()} plc", code=code, country="GB") for code in BUYERS
    )
    suppliers = Organisation.objects.bulk_create(
        Organisation(name=f"Supplier {i} Ltd", code=f"SUP{i:02d}", country="GB")
        for i in range(SUPPLIER_COUNT)
    )
    contracts = Contract.objects.bulk_create(
        (
            Contract(
                reference=f"{buyers[i % len(buyers)].code}-{i:05d}",
                title="Customer care",
                buyer=buyers[i % len(buyers)],
                supplier=suppliers[(i // len(buyers)) % SUPPLIER_COUNT],
                tax_rate=20,
                start_date=date(2025, 1, 1),
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    versions = TermsVersion.objects.bulk_create(
        (TermsVersion(contract=c, effective_from="2025-01") for c in contracts), batch_size=2000
    )
    return [(c.pk, v.pk, c.buyer.code) for c, v in zip(contracts, versions, strict=True)]


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def statement_rows(contracts, documents: int):
    """Statement rows, contract by contract within each period, numbered per buyer and year."""
    next_number = dict.fromkeys(BUYERS, 1)
    now = time.strftime("%Y-%m-%d %H:%M:%S+00")
    statement_id = 0
    for month_index, period in enumerate(PERIODS):
        issue_date = (date(2025, month_index + 1, 1) + timedelta(days=31)).replace(day=3)
        for contract_id, version_id, buyer in contracts:
            if statement_id == documents:
                return
            statement_id += 1
            net = Decimal(20000 + (statement_id * 37) % 15000) + Decimal(statement_id % 100) / 100
            tax = (net * Decimal("0.2")).quantize(Decimal("0.01"))
            number = f"{buyer}-{issue_date.year}-{next_number[buyer]:06d}"
            next_number[buyer] += 1
            yield (
                statement_id,
                contract_id,
                period,
                1,
                version_id,
                "approved",
                "invoice",
                number,
                "GBP",
                net,
                tax,
                net + tax,
                Decimal("20.00"),
                "[]",
                "{}",
                "{}",
                "{}",
                issue_date,
                issue_date + timedelta(days=30),
                "",
                "",
                "",
                now,
                now,
            )


STATEMENT_COLUMNS = [
    "id",
    "contract_id",
    "period",
    "revision",
    "terms_version_id",
    "status",
    "document_type",
    "number",
    "currency",
    "net",
    "tax",
    "gross",
    "tax_rate",
    "flags",
    "inputs",
    "buyer_details",
    "supplier_details",
    "issue_date",
    "due_date",
    "void_reason",
    "pdf",
    "pdf_sha256",
    "created_at",
    "updated_at",
]
LINE_COLUMNS = ["statement_id", "position", "component_id", "kind", "kpi", "amount", "explanation", "detail"]


def line_rows(statements):
    for statement in statements:
        statement_id, net = statement[0], statement[9]
        shares = [Decimal("0.55"), Decimal("0.30"), Decimal("0.10"), Decimal("0.08")]
        amounts = [(net * share).quantize(Decimal("0.01")) for share in shares]
        amounts.append(net - sum(amounts))
        for position, ((component, kind, kpi), amount) in enumerate(zip(COMPONENTS, amounts, strict=True)):
            yield (
                statement_id,
                position,
                component,
                kind,
                kpi,
                amount,
                f"{component}: {kind.replace('_', ' ')} for the month; {amount:,} after bands, caps and "
                f"credits (statement {statement_id})",
                "{}",
            )


def representations_as_issued(statement_ids: list[int], chunk: int = 1000):
    """(id, the frozen text of the finance API's JSON) for approved statements about to be
    issued: what ``statement_issue`` keeps on each row, from their documents in bulk."""
    from billing.document_json import frozen_data, render_json
    from billing.documents import documents

    for start in range(0, len(statement_ids), chunk):
        ids = statement_ids[start : start + chunk]
        by_id = documents(ids)
        for statement_id in ids:
            yield statement_id, render_json(frozen_data(by_id[statement_id]))


def create_documents(documents: int) -> None:
    """``documents`` issued statements, 5 lines each, ``COPY``-ed then issued in one update
    that keeps each one's parties and API representation, as issuing does."""
    from django.db import connection, transaction

    per_period = -(-documents // len(PERIODS))
    contracts = create_parties_and_contracts(per_period)
    statements = list(statement_rows(contracts, documents))
    with transaction.atomic(), connection.cursor() as cursor:
        copy_rows(cursor.cursor, "billing_statement", STATEMENT_COLUMNS, statements)
        copy_rows(cursor.cursor, "billing_statementline", LINE_COLUMNS, line_rows(statements))
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('billing_statement', 'id'), %s)", [len(statements)]
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE representation (id bigint PRIMARY KEY, text text) ON COMMIT DROP"
        )
        ids = [statement[0] for statement in statements]
        representations = list(representations_as_issued(ids))  # read before the COPY starts
        copy_rows(cursor.cursor, "representation", ["id", "text"], representations)
        # Issued, and every 10th of the first half of the year paid.
        cursor.execute(
            "UPDATE billing_statement SET status = CASE WHEN billing_statement.id % 10 = 0 AND period < '2025-07' "
            "THEN 'paid' ELSE 'issued' END, issued_at = now(), approved_at = now(), "
            "paid_at = CASE WHEN billing_statement.id % 10 = 0 AND period < '2025-07' THEN now() END, "
            "api_representation = representation.text, buyer_id = contract.buyer_id, "
            "supplier_id = contract.supplier_id FROM representation, contracts_contract contract "
            "WHERE representation.id = billing_statement.id AND contract.id = billing_statement.contract_id"
        )
    with connection.cursor() as cursor:
        # The steady state autovacuum keeps: no dead row versions from the issuing update.
        cursor.execute("VACUUM ANALYZE")


def finance_token() -> str:
    from django.contrib.auth.models import User

    from contracts.models import Membership, Organisation
    from portal.services import api_token_create

    user, created = User.objects.get_or_create(username=FINANCE_USER)
    if created:
        Membership.objects.create(
            user=user, organisation=Organisation.objects.get(code=BUYERS[0]), role="finance"
        )
    # Only a digest is stored, so an earlier run's token cannot be read back: replace it.
    return api_token_create(username=FINANCE_USER, replace=True)


def queries_per_request(token: str, page_sizes=(10, 100, 500)) -> dict[int, int]:
    """The number of SQL queries of one list request per page size (token authentication
    included), through the test client in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
    counts = {}
    for page_size in (page_sizes[0], *page_sizes):  # the first request warms the process
        with CaptureQueriesContext(connection) as captured:
            response = client.get(
                "/api/v1/invoices/", {"period": PERIODS[5], "page_size": page_size, "page": 2}
            )
        assert response.status_code == 200, response.status_code
        assert len(response.json()["results"]) == page_size
        counts[page_size] = len(captured)
    return counts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port: int, token: str, process: subprocess.Popen, timeout: float = 60) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/invoices/?page_size=1", headers={"Authorization": f"Token {token}"})
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
            raise RuntimeError(f"the API answered {status}")
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start in time")


def start_gunicorn(
    database_url: str, port: int, workers: int, threads: int, worker_class: str | None, log: io.TextIOBase
):
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "API_THROTTLE_USER": "1000000/min",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "ERROR",
    }
    environment.pop("CELERY_BROKER_URL", None)
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        worker_class or ("gthread" if threads > 1 else "sync"),
        "--keep-alive",
        "30",
        "--backlog",
        "256",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the processes ``pids`` have used so far (Linux ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def server_pids(master: int) -> tuple[list[int], list[int]]:
    """gunicorn's master and workers, and the PostgreSQL backends serving them."""
    from django.db import connection

    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == master:
            workers.append(int(stat.parent.name))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        backends = [row[0] for row in cursor.fetchall()]
    return [master, *workers], backends


def machine_busy_seconds() -> float:
    """CPU time all processes of the machine have used so far, over all cores (``/proc/stat``)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def run_wrk(script: Path, port: int, *, connections: int, threads: int, seconds: int) -> dict[str, float]:
    """wrk's figures, with the CPU time wrk itself used (``wrk_cpu``, seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        "wrk",
        f"--connections={connections}",
        f"--threads={threads}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={script}",
        f"http://127.0.0.1:{port}/",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    figures = {key: float(value) for key, value in (item.split("=") for item in line.split()[1:])}
    figures["wrk_cpu"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return figures


def main() -> None:
    warnings.filterwarnings("ignore", "No directory at")  # whitenoise: no collected static files here
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (one a core)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread when > 1)")
    parser.add_argument(
        "--worker-class", choices=["sync", "gthread"], help="default: gthread when --threads > 1, else sync"
    )
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=5, help="seconds")
    parser.add_argument("--duration", type=int, default=30, help="seconds")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument(
        "--reuse-data", action="store_true", help="keep the documents of the last run in bench_api"
    )
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the API benchmark runs on PostgreSQL")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (bin/system-deps.sh)")
    # A plain kill must still run the clean-up below that stops gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.reuse_data:
        url = args.database_url.rsplit("/", 1)[0] + "/bench_api"
        setup_django(url)
    else:
        url = fresh_database_url(args.database_url, "bench_api")
        setup_django(url)
        migrate()
    with Timer() as setup_timer:
        if not args.reuse_data:
            create_documents(args.documents)
        token = finance_token()
    from billing.models import Statement, StatementLine

    documents = Statement.objects.filter(status__in=["issued", "paid"]).count()
    lines = StatementLine.objects.count()
    visible = Statement.objects.filter(contract__buyer__code=BUYERS[0], period=PERIODS[0]).count()
    print(
        f"set-up: {documents:,} issued documents with {lines:,} lines, {len(PERIODS)} periods, "
        f"{len(BUYERS)} buyers, {SUPPLIER_COUNT} suppliers in {setup_timer.seconds:.1f} s"
    )
    print(f"  the finance user's buyer has {visible:,} documents a period")
    counts = queries_per_request(token)
    constant = len(set(counts.values())) == 1
    print(
        "queries per list request: "
        + ", ".join(f"page_size {size}: {count}" for size, count in counts.items())
        + (" (constant)" if constant else " (NOT constant)")
    )

    pages = max(1, visible // args.page_size)
    port = free_port()
    process = None
    with tempfile.TemporaryDirectory(prefix="bench-api-") as scratch:
        script = Path(scratch) / "list.lua"
        script.write_text(
            WRK_SCRIPT
            % {
                "token": token,
                "periods": ", ".join(f'"{period}"' for period in PERIODS),
                "pages": pages,
                "page_size": args.page_size,
            }
        )
        log_path = Path(scratch) / "gunicorn.log"
        try:
            with log_path.open("w") as log:
                process = start_gunicorn(url, port, args.workers, args.threads, args.worker_class, log)
                wait_for(port, token, process)
                load = os.getloadavg()
                print(
                    f"gunicorn: {args.workers} {args.worker_class or ('gthread' if args.threads > 1 else 'sync')} "
                    f"workers x {args.threads} threads on 127.0.0.1:{port}; "
                    f"load average before the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
                )
                run_wrk(
                    script, port, connections=args.connections, threads=args.wrk_threads, seconds=args.warmup
                )
                app_pids, database_pids = server_pids(process.pid)
                app_cpu, database_cpu = cpu_seconds(app_pids), cpu_seconds(database_pids)
                machine_cpu = machine_busy_seconds()
                figures = run_wrk(
                    script,
                    port,
                    connections=args.connections,
                    threads=args.wrk_threads,
                    seconds=args.duration,
                )
                app_cpu = cpu_seconds(app_pids) - app_cpu
                database_cpu = cpu_seconds(database_pids) - database_cpu
                machine_cpu = machine_busy_seconds() - machine_cpu
        except BaseException:
            if log_path.exists():
                print(log_path.read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            stop(process)
    rate = figures["requests"] / figures["seconds"]
    print(
        f"GET /api/v1/invoices/?period=...&page=... ({args.page_size} per page, {pages} pages x "
        f"{len(PERIODS)} periods), {args.connections} connections, {args.wrk_threads} wrk threads, "
        f"{args.duration} s after {args.warmup} s warm-up:"
    )
    print(
        f"  p50 {figures['p50_ms']:.1f} ms, p90 {figures['p90_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms, max {figures['max_ms']:.1f} ms"
    )
    print(
        f"  {figures['requests']:,.0f} requests, {rate:,.0f} requests/s, "
        f"{figures['non_2xx']:.0f} non-2xx, {figures['socket_errors']:.0f} socket errors"
    )
    per_request = 1000 / figures["requests"]
    print(
        f"  server CPU per request: {(app_cpu + database_cpu) * per_request:.1f} ms "
        f"(gunicorn {app_cpu * per_request:.1f} ms, PostgreSQL {database_cpu * per_request:.1f} ms); "
        f"{os.cpu_count()} cores"
    )
    other_cpu = machine_cpu - app_cpu - database_cpu - figures["wrk_cpu"]
    print(
        f"  machine CPU per request: {machine_cpu * per_request:.1f} ms (wrk {figures['wrk_cpu'] * per_request:.1f} ms, "
        f"everything else on the machine {max(other_cpu, 0) * per_request:.1f} ms)"
    )
    verdict = "✓" if figures["p95_ms"] <= 100 else "✗"
    print(f"  p95 target ≤ 100 ms: {verdict}")


if __name__ == "__main__":
    main()
