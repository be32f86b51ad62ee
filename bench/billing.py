"""Billing run benchmark: N contracts with realistic terms and a month of KPIs, priced into drafts.

    python bench/billing.py --contracts 10000 [--database-url postgres://postgres@127.0.0.1:5432/postgres]
        [--workers 2] [--phases]

Creates the contracts (fixed fee, graduated voice bands with a minimum, gain-share with bands,
an experience bonus and service credits) and one KPI file for March 2026, ingested as a
batch. Then measures, in this process, the billing run through the services (the same
chunks the Celery fan-out uses), and its floor: the pure pricing of the same inputs plus a
bulk insert of the same number of lines into a scratch table.

``--workers 2`` prices the chunks in two worker processes instead, forked once the set-up is
done, as Celery's prefork workers take the chunks of a run (one a core on this machine); the
floor is still measured in one process. ``--celery --workers N`` first prices the month in
this process, then through real Celery workers on Redis (``BENCH_BROKER_URL``, default
``redis://127.0.0.1:6379/8``): a worker with 1, then 2, ... N pool processes, each run started
by ``billing.tasks.run_billing`` and timed until the run has finished (the drafts of the run
before are removed first, untimed, so each run inserts into the same tables); it prints each
run's speed-up over the in-process run and the fan-out's cost per chunk with one worker
process ((Celery time - in-process time) / chunks: the broker, the task, its start-up). ``--phases`` (one process) also prints the run's
wall-clock time per phase of the chunks (inputs loaded, pricing, statements and lines
written, commits, ...), timed around the functions that do each, with no profiler; on SQLite
the writes are bulk inserts and fall under "everything else".
"""

import argparse
import collections
import functools
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BROKER_URL,
    CeleryWorker,
    Timer,
    analyze,
    fresh_database_url,
    migrate,
    peak_memory_mib,
    setup_django,
    use_broker,
)

COMPONENTS = [
    ("mgmt", "fixed_fee", {"amount": "15000.00"}),
    (
        "voice",
        "unit_rate",
        {
            "measure": "contacts_voice",
            "bands": [
                {"up_to": "10000", "price": "3.00"},
                {"up_to": "25000", "price": "2.50"},
                {"up_to": None, "price": "2.00"},
            ],
            "minimum_charge": "20000.00",
        },
    ),
    (
        "savings",
        "gain_share",
        {
            "actual_measure": "cost_to_serve",
            "baseline_unit_cost": "4.00",
            "volume_measure": "contacts_total",
            "share_bands": [
                {"up_to_percent_of_baseline": "10", "supplier_percent": "50"},
                {"up_to_percent_of_baseline": None, "supplier_percent": "25"},
            ],
            "cap": "100000.00",
            "pain_percent": "25",
            "pain_cap": "20000.00",
        },
    ),
    (
        "experience",
        "experience_bonus",
        {
            "kpis": [
                {"kpi": "csat", "weight": "40", "threshold": "80", "target": "85", "stretch": "90"},
                {"kpi": "fcr", "weight": "30", "threshold": "70", "target": "75", "stretch": "80"},
                {"kpi": "nps", "weight": "30", "threshold": "20", "target": "30", "stretch": "40"},
            ],
            "pool_percent": "3",
        },
    ),
    (
        "sla",
        "service_credit",
        {
            "at_risk_percent": "12",
            "kpis": [
                {"kpi": "service_level", "target": "80", "credit_percent": "5"},
                {"kpi": "abandon_rate", "target": "5", "credit_percent": "3"},
            ],
            "earn_back_months": 3,
        },
    ),
]


def create_contracts(count: int) -> list[int]:
    from contracts.models import Component, Contract, Organisation, TermsVersion

    buyer = Organisation.objects.create(name="Bench Buyer", code="BENCH", country="GB")
    suppliers = Organisation.objects.bulk_create(
        Organisation(name=f"Supplier {i}", code=f"S{i}", country="GB") for i in range(50)
    )
    contracts = Contract.objects.bulk_create(
        Contract(
            reference=f"BENCH-{i:05d}",
            title="Bench contract",
            buyer=buyer,
            supplier=suppliers[i % 50],
            tax_rate=20,
            start_date=date(2026, 1, 1),
        )
        for i in range(count)
    )
    versions = TermsVersion.objects.bulk_create(
        TermsVersion(contract=c, effective_from="2026-01") for c in contracts
    )
    Component.objects.bulk_create(
        (
            Component(version=v, position=n, component_id=cid, type=kind, params=params)
            for v in versions
            for n, (cid, kind, params) in enumerate(COMPONENTS)
        ),
        batch_size=5000,
    )
    return [c.pk for c in contracts]


