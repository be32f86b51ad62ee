"""KPI ingestion benchmark: N daily rows for many contracts, ingested through the service.

    python bench/ingest.py --rows 1000000 [--contracts 200] [--database-url postgres://postgres@127.0.0.1:5432/x]

Generates the file, then measures in separate processes (so each peak memory is its own, the
peak resident memory of that process, ``ru_maxrss``): the ingestion through
``kpis.services.kpi_batch_ingest`` given the open file (it reads, checks and stores in
chunks), and the honest floor: Arrow's streaming CSV reader reading the same file as text,
each row's contract and KPI looked up as ids and its period cut from its date, and the rows
stored with the same bulk path (``COPY`` on PostgreSQL, multi-row ``executemany`` on SQLite)
into an empty table of the KPI result table's shape (same columns, types and indexes), in one
transaction: the work no implementation can skip, with nothing checked. Prints rows/s, peak
memory, the ratio and the machine's load average (``/proc/loadavg``) beside them. With
``--stored-reference`` (1M rows or fewer: it holds the rows in memory) it also times inserting
the stored rows again into an empty copy of the table.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")  # the settings refuse to start without one

from bench.common import ROOT, Timer, fresh_database_url, migrate, peak_memory_mib, setup_django

OUT = ROOT / "bench" / "out"
PERIOD_DAYS = 31  # March 2026


def generate(path: Path, rows: int, contracts: int) -> None:
    """Daily rows of contacts_voice (value) and service_level (numerator/denominator) per site,
    written a site at a time."""
    per_site = contracts * PERIOD_DAYS * 2
    sites = -(-rows // per_site)
    with path.open("w") as out:
        out.write("contract,date,kpi,value,numerator,denominator,channel,site\n")
        written = 0
        for site in range(sites):
            lines, written = _site_lines(site, contracts, rows, written)
            out.write("".join(line + "\n" for line in lines))


def _site_lines(site: int, contracts: int, rows: int, written: int) -> tuple[list[str], int]:
    lines = []
    for contract in range(contracts):
        for day in range(1, PERIOD_DAYS + 1):
            for kpi in ("contacts_voice", "service_level"):
                if written == rows:
                    break
                n = 300 + (contract * 7 + day * 13 + site) % 200
                if kpi == "contacts_voice":
                    lines.append(f"BENCH-{contract:05d},2026-03-{day:02d},{kpi},{n},,,voice,s{site}")
                else:
                    lines.append(
                        f"BENCH-{contract:05d},2026-03-{day:02d},{kpi},,{n * 4 // 5},{n},voice,s{site}"
                    )
                written += 1
    return lines, written


def create_contracts(count: int) -> None:
    from datetime import date

    from contracts.models import Contract, Organisation

    buyer = Organisation.objects.create(name="Bench Buyer", code="BENCHB", country="GB")
    supplier = Organisation.objects.create(name="Bench Supplier", code="BENCHS", country="GB")
    Contract.objects.bulk_create(
        Contract(
            reference=f"BENCH-{i:05d}",
            title="bench",
            buyer=buyer,
            supplier=supplier,
            tax_rate=20,
            start_date=date(2026, 1, 1),
        )
        for i in range(count)
    )


def phase_ingest(url: str, path: Path) -> dict:
    setup_django(url)
    from kpis.services import kpi_batch_ingest

    with Timer() as timer, path.open("rb") as file:
        result = kpi_batch_ingest(file_name=path.name, content=file, source="cli")
    assert result.status == "accepted", result.errors[:5]
    return {"seconds": timer.seconds, "rows": result.row_count, "peak_mib": peak_memory_mib()}


def phase_floor(url: str, path: Path) -> dict:
    """Arrow's streaming reader, ids looked up, periods cut from dates, the bulk path into an
    empty table of the KPI result table's shape, in one transaction; nothing checked."""
    setup_django(url)
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    from django.db import connection, transaction

    from contracts.models import Contract, Kpi
    from kpis.checked_rows import CheckedRows
    from kpis.services import COLUMNS

    create_like_results("bench_floor")
    contracts = dict(Contract.objects.values_list("reference", "pk"))
    kpis = dict(Kpi.objects.values_list("code", "pk"))
    names = ["contract", "date", "kpi", "value", "numerator", "denominator", "channel", "site"]
    text = dict.fromkeys(names, pa.large_string())

    def ids(column, known: dict) -> pa.Array:
        keys = pa.array(list(known), pa.large_string())
        return pa.array(np.array(list(known.values()), dtype=np.int64)).take(pc.index_in(column, keys))

    def empty_is_null(column) -> pa.Array:
        return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.large_string()), column)

    rows = 0
    with Timer() as timer, transaction.atomic():
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=4 * 2**20),
            convert_options=pacsv.ConvertOptions(column_types=text, strings_can_be_null=False),
        )
        for batch in reader:
            table = pa.table(
                {
                    "contract_id": ids(batch["contract"], contracts),
                    "kpi_id": ids(batch["kpi"], kpis),
                    "period": pc.utf8_slice_codeunits(batch["date"], 0, 7),
                    "date": batch["date"],
                    "value": empty_is_null(batch["value"]),
                    "numerator": empty_is_null(batch["numerator"]),
                    "denominator": empty_is_null(batch["denominator"]),
                    "channel": batch["channel"],
                    "site": batch["site"],
                    "source_row": pa.array(np.arange(rows + 2, rows + 2 + batch.num_rows)),
                }
            )
            insert_rows("bench_floor", CheckedRows(table), COLUMNS)
            rows += batch.num_rows
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")
    return {"seconds": timer.seconds, "rows": rows, "peak_mib": peak_memory_mib()}


