"""Ingesting KPI files into the database: all or nothing, exact, superseding, three ways in."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from contracts.models import Contract, Membership
from kpis.models import KpiBatch, KpiResult
from kpis.selectors import kpi_month_values, kpi_month_values_for_periods, kpi_results_history
from kpis.services import kpi_batch_ingest
from pricing.period import Period
from tests.demo_index import import_demo_index

pytestmark = pytest.mark.django_db
HEADER = "contract,period,date,kpi,value,numerator,denominator,channel,site\n"
MARCH = Period(2026, 3)


def ingest(text: str, name="kpis.csv", **kwargs):
    return kpi_batch_ingest(file_name=name, content=text.encode(), source="cli", **kwargs)


def stored(contract):
    return list(KpiResult.objects.filter(contract=contract).order_by("pk").values())


def test_an_accepted_file_is_one_batch_with_exact_values(contract):
    result = ingest(
        HEADER + "ACME-TEL-001,2026-03,,cost_to_serve,123456789012345.891,,,,\n"
        "ACME-TEL-001,,2026-03-02,service_level,,400,500,voice,leeds\n"
    )
    assert result.status == "accepted"
    assert (result.batch.contracts, result.batch.periods) == (["ACME-TEL-001"], ["2026-03"])
    row = KpiResult.objects.get(contract=contract, kpi__code="cost_to_serve")
    assert row.value == Decimal("123456789012345.891")  # survives on SQLite and PostgreSQL
    assert (row.source_row, row.date, row.channel) == (2, None, "")
    daily = KpiResult.objects.get(contract=contract, kpi__code="service_level")
    assert (daily.date, daily.numerator, daily.denominator, daily.value) == (date(2026, 3, 2), 400, 500, None)


def test_a_rejected_file_changes_nothing(contract):
    ingest(HEADER + "ACME-TEL-001,2026-03,,contacts_voice,100,,,,\n")
    before = stored(contract), list(KpiBatch.objects.values())
    result = ingest(
        HEADER + "ACME-TEL-001,2026-03,,contacts_voice,200,,,,\nACME-TEL-001,2026-03,,csat,abc,,,,\n"
    )
    assert result.status == "rejected"
    assert [str(e) for e in result.errors] == ["row 3, value: not a number: 'abc'"]
    assert (stored(contract), list(KpiBatch.objects.values())) == before


def test_the_same_file_twice_changes_nothing(contract):
    text = HEADER + "ACME-TEL-001,2026-03,,contacts_voice,100,,,,\n"
    first = ingest(text)
    before = stored(contract)
    again = ingest(text, name="renamed.csv")
    assert (again.status, again.batch.pk) == ("duplicate", first.batch.pk)
    assert stored(contract) == before


def test_the_same_file_stored_meanwhile_by_a_parallel_upload_is_a_duplicate(contract, monkeypatch):
    """Two uploads of one file at once both pass the duplicate check; the second to store meets
    the checksum's unique constraint and answers as a duplicate of the first, storing nothing."""
    from kpis import services

    text = HEADER + "ACME-TEL-001,2026-03,,contacts_voice,100,,,,\n"
    first = ingest(text)
    before = stored(contract)
    monkeypatch.setattr(services, "_batch_with_checksum", lambda checksum: None)  # the race window
    again = ingest(text, name="parallel.csv")
    assert (again.status, again.batch.pk) == ("duplicate", first.batch.pk)
    assert stored(contract) == before and KpiBatch.objects.filter(file_name="parallel.csv").count() == 0


def test_a_dry_run_previews_and_changes_nothing(contract):
    ingest(HEADER + "ACME-TEL-001,2026-03,,contacts_voice,100,,,,\n")
    before = stored(contract), list(KpiBatch.objects.values())
    result = ingest(
        HEADER + "ACME-TEL-001,2026-03,,contacts_voice,150,,,,\nACME-TEL-001,2026-03,,csat,,80,100,,\n",
        dry_run=True,
    )
    assert result.status == "dry_run"
    assert [(p.kpi, p.current and p.current.value, p.new.value) for p in result.preview] == [
        ("contacts_voice", Decimal(100), Decimal(150)),
        ("csat", None, Decimal("80.0000000000")),
    ]
    assert (stored(contract), list(KpiBatch.objects.values())) == before


