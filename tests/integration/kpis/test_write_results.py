"""The two ways of storing a KPI file's rows (``kpis.write_results``) store the same rows: the
PostgreSQL ``COPY`` that streams while the file is checked, and the portable inserts that
follow the check. Both run on PostgreSQL on the same checked file."""

from datetime import date

import pytest
from django.db import transaction

from contracts.models import Contract, Organisation
from kpis import ingest, services
from kpis.models import KpiBatch, KpiResult

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.database_path("kpis.write_results")]
HEADER = "contract,period,date,kpi,value,numerator,denominator,channel,site\n"
GOOD = HEADER + (
    "ACME-WR-001,2026-03,,cost_to_serve,123456789012345.891,,,,\n"
    "ACME-WR-002,,2026-03-02,service_level,,400,500,voice,leeds\n"
    'ACME-WR-001,2026-03,,contacts_voice,1,,,"web ""chat""","O\'Brien, St"\n'
    "ACME-WR-001,2026-03,,contacts_voice,2,,,voice,back\\slash\n"
    "ACME-WR-002,2026-03,,contacts_voice,3,,,voice,\\N\n"
    + "".join(
        f"ACME-WR-001,,2026-03-{day:02d},contacts_voice,{day}.{day:03d},,,voice,s{day % 3}\n"
        for day in range(1, 12)
    )
    + "ACME-WR-002,2026-04,,fcr,,0.5,0.75,,\n"
)
BAD = HEADER + (
    "".join(f"ACME-WR-001,,2026-03-{day:02d},contacts_voice,{day},,,voice,leeds\n" for day in range(1, 10))
    + "ACME-WR-001,,2026-03-10,contacts_voice,-1,,,voice,leeds\n"  # row 11, the last chunk
    + "ACME-WR-009,,2026-03-11,contacts_voice,1,,,voice,leeds\n"
)
IMPLEMENTATIONS = {
    "postgresql": services.write_results.postgresql,
    "portable": services.write_results.portable,
}


@pytest.fixture(autouse=True)
def contracts():
    buyer = Organisation.objects.create(name="Acme Telecom plc", code="ACME", country="GB")
    supplier = Organisation.objects.create(name="Northwind CX Ltd", code="NORTHWIND", country="GB")
    for reference in ("ACME-WR-001", "ACME-WR-002"):
        Contract.objects.create(
            reference=reference,
            title="Care",
            buyer=buyer,
            supplier=supplier,
            tax_rate=20,
            start_date=date(2026, 1, 1),
        )


@pytest.fixture(params=[(100_000, 90, 2), (5, 2, 1)], ids=["one chunk", "many chunks"])
def chunks(request, monkeypatch):
    """As configured, and chunks of five rows checked after the first (statements of two rows
    and of one for the inserts)."""
    chunk, rows_per_insert, check_after = request.param
    monkeypatch.setattr(services, "CHUNK", chunk)
    monkeypatch.setattr(services, "ROWS_PER_INSERT", rows_per_insert)
    monkeypatch.setattr(services, "CHECK_AFTER", check_after)


def checked(text: str) -> ingest.FileCheck:
    frame = ingest.read_kpi_file(file_name="kpis.csv", content=text.encode(), max_bytes=2**20)
    return ingest.FileCheck(frame, contracts=services._contract_refs(None), kpis=services._kpi_refs())


def write(how: str, text: str) -> tuple[list[dict], list[tuple]]:
    """The rows ``how`` stores for ``text`` (without their ids and batch) and its progress."""
    check, progress = checked(text), []
    with transaction.atomic():
        batch = KpiBatch.objects.create(file_name=how, checksum=how.ljust(64, "0"), source="cli")
        IMPLEMENTATIONS[how](check.rows, batch.pk, lambda *step: progress.append(step), check.verify)
    rows = KpiResult.objects.filter(batch=batch).order_by("source_row").values()
    return [{k: v for k, v in row.items() if k not in ("id", "batch_id")} for row in rows], progress


@pytest.mark.usefixtures("chunks")
def test_copy_and_inserts_store_the_same_rows():
    copied, inserted = write("postgresql", GOOD), write("portable", GOOD)
    assert copied == inserted
    rows, progress = copied
    assert [row["source_row"] for row in rows] == list(range(2, 19))
    assert progress[-1] == ("storing", 17, 17)
    # Decimals keep their digits and scale, text every character, whichever way they went in.
    assert [str(row["value"]) for row in rows[:2]] == ["123456789012345.891", "None"]
    assert [(row["channel"], row["site"]) for row in rows[2:5]] == [
        ('web "chat"', "O'Brien, St"),
        ("voice", "back\\slash"),
        ("voice", "\\N"),
    ]


@pytest.mark.usefixtures("chunks")
def test_copy_and_inserts_refuse_a_bad_file_alike_and_store_nothing():
    reports = {}
    for how, write_results in IMPLEMENTATIONS.items():
        check = checked(BAD)
        with pytest.raises(ingest.KpiFileRejected) as rejected, transaction.atomic():
            batch = KpiBatch.objects.create(file_name=how, checksum=how.ljust(64, "0"), source="cli")
            write_results(check.rows, batch.pk, lambda *step: None, check.verify)
        reports[how] = [str(error) for error in rejected.value.errors]
    assert (
        reports["postgresql"]
        == reports["portable"]
        == [
            "row 11, value: -1 is below the minimum 0 for contacts_voice",
            "row 12, contract: unknown contract 'ACME-WR-009'",
        ]
    )
    assert not KpiBatch.objects.exists() and not KpiResult.objects.exists()
