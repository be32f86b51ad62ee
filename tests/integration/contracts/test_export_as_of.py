"""``export_contract REF --as-of YYYY-MM-DD``: the contract file as the contract stood at the end
of that day (in the project's time zone), from the history of the contract, its parties, terms
versions and components."""

from datetime import datetime
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from contracts.models import Contract
from contracts.services import contract_import_content
from tests.integration.contracts.test_history_and_self_billing import contract_text
from tests.integration.contracts.test_import import snapshot

pytestmark = pytest.mark.django_db

V2_CHANGES = {
    # a changed component
    'amount: "10000.00"': 'amount: "12500.00"',
    # the supplier's address
    "supplier: {name: Northwind CX Ltd, country: GB}": (
        'supplier: {name: Northwind CX Ltd, country: GB, address: "2 Dock Road\\nLeeds"}'
    ),
    # a new agreement, and a new version from July
    "self_billing_agreement: {start: 2026-01-01, end: 2028-12-31}": (
        "self_billing_agreement: {start: 2026-07-01, end: 2029-06-30}"
    ),
    "terms:\n": 'terms:\n  - effective_from: 2026-07\n    components:\n      - {id: mgmt, type: fixed_fee, amount: "9000.00"}\n',
}


def at(text: str):
    """``timezone.now()`` at a moment in the project's time zone, for everything written meanwhile."""
    moment = timezone.make_aware(datetime.fromisoformat(text))
    return mock.patch("django.utils.timezone.now", return_value=moment)


def export(*options) -> str:
    out = StringIO()
    call_command("export_contract", "ACME-H-001", *options, stdout=out)
    return out.getvalue()


@pytest.fixture
def two_versions():
    """v1 imported on 10 March 2026 at noon, v2 on 20 April 2026 at 00:30 London time (British
    Summer Time: 19 April, 23:30 UTC); the exports taken right after each."""
    with at("2026-03-10 12:00"):
        assert (
            contract_import_content(file_name="v1.yaml", content=contract_text().encode()).status == "created"
        )
        v1 = export()
    with at("2026-04-20 00:30"):
        result = contract_import_content(file_name="v2.yaml", content=contract_text(V2_CHANGES).encode())
        assert result.status == "updated"
        v2 = export()
    return v1, v2


def test_as_of_a_day_between_the_imports_prints_the_first_file(two_versions):
    v1, v2 = two_versions
    assert v1 != v2
    for day in ("2026-03-10", "2026-03-15", "2026-04-19"):
        assert export("--as-of", day) == v1, day
    assert 'amount: "12500.00"' not in v1 and "Leeds" not in v1 and "2026-07" not in v1


def test_as_of_today_or_the_day_of_the_second_import_prints_the_current_file(two_versions):
    _, v2 = two_versions
    assert export("--as-of", "2026-04-20") == v2
    assert export("--as-of", timezone.localdate().isoformat()) == v2 == export()
    assert "12500.00" in v2 and "Leeds" in v2 and "effective_from: 2026-07" in v2 and "2029-06-30" in v2
    assert export("--as-of", "2026-03-15", "--format", "json").startswith('{\n  "reference": "ACME-H-001"')


def test_the_day_ends_in_the_project_time_zone(two_versions, settings):
    # v2 was imported on 19 April at 23:30 UTC, already the 20th in London: the 19th ends
    # before it in London time, after it in UTC.
    v1, v2 = two_versions
    assert settings.TIME_ZONE == "Europe/London"
    assert export("--as-of", "2026-04-19") == v1
    settings.TIME_ZONE = "UTC"
    assert export("--as-of", "2026-04-19") == v2


def test_importing_the_as_of_export_of_today_changes_nothing(two_versions, tmp_path):
    path = tmp_path / "today.yaml"
    path.write_text(export("--as-of", timezone.localdate().isoformat()))
    before = snapshot()
    out = StringIO()
    call_command("import_contracts", str(path), stdout=out)
    assert " unchanged " in out.getvalue()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--as-of", "2026-03-09"], "ACME-H-001 did not exist on 2026-03-09"),
        (["--as-of", "2026-02-30"], "--as-of: expected a date YYYY-MM-DD, got '2026-02-30'"),
        (["--as-of", "10/03/2026"], "--as-of: expected a date YYYY-MM-DD, got '10/03/2026'"),
        (["--as-of", "2026-3-1"], "--as-of: expected a date YYYY-MM-DD, got '2026-3-1'"),
        (["--as-of", "２０２６-03-10"], "--as-of: expected a date YYYY-MM-DD"),
        (["--as-of", "9" * 5000], "--as-of: expected a date YYYY-MM-DD, got '9999999999"),
        (["--as-of", ""], "--as-of: expected a date YYYY-MM-DD, got ''"),
    ],
)
def test_a_bad_date_or_one_before_the_contract_is_refused_clearly(two_versions, options, message):
    with pytest.raises(CommandError) as refused:
        export(*options)
    assert str(refused.value).startswith(message)
    assert len(str(refused.value)) < 200


@pytest.mark.parametrize("reference", ["NOPE-001", "x" * 5000, "ACME-H-001\x00"])
def test_an_unknown_reference_is_refused_with_or_without_a_date(two_versions, reference):
    for options in ([], ["--as-of", "2026-03-15"]):
        with pytest.raises(CommandError, match="no contract with reference") as refused:
            call_command("export_contract", reference, *options, stdout=StringIO())
        assert len(str(refused.value)) < 200


def test_a_contract_older_than_its_history_is_refused_not_guessed(two_versions):
    contract = Contract.objects.get(reference="ACME-H-001")
    contract.history.filter(history_date__lt=timezone.make_aware(datetime(2026, 3, 15))).delete()
    with pytest.raises(CommandError, match="the history of ACME-H-001 does not reach back to 2026-03-15"):
        export("--as-of", "2026-03-15")