def test_a_later_batch_supersedes_by_key_and_history_stays(contract):
    ingest(
        HEADER + "ACME-TEL-001,,2026-03-01,service_level,,80,100,voice,leeds\n"
        "ACME-TEL-001,,2026-03-02,service_level,,90,100,voice,leeds\n"
        "ACME-TEL-001,,2026-03-01,service_level,,50,100,voice,cardiff\n"
    )
    assert kpi_month_values(contract_id=contract.pk, period=MARCH)["service_level"].value == Decimal(
        "73.3333333333"
    )
    correction = ingest(
        HEADER + "ACME-TEL-001,,2026-03-01,service_level,,70,100,voice,cardiff\n", name="fix.csv"
    )
    month = kpi_month_values(contract_id=contract.pk, period=MARCH)["service_level"]
    # Leeds keeps its two days from batch 1; Cardiff's day is replaced by the correction.
    assert month.value == Decimal("80.0000000000")
    assert (month.numerator, month.denominator, month.row_count) == (240, 300, 3)
    assert correction.batch.pk in month.batch_ids
    history = kpi_results_history(contract_id=contract.pk, period=MARCH)
    assert sorted((item["row"].site, item["row"].numerator, item["current"]) for item in history) == [
        ("cardiff", 50, False),
        ("cardiff", 70, True),
        ("leeds", 80, True),
        ("leeds", 90, True),
    ]


def test_a_kpi_with_no_rows_is_not_measured_and_history_is_per_month(contract):
    ingest(
        HEADER + "ACME-TEL-001,2026-01,,service_level,,0,0,,\nACME-TEL-001,2026-02,,service_level,,81,100,,\n"
    )
    months = kpi_month_values_for_periods(
        contract_ids=[contract.pk], periods=[Period(2026, 1), Period(2026, 2), MARCH]
    )
    history = {
        period: {code: month.value for code, month in values[contract.pk].items()}
        for period, values in months.items()
    }
    assert history == {
        Period(2026, 1): {"service_level": None},
        Period(2026, 2): {"service_level": Decimal("81.0000000000")},
        MARCH: {},
    }


def test_command_reports_rows_and_refuses_bad_files(contract, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "ACME-TEL-001,2026-03,,contacts_voice,100,,,,\n")
    out = StringIO()
    call_command("ingest_kpis", str(good), stdout=out, stderr=StringIO())
    assert "ingested as batch" in out.getvalue() and "1 rows for ACME-TEL-001 in 2026-03" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + "ACME-TEL-001,2026-03,,contacts_voice,x,,,,\nNOPE,2026-03,,contacts_voice,1,,,,\n"
    )
    err = StringIO()
    with pytest.raises(CommandError, match="refused with 2 problem"):
        call_command("ingest_kpis", str(bad), stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        f"{bad}:2:value: not a number: 'x'",
        f"{bad}:3:contract: unknown contract 'NOPE'",
    ]
    dry = StringIO()
    call_command("ingest_kpis", str(good).replace("good", "good"), "--dry-run", stdout=dry, stderr=StringIO())
    assert "already ingested" in dry.getvalue()


