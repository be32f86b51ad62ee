"""Ingesting a KPI file in chunks: refused whole with every problem, or stored as one batch
that no reader sees until it is switched on; what a failed or dead ingestion leaves is removed;
uploads are stopped at the size limit."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from kpis import services
from kpis.models import KpiBatch, KpiResult
from kpis.selectors import (
    counted_results,
    kpi_month_rows,
    kpi_month_values,
    kpi_month_values_for_periods,
    kpi_results_history,
)
from kpis.services import kpi_batch_ingest, kpi_loads_clean
from pricing.period import Period

from .test_ingestion import HEADER, api_client_for

pytestmark = pytest.mark.django_db
MARCH = Period(2026, 3)


def ingest(text: str, name="kpis.csv", **kwargs):
    return kpi_batch_ingest(file_name=name, content=text.encode(), source="cli", **kwargs)


def daily(days, value=lambda day: day, contract="ACME-TEL-001", site="leeds") -> str:
    return "".join(
        f"{contract},,2026-03-{day:02d},contacts_voice,{value(day)},,,voice,{site}\n" for day in days
    )


def nothing_left_behind():
    """No batch still loading and no row of one, visible or not."""
    assert not KpiBatch.with_loading.filter(status=KpiBatch.Status.LOADING).exists()
    assert KpiResult.with_loading.count() == KpiResult.objects.count()
    assert not KpiResult.with_loading.exclude(batch_id__in=KpiBatch.with_loading.values("pk")).exists()


@pytest.fixture
def stored_chunks(monkeypatch):
    """The number of chunks stored before the file's verdict."""
    calls = []
    store = services._store_chunk
    monkeypatch.setattr(services, "_store_chunk", lambda *args: (calls.append(args[1]), store(*args)))
    return calls


def test_a_bad_row_in_the_last_chunk_refuses_the_stored_chunks_too(contract, stored_chunks):
    earlier = ingest(HEADER + daily([1], value=lambda day: 7))
    stored_chunks.clear()
    before = list(KpiResult.objects.values()), list(KpiBatch.objects.values())
    text = (
        HEADER + daily(range(1, 29)) + daily([29], value=lambda day: -1) + daily([30], value=lambda day: "x")
    )
    result = ingest(text, chunk_rows=6)
    assert len(stored_chunks) == 4  # rows 2 to 25 were stored before the last chunk was read
    assert result.status == "rejected" and result.error_count == 2
    assert [str(e) for e in result.errors] == [
        "row 30, value: -1 is below the minimum 0 for contacts_voice",
        "row 31, value: not a number: 'x'",
    ]
    assert (list(KpiResult.objects.values()), list(KpiBatch.objects.values())) == before
    assert kpi_month_values(contract_id=contract.pk, period=MARCH)["contacts_voice"].value == 7
    assert earlier.batch.status == KpiBatch.Status.ACCEPTED
    nothing_left_behind()


def test_a_row_repeating_one_of_an_earlier_chunk_is_found_after_every_chunk_was_stored(
    contract, stored_chunks
):
    text = HEADER + daily(range(1, 21)) + daily([3], value=lambda day: 99)
    result = ingest(text, chunk_rows=5)
    assert len(stored_chunks) == 5  # every chunk passed its own checks
    assert result.status == "rejected" and result.error_count == 1
    assert result.errors[0].row == 22 and result.errors[0].problem.startswith("duplicate row")
    assert not KpiResult.objects.exists()
    nothing_left_behind()


def test_every_problem_of_every_chunk_is_counted_and_the_first_thousand_listed(contract):
    text = HEADER + daily(range(1, 29)) * 60  # 1,680 rows: all but the first 28 repeat one
    result = ingest(text, chunk_rows=100)
    assert (result.status, result.error_count, len(result.errors)) == ("rejected", 1680 - 28, 1000)
    assert [e.row for e in result.errors] == list(range(30, 1030))
    nothing_left_behind()


def test_a_ratio_value_row_with_another_row_of_its_month_in_another_chunk_is_refused(contract):
    text = (
        HEADER
        + "ACME-TEL-001,2026-03,,service_level,80,,,,\n"
        + daily(range(1, 10))
        + "ACME-TEL-001,,2026-03-05,service_level,,40,50,voice,leeds\n"
    )
    result = ingest(text, chunk_rows=3)
    assert [str(e) for e in result.errors] == [
        "row 2, value: service_level has several rows for 2026-03: ratio rows need numerator and "
        "denominator so they can be added up"
    ]
    nothing_left_behind()


