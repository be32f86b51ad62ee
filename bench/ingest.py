"""KPI ingestion benchmark: N daily rows for many contracts, ingested through the service.

    python bench/ingest.py --rows 1000000 [--contracts 200] [--database-url postgres://postgres@127.0.0.1:5432/x]

Generates the file, then measures in separate processes (so each peak memory is its own):
the ingestion through ``kpis.services.kpi_batch_ingest``, and the raw floor — pandas reading
the same file as text plus a bulk insert of the same rows (``COPY`` on PostgreSQL,
``executemany`` on SQLite) into an untyped, unindexed scratch table. Prints rows/s, peak memory
and the ratio; then, as a reference only, the time to insert the rows the ingestion stored
into an empty copy of the KPI result table (same columns, types and indexes), which is the
part of the ingestion no reading or checking can save.
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
    """Daily rows of contacts_voice (value) and service_level (numerator/denominator) per site."""
    per_site = contracts * PERIOD_DAYS * 2
    sites = -(-rows // per_site)
    lines, written = ["contract,date,kpi,value,numerator,denominator,channel,site"], 0
    for site in range(sites):
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
    path.write_text("\n".join(lines) + "\n")


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

    content = path.read_bytes()
    with Timer() as timer:
        result = kpi_batch_ingest(file_name=path.name, content=content, source="cli")
    assert result.status == "accepted", result.errors[:5]
    return {"seconds": timer.seconds, "rows": result.row_count, "peak_mib": peak_memory_mib()}


def phase_floor(url: str, path: Path) -> dict:
    setup_django(url)
    import pandas as pd
    from django.db import connection, transaction

    columns = ["contract", "date", "kpi", "value", "numerator", "denominator", "channel", "site"]
    with Timer() as timer:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE bench_floor ({', '.join(c + ' text' for c in columns)})")
            if connection.vendor == "postgresql":
                with cursor.cursor.copy("COPY bench_floor FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                    copy.write(path.read_bytes())
            else:
                data = list(zip(*(frame[c].tolist() for c in columns), strict=True))
                cursor.executemany(
                    f"INSERT INTO bench_floor VALUES ({', '.join(['%s'] * len(columns))})", data
                )
    return {"seconds": timer.seconds, "rows": len(frame), "peak_mib": peak_memory_mib()}


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
    url = fresh_database_url(args.database_url, "gainshare_bench_ingest")
    setup_django(url)
    migrate()
    create_contracts(args.contracts)
    floor_url = fresh_database_url(args.database_url, "gainshare_bench_floor")
    ingest = run_phase("ingest", url, path)
    floor = run_phase("floor", floor_url, path)
    stored = run_phase("stored", url, path)
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"{engine}: {ingest['rows']:,} rows, file {path.stat().st_size / 2**20:.0f} MiB, {args.contracts} contracts"
    )
    print(
        f"  ingestion: {ingest['seconds']:.1f} s ({ingest['rows'] / ingest['seconds']:,.0f} rows/s), peak {ingest['peak_mib']:.0f} MiB"
    )
    print(
        f"  floor (pandas read as text + bulk insert): {floor['seconds']:.1f} s, peak {floor['peak_mib']:.0f} MiB"
    )
    print(f"  ratio to floor: {ingest['seconds'] / floor['seconds']:.2f}x")
    print(
        f"  reference, not the floor (the stored rows inserted again into an empty copy of the KPI "
        f"result table, same types and indexes, nothing read or checked): {stored['seconds']:.1f} s"
    )


if __name__ == "__main__":
    main()