def test_demo_files_ingest(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "fixtures"
    import_demo_index()
    call_command(
        "import_contracts", *map(str, sorted((root / "contracts").glob("*.yaml"))), stdout=StringIO()
    )
    for name in ("2026-01.csv", "2026-02.csv", "2026-03.xlsx", "2026-02-correction.csv"):
        call_command("ingest_kpis", str(root / "kpis" / name), stdout=StringIO(), stderr=StringIO())
    utility = Contract.objects.get(reference="NORTHERN-UTIL-003")
    january = kpi_month_values(contract_id=utility.pk, period=Period(2026, 1))
    assert {
        "contacts_voice",
        "service_level",
        "abandon_rate",
        "asa_seconds",
        "fcr",
        "csat",
        "complaints",
        "contacts_email",
    } <= set(january)
    with pytest.raises(CommandError):
        call_command(
            "ingest_kpis",
            str(root / "kpis" / "bad" / "2026-03-bad.csv"),
            stdout=StringIO(),
            stderr=StringIO(),
        )


# --- the admin -----------------------------------------------------------------------------


def test_admin_upload_dry_run_then_ingest(admin_client, contract):
    url = reverse("admin:kpis_kpibatch_upload")
    assert admin_client.get(url).status_code == 200
    text = (HEADER + "ACME-TEL-001,2026-03,,contacts_voice,100,,,,\n").encode()
    response = admin_client.post(url, {"file": SimpleUploadedFile("k.csv", text), "dry_run": "on"})
    assert 'id="preview"' in response.content.decode() and not KpiBatch.objects.exists()
    response = admin_client.post(url, {"file": SimpleUploadedFile("k.csv", text)})
    assert response.status_code == 302
    assert KpiResult.objects.filter(contract=contract).exists()


def test_admin_upload_shows_the_error_report_as_a_table(admin_client, contract):
    text = (HEADER + "ACME-TEL-001,2026-03,,fcr,,11,10,,\n").encode()
    response = admin_client.post(
        reverse("admin:kpis_kpibatch_upload"), {"file": SimpleUploadedFile("k.csv", text)}
    )
    content = response.content.decode()
    assert 'id="error-report"' in content
    assert "<td>2</td><td>numerator</td><td>numerator 11 is greater than denominator 10</td>" in content
    assert not KpiBatch.objects.exists()


def test_admin_month_view_shows_values_and_superseded_rows(admin_client, contract):
    ingest(HEADER + "ACME-TEL-001,2026-03,,contacts_voice,100,,,,\n")
    ingest(HEADER + "ACME-TEL-001,2026-03,,contacts_voice,120,,,,\n", name="fix.csv")
    response = admin_client.get(reverse("admin:kpis_month"), {"contract": contract.pk, "period": "2026-03"})
    content = response.content.decode()
    assert "<strong>contacts_voice</strong>" in content and ">120</td>" in content
    assert "+1 superseded" in content
    for name in ("kpis_kpibatch_changelist", "kpis_kpiresult_changelist", "contracts_kpi_changelist"):
        assert admin_client.get(reverse(f"admin:{name}")).status_code == 200


# --- the API -------------------------------------------------------------------------------


def api_client_for(organisation, role="supplier"):
    user = User.objects.create_user(f"user-{organisation.code}")
    Membership.objects.create(user=user, organisation=organisation, role=role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def post(client, text: str, name="k.csv"):
    return client.post(
        "/api/v1/kpi-batches/", {"file": SimpleUploadedFile(name, text.encode())}, format="multipart"
    )


def test_api_accepts_a_suppliers_own_file(parties, contract):
    response = post(api_client_for(parties[1]), HEADER + "ACME-TEL-001,2026-03,,contacts_voice,100,,,,\n")
    assert response.status_code == 201
    assert response.json()["contracts"] == ["ACME-TEL-001"]
    assert KpiBatch.objects.get(pk=response.json()["batch"]).source == "api"


def test_api_reports_errors_with_400(parties, contract):
    response = post(api_client_for(parties[1]), HEADER + "ACME-TEL-001,2026-03,,contacts_voice,-3,,,,\n")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 2, "column": "value", "problem": "-3 is below the minimum 0 for contacts_voice"}
    ]


def test_api_a_supplier_cannot_submit_for_another_suppliers_contract(parties, contract, other_contract):
    response = post(api_client_for(parties[1]), HEADER + "ACME-TEL-002,2026-03,,contacts_voice,100,,,,\n")
    assert response.status_code == 400
    assert response.json()["errors"][0]["problem"] == "unknown contract 'ACME-TEL-002'"
    assert not KpiResult.objects.filter(contract=other_contract).exists()


def test_api_the_buyer_may_submit_for_its_contracts(parties, contract, other_contract):
    response = post(
        api_client_for(parties[0], role="finance"), HEADER + "ACME-TEL-002,2026-03,,contacts_voice,1,,,,\n"
    )
    assert response.status_code == 201


def test_api_requires_authentication_and_an_organisation(contract):
    assert post(APIClient(), HEADER).status_code == 401
    user = User.objects.create_user("nobody")
    client = APIClient()
    client.force_authenticate(user)
    assert post(client, HEADER + "ACME-TEL-001,2026-03,,contacts_voice,1,,,,\n").status_code == 403