@pytest.mark.parametrize("chunk_rows", [1, 4, 7, 1000])
def test_the_rows_stored_are_the_same_whatever_the_chunk_size(contract, other_contract, chunk_rows):
    text = (
        HEADER
        + daily(range(1, 12), value=lambda day: f"{day}.{day:03d}")
        + daily(range(1, 6), contract="ACME-TEL-002", site="york")
        + "ACME-TEL-001,,2026-03-12,service_level,,400,500,voice,leeds\n"
        + "ACME-TEL-002,2026-03,,service_level,81.5,,,,\n"
    )
    result = ingest(text, chunk_rows=chunk_rows)
    assert (result.status, result.row_count) == ("accepted", 18)
    assert (result.batch.contracts, result.batch.periods, result.batch.row_count) == (
        ["ACME-TEL-001", "ACME-TEL-002"],
        ["2026-03"],
        18,
    )
    fields = (
        "contract_id",
        "period",
        "kpi_id",
        "date",
        "value",
        "numerator",
        "denominator",
        "channel",
        "site",
    )
    rows = sorted(KpiResult.objects.values_list("source_row", *fields))
    ingest_whole = [row[1:] for row in rows]
    assert [row[0] for row in rows] == list(range(2, 20))
    KpiResult.objects.all().delete()
    KpiBatch.objects.all().delete()
    again = ingest(text, chunk_rows=10**6)
    assert sorted(row[1:] for row in KpiResult.objects.values_list("source_row", *fields)) == sorted(
        ingest_whole
    )
    assert again.status == "accepted"
    nothing_left_behind()


def test_an_error_while_storing_leaves_nothing(contract, monkeypatch):
    write = services.write_results
    calls = []

    def fail_on_the_third_chunk(rows, batch_id, progress, verify):
        calls.append(batch_id)
        if len(calls) == 3:
            raise OSError("the disk is full")
        write(rows, batch_id, progress, verify)

    monkeypatch.setattr(services, "write_results", fail_on_the_third_chunk)
    with pytest.raises(OSError, match="the disk is full"):
        ingest(HEADER + daily(range(1, 21)), chunk_rows=5)
    assert len(calls) == 3 and not KpiResult.objects.exists() and not KpiBatch.objects.exists()
    nothing_left_behind()


def a_dead_ingestion(contract, *, seen_seconds_ago: int) -> KpiBatch:
    """What a killed ingestion leaves: a loading batch and some of its rows."""
    batch = KpiBatch.with_loading.create(
        file_name="killed.csv",
        checksum="f" * 64,
        source="cli",
        status=KpiBatch.Status.LOADING,
        loading_seen_at=timezone.now() - timedelta(seconds=seen_seconds_ago),
    )
    kpi = contract.kpi_results.model._meta.get_field("kpi").related_model.objects.get(code="contacts_voice")
    KpiResult.with_loading.bulk_create(
        KpiResult(
            batch=batch,
            contract=contract,
            period="2026-03",
            kpi=kpi,
            value=Decimal("987654.321"),
            channel="voice",
            site=site,
            source_row=i + 2,
        )
        for i, site in enumerate(["leeds", "deadsite"])
    )
    return batch


def test_rows_of_a_loading_batch_are_invisible_to_every_reader(contract, admin_client):
    accepted = ingest(HEADER + daily([1], value=lambda day: 100, site="leeds"))
    dead = a_dead_ingestion(contract, seen_seconds_ago=0)
    assert kpi_month_values(contract_id=contract.pk, period=MARCH)["contacts_voice"].value == 100
    values = kpi_month_values_for_periods(contract_ids=[contract.pk], periods=[MARCH])
    assert values[MARCH][contract.pk]["contacts_voice"].value == 100
    assert {row.batch_id for row in kpi_month_rows(contract_id=contract.pk, period=MARCH)} == {
        accepted.batch.pk
    }
    assert {r["row"].batch_id for r in kpi_results_history(contract_id=contract.pk, period=MARCH)} == {
        accepted.batch.pk
    }
    assert not counted_results().filter(batch_id=dead.pk).exists()
    assert not contract.kpi_results.filter(batch_id=dead.pk).exists()
    assert list(KpiBatch.objects.all()) == [accepted.batch]
    for page in ("admin:kpis_kpibatch_changelist", "admin:kpis_kpiresult_changelist"):
        response = admin_client.get(reverse(page))
        assert (
            response.status_code == 200
            and b"killed.csv" not in response.content
            and b"deadsite" not in response.content
        )
    assert admin_client.get(reverse("admin:kpis_kpibatch_change", args=[dead.pk])).status_code in (302, 404)
    response = admin_client.get(reverse("admin:kpis_month"), {"contract": contract.pk, "period": "2026-03"})
    assert response.status_code == 200 and b"987654" not in response.content and b"100" in response.content