def create_like_results(name: str) -> None:
    """An empty table of the KPI result table's columns, types and indexes."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {name} (LIKE kpis_kpiresult INCLUDING ALL)")
            return
        cursor.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'kpis_kpiresult' AND sql IS NOT NULL")
        for (sql,) in cursor.fetchall():
            cursor.execute(sql.replace("kpis_kpiresult", name).replace("kpiresult_", f"{name}_"))


def insert_rows(name: str, rows, columns: tuple[str, ...]) -> None:
    """``rows`` (``CheckedRows``, batch 1) by the ingestion's bulk path: ``COPY`` on PostgreSQL,
    statements of ``ROWS_PER_INSERT`` rows on SQLite."""
    from django.db import connection

    from kpis.services import ROWS_PER_INSERT

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            data, form = rows.copy_text(1, columns, 0, len(rows))
            options = "FORMAT text" if form == "text" else "FORMAT csv"
            with cursor.cursor.copy(
                f"COPY {name} ({', '.join(columns)}) FROM STDIN WITH ({options})"
            ) as copy:
                copy.write(data)
            return
        values = rows.tuples(1, columns, 0, len(rows))
        one = "(" + ", ".join(["%s"] * len(columns)) + ")"
        head = f"INSERT INTO {name} ({', '.join(columns)}) VALUES "
        whole = len(values) - len(values) % ROWS_PER_INSERT
        flat = list(itertools.chain.from_iterable(values[:whole]))
        width = ROWS_PER_INSERT * len(columns)
        cursor.executemany(
            head + ", ".join([one] * ROWS_PER_INSERT),
            [flat[i : i + width] for i in range(0, len(flat), width)],
        )
        if whole < len(values):
            cursor.executemany(head + one, values[whole:])


def phase_stored(url: str, path: Path) -> dict:
    """Reference only: the rows the ingestion stored, inserted again into an empty scratch copy
    of the KPI result table (same columns, types and indexes), with nothing to read or check."""
    setup_django(url)
    from django.db import connection, transaction

    from kpis.services import COLUMNS, ROWS_PER_INSERT

    names = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE TABLE bench_stored (LIKE kpis_kpiresult INCLUDING ALL)")
            with cursor.cursor.copy(
                f"COPY (SELECT {names} FROM kpis_kpiresult ORDER BY id) TO STDOUT"
            ) as copy:
                data = b"".join(bytes(block) for block in copy)
        else:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'kpis_kpiresult' AND sql IS NOT NULL"
            )
            for (sql,) in cursor.fetchall():
                cursor.execute(
                    sql.replace("kpis_kpiresult", "bench_stored").replace("kpiresult_", "bench_stored_")
                )
            cursor.execute(f"SELECT {names} FROM kpis_kpiresult ORDER BY id")
            data = cursor.fetchall()
    with Timer() as timer, transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY bench_stored ({names}) FROM STDIN") as copy:
                for start in range(0, len(data), 2**20):
                    copy.write(data[start : start + 2**20])
        else:  # as the ingestion inserts them: ROWS_PER_INSERT rows per statement
            one = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
            whole = len(data) - len(data) % ROWS_PER_INSERT
            flat = list(itertools.chain.from_iterable(data[:whole]))
            width = ROWS_PER_INSERT * len(COLUMNS)
            cursor.executemany(
                f"INSERT INTO bench_stored ({names}) VALUES {', '.join([one] * ROWS_PER_INSERT)}",
                [flat[i : i + width] for i in range(0, whole * len(COLUMNS), width)],
            )
            cursor.executemany(f"INSERT INTO bench_stored ({names}) VALUES {one}", data[whole:])
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_stored")
    return {"seconds": timer.seconds}


def run_phase(phase: str, url: str, path: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--database-url", url, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--contracts", type=int, default=200)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--stored-reference", action="store_true", help="also time the stored rows inserted again"
    )
    parser.add_argument("--phase", choices=["ingest", "floor", "stored"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase = {"ingest": phase_ingest, "floor": phase_floor, "stored": phase_stored}[args.phase]
        print(json.dumps(phase(args.database_url, args.file)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"kpis-{args.rows}.csv"
    generate(path, args.rows, args.contracts)
    # A PostgreSQL database named after the one given, so benchmarks of two checkouts do not meet.
    given = args.database_url.rsplit("/", 1)[-1] if args.database_url.startswith("postgres") else ""
    url = fresh_database_url(
        args.database_url, f"{given}_bench_ingest" if given else "gainshare_bench_ingest"
    )
    setup_django(url)
    migrate()
    create_contracts(args.contracts)
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    ingest = run_phase("ingest", url, path)
    floor = run_phase("floor", url, path)
    stored = run_phase("stored", url, path) if args.stored_reference else None
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"{engine}: {ingest['rows']:,} rows, file {path.stat().st_size / 2**20:.0f} MiB, {args.contracts} contracts"
    )
    print(
        f"  ingestion: {ingest['seconds']:.1f} s ({ingest['rows'] / ingest['seconds']:,.0f} rows/s), peak {ingest['peak_mib']:.0f} MiB"
    )
    print(
        f"  floor (Arrow streaming read, ids, periods, bulk insert into a table of the result table's shape): "
        f"{floor['seconds']:.1f} s, peak {floor['peak_mib']:.0f} MiB"
    )
    print(f"  ratio to floor: {ingest['seconds'] / floor['seconds']:.2f}x")
    print(f"  load average before / after: {' '.join(load_before)} / {' '.join(load_after)}")
    if stored is not None:
        print(
            f"  reference, not the floor (the stored rows inserted again into an empty copy of the KPI "
            f"result table, same types and indexes, nothing read or checked): {stored['seconds']:.1f} s"
        )


if __name__ == "__main__":
    main()