# --- large files: stored in chunks while the file is checked ---------------------------------


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of five rows, so a short file is sent in several chunks (and, on SQLite,
    statements of two rows and of one)."""
    from kpis import services

    monkeypatch.setattr(services, "CHUNK", 5)
    monkeypatch.setattr(services, "ROWS_PER_INSERT", 2)
    return services


def daily_rows(days: range, site="leeds") -> str:
    return "".join(f"ACME-TEL-001,,2026-03-{day:02d},contacts_voice,{day},,,voice,{site}\n" for day in days)


@pytest.mark.parametrize("check_after", [1, 100])  # checked after the first chunk, or after all of them
def test_a_bad_row_in_the_last_chunk_changes_nothing_and_every_bad_row_is_reported(
    contract, small_chunks, monkeypatch, check_after
):
    monkeypatch.setattr(small_chunks, "CHECK_AFTER", check_after)
    ingest(HEADER + "ACME-TEL-001,2026-02,,contacts_voice,100,,,,\n")
    before = stored(contract), list(KpiBatch.objects.values())
    result = ingest(
        HEADER
        + daily_rows(range(1, 10))
        + "ACME-TEL-001,,2026-03-10,contacts_voice,-1,,,voice,leeds\n"  # row 11, the last chunk
        + "ACME-TEL-009,,2026-03-11,contacts_voice,1,,,voice,leeds\n"
    )
    assert result.status == "rejected"
    assert [str(e) for e in result.errors] == [
        "row 11, value: -1 is below the minimum 0 for contacts_voice",
        "row 12, contract: unknown contract 'ACME-TEL-009'",
    ]
    assert (stored(contract), list(KpiBatch.objects.values())) == before


@pytest.mark.parametrize("check_after", [1, 100])
def test_a_cell_the_database_cannot_read_still_gives_the_whole_report(
    contract, small_chunks, monkeypatch, check_after
):
    # "12k" and 2026-02-30 would be refused by the database itself while the rows are sent:
    # the report is still the file's own, listing every bad row, and nothing changes.
    monkeypatch.setattr(small_chunks, "CHECK_AFTER", check_after)
    result = ingest(
        HEADER
        + "ACME-TEL-001,,2026-02-30,contacts_voice,5,,,voice,leeds\n"
        + "ACME-TEL-001,,2026-03-01,contacts_voice,12k,,,voice,leeds\n"
        + daily_rows(range(2, 9))
        + "ACME-TEL-001,,2026-03-09,service_level,,11,10,voice,leeds\n"
    )
    assert result.status == "rejected"
    assert [str(e) for e in result.errors] == [
        "row 2, date: not a date YYYY-MM-DD: '2026-02-30'",
        "row 3, value: not a number: '12k'",
        "row 11, numerator: numerator 11 is greater than denominator 10",
    ]
    assert not KpiBatch.objects.exists() and not KpiResult.objects.exists()


def test_a_file_in_many_chunks_is_stored_whole_and_exactly(contract, other_contract, small_chunks):
    lines = [
        f"ACME-TEL-00{1 + day % 2},,2026-03-{day:02d},contacts_voice,{day}.{day:03d},,,voice,s{day % 3}\n"
        for day in range(1, 12)
    ]
    lines.append("ACME-TEL-002,2026-03,,cost_to_serve,123456789012345.891,,,,\n")
    lines.append("ACME-TEL-001,,2026-03-12,service_level,,400,500,voice,leeds\n")
    progress = []
    result = ingest(HEADER + "".join(lines), progress=lambda *args: progress.append(args))
    assert (result.status, result.row_count) == ("accepted", 13)
    assert progress[-1] == ("storing", 13, 13)
    rows = {row.source_row: row for row in KpiResult.objects.select_related("contract", "kpi")}
    assert sorted(rows) == list(range(2, 15))
    for day in range(1, 12):
        row = rows[day + 1]
        assert (row.contract.reference, row.date, row.value, row.site) == (
            f"ACME-TEL-00{1 + day % 2}",
            date(2026, 3, day),
            Decimal(f"{day}.{day:03d}"),
            f"s{day % 3}",
        )
        assert (row.numerator, row.denominator, row.channel, row.period) == (None, None, "voice", "2026-03")
    assert rows[13].value == Decimal("123456789012345.891")
    assert (rows[13].date, rows[13].channel, rows[13].site) == (None, "", "")
    assert (rows[14].value, rows[14].numerator, rows[14].denominator) == (None, 400, 500)


def test_channel_and_site_keep_every_character(contract, small_chunks):
    # Quotes and backslashes need escaping in PostgreSQL's COPY text format (a tab is refused
    # as a control character: see the hostile files).
    text = (
        HEADER + 'ACME-TEL-001,2026-03,,contacts_voice,1,,,"web ""chat""","O\'Brien, St"\n'
        "ACME-TEL-001,2026-03,,contacts_voice,2,,,voice,back\\slash\n"
        "ACME-TEL-001,2026-03,,contacts_voice,3,,,voice,\\N\n"
    )
    assert ingest(text).status == "accepted"
    assert [(r["channel"], r["site"], r["value"]) for r in stored(contract)] == [
        ('web "chat"', "O'Brien, St", 1),
        ("voice", "back\\slash", 2),
        ("voice", "\\N", 3),
    ]


