"""Terms simulation benchmark: N contracts × M months simulated on a proposed contract file.

    python bench/simulate.py --contracts 1000 --months 12 [--database-url postgres://...]

Creates the billing benchmark's contracts (``bench.billing.COMPONENTS``: fixed fee, graduated
voice bands with a minimum, banded gain-share, an experience bonus, service credits with a
three-month earn-back) and M months of their KPIs from January 2026, ingested as one batch;
bills March (drafts: issuing would render a PDF each), so that reading the actual
statements finds documents and lines.
The proposal is the first contract's own file with the gain-share's first band at 60 % and
the fixed fee at 16,000.00; it is validated once and simulated for every contract (the
contracts share their terms, so it is a valid proposal for each).

Measured, in this process: ``simulate_terms_for_contracts`` (100 contracts at a time) then
``simulation_json`` for every contract without the alignment check
(all its M months, with what-ifs ``csat=+2 contacts_voice=*0.9``): the KPI values' read, the
statements' read, the earn-back carried month to month and the JSON form; and, beside it,
the pure pricing core alone (``price_period``) on the same inputs the simulation priced.
Then, apart, the JSON again with the incentive-alignment check of each contract (a pricing
of its reference month per KPI), which the command and the API include.
"""

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Timer, analyze, fresh_database_url, migrate, peak_memory_mib, setup_django

WHAT_IFS = ("csat=+2", "contacts_voice=*0.9")
CHUNK = 100  # contracts simulated together, as a billing run prices its chunks


def kpi_file(count: int, months: list[str]) -> bytes:
    """Each contract's KPIs for each month, varied by contract and month."""
    lines = ["contract,period,kpi,value,numerator,denominator"]
    for m, period in enumerate(months):
        for i in range(count):
            ref, voice = f"BENCH-{i:05d}", 18000 + (i * 37 + m * 911) % 12000
            total = voice + 5000
            cost = total * (360 + (i + 7 * m) % 60) // 100
            lines += [
                f"{ref},{period},contacts_voice,{voice},,",
                f"{ref},{period},contacts_total,{total},,",
                f"{ref},{period},cost_to_serve,{cost}.00,,",
                f"{ref},{period},csat,,{800 + (i + m) % 120},1000",
                f"{ref},{period},fcr,,{700 + i % 100},1000",
                f"{ref},{period},nps,,{150 + (i * 3 + m) % 300},1000",
                f"{ref},{period},service_level,,{740 + (i + 13 * m) % 100},1000",
                f"{ref},{period},abandon_rate,,{30 + (i + m) % 40},1000",
            ]
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12, choices=range(3, 37), metavar="3..36")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--profile", action="store_true", help="print the simulation's profile")
    args = parser.parse_args()
    url = fresh_database_url(args.database_url, "gainshare_bench_simulate")
    setup_django(url)
    migrate()
    from django.core.management import call_command

    from bench.billing import create_contracts
    from billing.simulation import proposed_terms, simulate_terms_for_contracts, simulation_what_ifs
    from billing.simulation_json import simulation_json
    from contracts.models import Contract
    from contracts.services import contract_export
    from kpis.services import kpi_batch_ingest
    from pricing import price_period
    from pricing.period import Period

    started = time.perf_counter()
    create_contracts(args.contracts)
    first, last = Period(2026, 1), Period(2026, 1).shift(args.months - 1)
    months = [str(first.shift(n)) for n in range(args.months)]
    batch = kpi_batch_ingest(file_name="bench.csv", content=kpi_file(args.contracts, months), source="cli")
    assert batch.status == "accepted", batch.errors[:3]
    call_command("run_billing", "--period", "2026-03", stdout=io.StringIO())
    analyze()
    print(
        f"set-up: {args.contracts:,} contracts, {args.months} months of KPIs, March billed, in "
        f"{time.perf_counter() - started:.1f} s"
    )
    contracts = list(Contract.objects.order_by("reference"))
    text = contract_export(contract=contracts[0])
    proposal = text.replace("supplier_percent: '50'", "supplier_percent: '60'").replace(
        "amount: '15000.00'", "amount: '16000.00'"
    )
    assert proposal != text, "the proposal changes nothing"
    terms = proposed_terms(contract=contracts[0], file_name="proposal.yaml", content=proposal.encode())
    what_ifs = simulation_what_ifs(WHAT_IFS)
    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    with Timer() as simulated:
        simulations = []
        for start in range(0, len(contracts), CHUNK):
            simulations += simulate_terms_for_contracts(
                contracts=contracts[start : start + CHUNK],
                terms=terms,
                first=first,
                last=last,
                what_ifs=what_ifs,
            )
        documents = [simulation_json(s, alignment=False) for s in simulations]
    with Timer() as aligned:  # the alignment check of each contract, apart: a check per contract
        findings = [simulation_json(s)["alignment"] for s in simulations]
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    inputs = [month.proposed.inputs for s in simulations for month in s.months]
    with Timer() as pure:
        priced = [price_period(i) for i in inputs]
    assert [p.net for p in priced] == [m.proposed.statement.net for s in simulations for m in s.months]
    compared = sum(d["totals"]["compared_months"] for d in documents)
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"{engine}: {len(contracts):,} contracts × {args.months} months simulated "
        f"({len(inputs):,} months priced, {compared:,} beside a statement)"
    )
    print(
        f"  simulation (reads, pricing, JSON): {simulated.seconds:.1f} s "
        f"({len(contracts) / simulated.seconds:,.0f} contracts/s), peak {peak_memory_mib():.0f} MiB"
    )
    print(f"  pure pricing core alone on the same inputs: {pure.seconds:.2f} s")
    print(f"  ratio to the pure core: {simulated.seconds / pure.seconds:.2f}x")
    assert all(any(f["finding"] == "kpi" for f in found) for found in findings)
    print(
        f"  and the incentive-alignment check of each contract (its JSON again, with the check): "
        f"{aligned.seconds:.1f} s ({aligned.seconds / len(contracts) * 1000:.0f} ms a contract)"
    )


if __name__ == "__main__":
    main()
