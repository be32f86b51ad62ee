"""Hostile KPI files (tests/hostile/kpis/) are refused with their specific problem, and leave
nothing behind, through the service, the management command and the API."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from knox.models import AuthToken
from rest_framework.test import APIClient

from contracts.models import Contract, Membership, Organisation
from kpis.models import KpiBatch, KpiResult
from kpis.services import kpi_batch_ingest
from tests.hostile.kpis.generate import CASES, HERE, build

pytestmark = pytest.mark.django_db
REFUSED = sorted(name for name, problem in CASES.items() if problem is not None)


@pytest.fixture
def contract():
    buyer = Organisation.objects.create(name="Hostile Buyer", code="HB", country="GB")
    supplier = Organisation.objects.create(name="Hostile Supplier", code="HS", country="GB")
    return Contract.objects.create(
        reference="HOSTILE-001",
        title="x",
        buyer=buyer,
        supplier=supplier,
        tax_rate=20,
        start_date=date(2026, 1, 1),
    )


def problem(name: str) -> str:
    """The expected problem without its "row N, column: " prefix, as the command and the API
    give the row and column apart."""
    expected = CASES[name]
    return expected.split(": ", 1)[1] if expected.startswith("row ") and "," in expected[:12] else expected


def nothing_stored() -> bool:
    return not KpiBatch.objects.exists() and not KpiResult.objects.exists()


def test_the_committed_corpus_is_what_the_generator_writes():
    files = build()
    assert len(files) >= 20
    for name, content in files.items():
        assert (HERE / name).read_bytes() == content, f"{name}: run tests/hostile/kpis/generate.py"


@pytest.mark.parametrize("name", REFUSED)
def test_a_hostile_file_is_refused_with_its_problem_and_changes_nothing(contract, name):
    result = kpi_batch_ingest(file_name=name, content=(HERE / name).read_bytes(), source="cli")
    assert result.status == "rejected"
    assert any(CASES[name] in str(error) for error in result.errors), [str(e) for e in result.errors]
    assert nothing_stored()


def test_negative_zero_is_an_ordinary_zero(contract):
    result = kpi_batch_ingest(
        file_name="n.csv", content=(HERE / "negative-zero.csv").read_bytes(), source="cli"
    )
    assert result.status == "accepted"
    assert [row.value for row in KpiResult.objects.order_by("source_row")] == [Decimal(0), Decimal(0)]


def test_a_byte_order_mark_is_read_as_before(contract):
    result = kpi_batch_ingest(file_name="b.csv", content=(HERE / "bom-utf8.csv").read_bytes(), source="cli")
    assert result.status == "accepted" and result.row_count == 1


@pytest.mark.parametrize("name", ["dimension-xfd1048576.xlsx", "zip-bomb-ratio.xlsx", "long-channel.csv"])
def test_the_command_reports_the_file_and_its_problem(contract, name):
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was ingested"):
        call_command("ingest_kpis", str(HERE / name), stderr=err, stdout=StringIO())
    assert f"{HERE / name}:" in err.getvalue() and problem(name) in err.getvalue()
    assert nothing_stored()


@pytest.mark.parametrize("name", ["billion-laughs.xlsx", "nul-byte.csv", "forty-digit-value.csv"])
def test_the_api_answers_400_with_the_problem(contract, name):
    user = User.objects.create_user("supplier-hs")
    Membership.objects.create(user=user, organisation=contract.supplier, role="supplier")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    upload = SimpleUploadedFile(name, (HERE / name).read_bytes())
    response = client.post("/api/v1/kpi-batches/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["file_name"] == name
    assert any(problem(name) in error["problem"] for error in body["errors"]), body
    assert nothing_stored()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(contract, settings, tmp_path, monkeypatch):
    settings.KPI_FILE_MAX_BYTES = 100
    path = tmp_path / "big.csv"
    path.write_bytes((HERE / "long-channel.csv").read_bytes())  # 149 bytes
    read = []
    monkeypatch.setattr(type(path), "open", lambda self, *args: read.append(self))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was ingested"):
        call_command("ingest_kpis", str(path), stderr=err, stdout=StringIO())
    assert f"{path}:-:-: the file is 149 bytes; the limit is 100" in err.getvalue()
    assert read == [] and nothing_stored()


def test_the_api_refuses_an_upload_over_the_size_limit(contract, settings):
    settings.KPI_FILE_MAX_BYTES = 100
    user = User.objects.create_user("supplier-hs")
    Membership.objects.create(user=user, organisation=contract.supplier, role="supplier")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    upload = SimpleUploadedFile("big.csv", (HERE / "long-channel.csv").read_bytes())
    response = client.post("/api/v1/kpi-batches/", {"file": upload}, format="multipart")
    assert response.status_code == 413  # stopped as it arrived, at the 100th byte
    assert response.json()["errors"] == [
        {
            "row": 0,
            "column": "file",
            "problem": "the file big.csv is more than 100 bytes, the limit; nothing was kept",
        }
    ]
    assert nothing_stored()