def test_a_dead_ingestion_is_removed_by_the_next_one_once_stale_and_not_before(contract):
    live = a_dead_ingestion(contract, seen_seconds_ago=5)
    ingest(HEADER + daily([2]))
    assert KpiBatch.with_loading.filter(pk=live.pk).exists()  # it may still be storing chunks
    KpiBatch.with_loading.filter(pk=live.pk).update(loading_seen_at=timezone.now() - timedelta(seconds=601))
    ingest(HEADER + daily([3]))
    assert not KpiBatch.with_loading.filter(pk=live.pk).exists()
    assert not KpiResult.with_loading.filter(batch_id=live.pk).exists()
    nothing_left_behind()


def test_clean_kpi_loads_removes_dead_ingestions(contract):
    dead = a_dead_ingestion(contract, seen_seconds_ago=30)
    out = StringIO()
    call_command("clean_kpi_loads", stdout=out)
    assert out.getvalue() == "0 loading batch(es) removed\n"
    call_command("clean_kpi_loads", "--older-than", "10", stdout=out)
    assert out.getvalue().endswith("1 loading batch(es) removed\n")
    assert not KpiResult.with_loading.filter(batch_id=dead.pk).exists()
    assert kpi_loads_clean(stale_after=0) == 0


def test_the_same_bytes_while_a_first_upload_is_still_loading_are_refused(contract):
    text = HEADER + daily([4])
    import hashlib

    dead = a_dead_ingestion(contract, seen_seconds_ago=0)
    KpiBatch.with_loading.filter(pk=dead.pk).update(checksum=hashlib.sha256(text.encode()).hexdigest())
    result = ingest(text)
    assert result.status == "rejected"
    assert [str(e) for e in result.errors] == [
        "the same file is being ingested by another upload; try again when it ends"
    ]
    assert KpiBatch.with_loading.filter(pk=dead.pk, status=KpiBatch.Status.LOADING).exists()


def test_a_file_on_disk_is_read_from_its_file_object(contract, tmp_path):
    path = tmp_path / "march.csv"
    path.write_text(HEADER + daily(range(1, 8)))
    with path.open("rb") as file:
        result = kpi_batch_ingest(file_name="march.csv", content=file, source="cli", chunk_rows=3)
    assert (result.status, result.row_count) == ("accepted", 7)
    assert KpiResult.objects.filter(batch=result.batch).count() == 7


# --- uploads: stopped at the limit as they arrive ------------------------------------------


def big_file(size: int) -> SimpleUploadedFile:
    row = "ACME-TEL-001,,2026-03-01,contacts_voice,1,,,voice,leeds\n"
    return SimpleUploadedFile("big.csv", (HEADER + row * (size // len(row) + 1)).encode())


@pytest.mark.parametrize("size", [5_000, 200_000])  # read up to the limit; refused from its length
def test_the_api_stops_an_upload_over_the_limit_with_413(parties, contract, settings, size):
    settings.KPI_FILE_MAX_BYTES = 2_000
    client = api_client_for(parties[1])
    response = client.post("/api/v1/kpi-batches/", {"file": big_file(size)}, format="multipart")
    assert response.status_code == 413
    body = response.json()
    assert body["status"] == "rejected" and body["error_count"] == 1
    assert "2,000" in body["errors"][0]["problem"] and body["errors"][0]["column"] == "file"
    assert not KpiBatch.with_loading.exists()


def test_the_api_takes_a_file_under_the_limit(parties, contract, settings):
    settings.KPI_FILE_MAX_BYTES = 2_000
    client = api_client_for(parties[1])
    response = client.post("/api/v1/kpi-batches/", {"file": big_file(1_000)}, format="multipart")
    assert response.status_code == 400  # read and checked: its rows repeat one another
    assert response.json()["errors"][0]["problem"].startswith("duplicate row")


@pytest.mark.parametrize("size", [5_000, 200_000])
def test_the_admin_stops_an_upload_over_the_limit_with_a_form_error(contract, admin_client, settings, size):
    settings.KPI_FILE_MAX_BYTES = 2_000
    response = admin_client.post(
        reverse("admin:kpis_kpibatch_upload"), {"file": big_file(size), "dry_run": ""}
    )
    assert response.status_code == 413
    assert b"the limit" in response.content or b"at most 2,000" in response.content
    assert b"2,000" in response.content
    assert not KpiBatch.with_loading.exists()


def test_a_large_admin_upload_is_ingested_from_its_temporary_file(contract, admin_client, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1_000  # kept on disk
    upload = SimpleUploadedFile("march.csv", (HEADER + daily(range(1, 29))).encode())
    response = admin_client.post(reverse("admin:kpis_kpibatch_upload"), {"file": upload, "dry_run": ""})
    assert response.status_code == 302
    assert KpiResult.objects.filter(contract=contract).count() == 28