def kpi_file(count: int) -> bytes:
    lines = ["contract,period,kpi,value,numerator,denominator"]
    for i in range(count):
        ref, voice = f"BENCH-{i:05d}", 18000 + (i * 37) % 12000
        total = voice + 5000
        cost = total * (360 + i % 60) // 100
        lines += [
            f"{ref},2026-03,contacts_voice,{voice},,",
            f"{ref},2026-03,contacts_total,{total},,",
            f"{ref},2026-03,cost_to_serve,{cost}.00,,",
            f"{ref},2026-03,csat,,{800 + i % 120},1000",
            f"{ref},2026-03,fcr,,{700 + i % 100},1000",
            f"{ref},2026-03,nps,,{150 + i % 300},1000",
            f"{ref},2026-03,service_level,,{760 + i % 100},1000",
            f"{ref},2026-03,abandon_rate,,{30 + i % 40},1000",
        ]
    return ("\n".join(lines) + "\n").encode()


def floor_seconds(contract_ids: list[int], period) -> tuple[float, int]:
    """The pure pricing of the same inputs plus a bulk insert of as many lines."""
    from django.db import connection, transaction

    from billing.inputs import contract_months
    from pricing import price_period

    inputs = []
    for start in range(0, len(contract_ids), 100):
        with transaction.atomic():  # the loader locks the contracts, as the run does
            months = contract_months(contract_ids=contract_ids[start : start + 100], period=period)
        inputs += [m.inputs.inputs for m in months]
    with Timer() as timer:
        priced = [price_period(i) for i in inputs]
        rows = [
            (line.component_id, str(line.kind), str(line.amount), line.explanation)
            for p in priced
            for line in p.lines
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_lines (component text, kind text, amount numeric, explanation text)"
            )
            cursor.executemany("INSERT INTO bench_lines VALUES (%s, %s, %s, %s)", rows)
    return timer.seconds, len(rows)


# Phase → (module, function) of the work a chunk does, in the order it does it.
PHASES = {
    "lock the contracts": ("billing.inputs", "_locked_contracts"),
    "read the month's statements": ("billing.inputs", "_statements_of_months"),
    "load the terms": ("billing.inputs", "terms_in_force_for_contracts"),
    "load the inputs (KPI values, credits, snapshots)": ("billing.inputs", "_month_inputs"),
    "price (the floor's pricing)": ("billing.services", "price_period"),
    "serialise the snapshots": ("billing.services", "snapshot_json"),
    "remove the replaced drafts": ("billing.services", "drafts_delete"),
    "build the statements": ("billing.bulk", "NewStatement.statement"),
    "COPY the statements and lines (PostgreSQL)": ("billing.bulk", "_copy"),
    "commit": ("django.db.backends.base.base", "BaseDatabaseWrapper.commit"),
}


def time_phases() -> collections.Counter:
    """Wrap each phase's function with a wall-clock timer; the counter fills as the run goes."""
    import importlib

    seconds = collections.Counter()
    for phase, (module_name, name) in PHASES.items():
        owner = importlib.import_module(module_name)
        *path, attribute = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        function = getattr(owner, attribute)

        @functools.wraps(function)
        def timed(*args, _function=function, _phase=phase, **kwargs):
            started = time.perf_counter()
            try:
                return _function(*args, **kwargs)
            finally:
                seconds[_phase] += time.perf_counter() - started

        setattr(owner, attribute, timed)
    return seconds


def price_chunks(run, chunks: list[list[int]], workers: int) -> None:
    """Price every chunk of ``run``: in this process, or in ``workers`` forked processes that
    each take the next chunk when done, as Celery's prefork workers do (pool start included)."""
    from billing import services

    if workers == 1:
        for chunk in chunks:
            services.billing_run_price_chunk(run_id=run.pk, contract_ids=chunk)
        return
    import multiprocessing

    from django.db import connections

    from config.celery import freeze_start_up_objects

    connections.close_all()  # each worker opens its own connection
    with multiprocessing.get_context("fork").Pool(workers, initializer=freeze_start_up_objects) as pool:
        pool.map(_price_chunk, [(run.pk, chunk) for chunk in chunks], chunksize=1)