def test_plain_channel_and_site_and_an_empty_one(contract, small_chunks):
    text = (
        HEADER
        + "ACME-TEL-001,2026-03,,contacts_voice,1,,,,\nACME-TEL-001,2026-03,,contacts_email,2,,,email,\n"
    )
    assert ingest(text).status == "accepted"
    assert [(r["channel"], r["site"]) for r in stored(contract)] == [("", ""), ("email", "")]


def test_unchecked_text_that_the_database_would_refuse_is_reported_as_the_files_problem(contract):
    # A tab in a number, a control character in a period: the rows reach the database before
    # the check on PostgreSQL; the result is still the file's report and nothing changes.
    text = (
        HEADER + 'ACME-TEL-001,2026-03,,contacts_voice,"1\t2",,,,\n'
        "ACME-TEL-001,2026-0\x013,,contacts_voice,1,,,,\n"
        "ACME-TEL-001,2026-03,,contacts_voice,1\\2,,,,leeds\n"
    )
    result = ingest(text)
    assert result.status == "rejected"
    assert [str(e) for e in result.errors] == [
        "row 2, value: not a number: '1\\t2'",
        "row 3, period: holds a control character (U+0001)",
        "row 3, period: not a period YYYY-MM: '2026-0\\x013'",
        "row 4, value: not a number: '1\\\\2'",
    ]
    assert not KpiBatch.objects.exists() and not KpiResult.objects.exists()


# --- tenancy before anything else ----------------------------------------------------------


def test_another_partys_file_is_refused_as_unknown_contracts_not_named_as_a_duplicate(
    parties, contract, other_contract
):
    # Other CX's own file, already ingested; Northwind uploads the same bytes.
    text = HEADER + "ACME-TEL-002,2026-03,,contacts_voice,7,,,,\n"
    first = post(api_client_for(parties[2]), text)
    assert first.status_code == 201
    response = post(api_client_for(parties[1]), text)
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [{"row": 2, "column": "contract", "problem": "unknown contract 'ACME-TEL-002'"}]
    assert body["status"] == "rejected" and "batch" not in body
    assert KpiBatch.objects.count() == 1


def test_a_file_of_the_callers_own_contracts_already_ingested_is_a_duplicate(parties, contract):
    text = HEADER + "ACME-TEL-001,2026-03,,contacts_voice,7,,,,\n"
    first = post(api_client_for(parties[1]), text)
    again = post(api_client_for(parties[0], role="finance"), text)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert again.json()["batch"] == first.json()["batch"]


def test_who_may_submit_for_which_contracts(parties, contract, other_contract):
    from kpis.access import NotActingForAnyone, kpi_submittable_contract_ids

    buyer, north, other = parties

    def ids(organisation, role):
        user = User.objects.create_user(f"{organisation.code}-{role}")
        Membership.objects.create(user=user, organisation=organisation, role=role)
        return sorted(kpi_submittable_contract_ids(user=User.objects.get(pk=user.pk)))

    assert ids(north, "supplier") == [contract.pk]
    assert ids(other, "supplier") == [other_contract.pk]
    assert ids(buyer, "finance") == ids(buyer, "procurement") == sorted([contract.pk, other_contract.pk])
    assert ids(north, "procurement") == []  # Northwind is no contract's buyer
    root = User.objects.create_superuser("root", password="x")
    assert kpi_submittable_contract_ids(user=root) is None
    staff = User.objects.create_user("staff", is_staff=True)
    with pytest.raises(NotActingForAnyone):
        kpi_submittable_contract_ids(user=staff)