def _price_chunk(job: tuple[int, list[int]]) -> None:
    from billing import services

    run_id, chunk = job
    services.billing_run_price_chunk(run_id=run_id, contract_ids=chunk)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--database-name",
        default="gainshare_bench_billing",
        help="the scratch database (PostgreSQL), recreated",
    )
    parser.add_argument("--phases", action="store_true", help="print the run's time per phase")
    parser.add_argument("--workers", type=int, default=1, help="worker processes pricing the chunks")
    parser.add_argument(
        "--celery",
        action="store_true",
        help="also price through real Celery workers, 1 to --workers processes",
    )
    args = parser.parse_args()
    if args.phases and args.workers != 1:
        parser.error("--phases times the run in this process: use it with --workers 1")
    if args.celery and args.phases:
        parser.error("--celery compares whole runs: leave out --phases")
    url = fresh_database_url(args.database_url, args.database_name)
    setup_django(url)
    migrate()
    from billing import services
    from billing.models import Statement, StatementLine
    from config.celery import freeze_start_up_objects
    from kpis.services import kpi_batch_ingest
    from pricing.period import Period

    started = time.perf_counter()
    contract_ids = create_contracts(args.contracts)
    assert (
        kpi_batch_ingest(file_name="bench.csv", content=kpi_file(args.contracts), source="cli").status
        == "accepted"
    )
    analyze()  # the run reads freshly bulk-loaded tables: plan with statistics, as in production
    print(f"set-up: {args.contracts:,} contracts and their KPIs in {time.perf_counter() - started:.1f} s")
    # What a worker process does once started (config/celery.py): the objects it holds from
    # then on (here Django's and the set-up's) are left out of the collector's full passes.
    freeze_start_up_objects()
    period = Period(2026, 3)
    phases = time_phases() if args.phases else None
    cpu_started = time.process_time()
    with Timer() as run_timer:
        run = services.billing_run_create(period=period)
        chunks = services.billing_run_chunks(run=run)
        price_chunks(run, chunks, 1 if args.celery else args.workers)
        run = services.billing_run_finish(run_id=run.pk)
    cpu = time.process_time() - cpu_started
    peak = max(peak_memory_mib(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    if phases is not None:
        print("phases of the run (wall clock):")
        for phase in PHASES:
            print(f"  {phase}: {phases[phase]:.2f} s")
        print(f"  everything else: {run_timer.seconds - sum(phases.values()):.2f} s")
    statements = Statement.objects.filter(billing_run=run).count()
    lines = StatementLine.objects.filter(statement__billing_run=run).count()
    floor, floor_lines = floor_seconds(contract_ids, period)
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"{engine}: {statements:,} drafts with {lines:,} lines, {run.failed} failed")
    processes = "one process" if args.workers == 1 or args.celery else f"{args.workers} worker processes"
    print(
        f"  billing run ({processes}): {run_timer.seconds:.1f} s ({statements / run_timer.seconds:,.0f} "
        f"contracts/s), peak {peak:.0f} MiB a process"
    )
    if args.workers == 1:
        print(f"  CPU time of this process during the run: {cpu:.1f} s (the rest is waiting on the database)")
    print(f"  floor (pure pricing + bulk insert of {floor_lines:,} lines): {floor:.1f} s")
    print(f"  ratio to floor: {run_timer.seconds / floor:.2f}x")
    if args.celery:
        celery_runs(url, run, run_timer.seconds, len(chunks), args.workers)


def warm_up(processes: int) -> None:
    """One single-contract run per pool process, at once, untimed and then removed: each
    process opens its (kept) database connection and loads what a chunk needs once, as a
    worker that has been up for a while has."""
    from billing import services, tasks
    from billing.models import BillingRun, Statement
    from contracts.models import Contract
    from pricing.period import Period

    references = Contract.objects.order_by("reference").values_list("reference", flat=True)[:processes]
    runs = [services.billing_run_create(period=Period(2026, 3), contract_reference=ref) for ref in references]
    for run in runs:
        tasks.run_billing.delay(run.pk)
    while BillingRun.objects.filter(pk__in=[r.pk for r in runs], status=BillingRun.Status.RUNNING).exists():
        time.sleep(0.05)
    Statement.objects.filter(billing_run__in=runs).delete()


def celery_runs(
    url: str, in_process_run, in_process_seconds: float, in_process_chunks: int, workers: int
) -> None:
    """The same month through real Celery workers with 1 to ``workers`` pool processes."""
    import os

    from billing import services, tasks
    from billing.chunking import PRICING, chunk_size
    from billing.models import BillingRun, Statement
    from pricing.period import Period

    use_broker(BROKER_URL)
    contracts = in_process_run.total
    previous = in_process_run
    print(f"Celery on {BROKER_URL} (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}):")
    for processes in range(1, workers + 1):
        Statement.objects.filter(billing_run=previous).delete()  # untimed: each run inserts afresh
        size = chunk_size(items=contracts, workers=processes, rule=PRICING)
        chunks = -(-contracts // size)
        with CeleryWorker(database_url=url, broker_url=BROKER_URL, concurrency=processes):
            warm_up(processes)
            run = services.billing_run_create(period=Period(2026, 3))
            with Timer() as timer:
                tasks.run_billing.delay(run.pk)
                while BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.RUNNING).exists():
                    time.sleep(0.02)
        run.refresh_from_db()
        line = (
            f"  {processes} worker process{'es' if processes > 1 else ''}: {timer.seconds:.1f} s, {chunks} chunks "
            f"of {size}, {run.done:,} priced, {run.failed} failed; {in_process_seconds / timer.seconds:.2f}x "
            "the in-process run"
        )
        if processes == 1 and chunks == in_process_chunks:
            overhead = (timer.seconds - in_process_seconds) / chunks * 1000
            line += f"; fan-out cost {overhead:.0f} ms a chunk"
        print(line)
        previous = run


if __name__ == "__main__":
    main()
