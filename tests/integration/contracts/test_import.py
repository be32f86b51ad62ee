"""Importing contract files: atomic, idempotent, round-tripping, refusing what must not change."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from billing.models import Statement
from contracts.models import Component, Contract, Organisation, TermsVersion
from contracts.selectors import contracts_active_in_period, terms_in_force_for_contracts, terms_of_versions
from contracts.services import contract_export, contract_import
from pricing.period import Period
from pricing.terms import FixedFee
from tests.demo_index import import_demo_index
from tests.unit.contracts.test_schema import GOOD

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "contracts"


def snapshot():
    """Everything an import may write, with timestamps, so 'unchanged' means unchanged."""
    return (
        list(Organisation.objects.order_by("pk").values()),
        list(Contract.objects.order_by("pk").values()),
        list(TermsVersion.objects.order_by("pk").values()),
        list(Component.objects.order_by("pk").values()),
    )


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(GOOD)
    return path


def import_text(tmp_path, text, name="acme.yaml"):
    path = tmp_path / name
    path.write_text(text)
    out, err = StringIO(), StringIO()
    call_command("import_contracts", str(path), stdout=out, stderr=err)
    return out.getvalue()


def test_import_creates_contract_parties_versions_and_components(good_file):
    result = contract_import(path=good_file)
    assert result.status == "created"
    contract = Contract.objects.get(reference="ACME-NW-001")
    assert (contract.buyer.name, contract.buyer.code, contract.supplier.name) == (
        "Acme Telecom plc",
        "ACME",
        "Northwind CX Ltd",
    )
    assert contract.tax_rate == Decimal("20") and contract.self_billing
    version = contract.versions.get()
    assert list(version.components.values_list("component_id", flat=True)) == [
        "mgmt",
        "voice",
        "savings",
        "uplift",
        "saves",
        "experience",
        "sla",
    ]


def test_importing_the_same_file_twice_changes_nothing(good_file):
    contract_import(path=good_file)
    before = snapshot()
    assert contract_import(path=good_file).status == "unchanged"
    assert snapshot() == before


def test_export_then_import_round_trips_exactly(good_file, tmp_path):
    contract_import(path=good_file)
    contract = Contract.objects.get(reference="ACME-NW-001")
    exported = contract_export(contract=contract)
    before = snapshot()
    (tmp_path / "exported.yaml").write_text(exported)
    assert contract_import(path=tmp_path / "exported.yaml").status == "unchanged"
    assert snapshot() == before
    assert contract_export(contract=contract) == exported
    json_path = tmp_path / "exported.json"
    json_path.write_text(contract_export(contract=contract, fmt="json"))
    assert contract_import(path=json_path).status == "unchanged"


def test_changed_file_updates_and_adds_a_version(good_file, tmp_path):
    contract_import(path=good_file)
    version = (
        GOOD[GOOD.index("  - effective_from: 2026-01") :]
        .replace("2026-01", "2026-06")
        .replace('"15000.00"', '"16000.00"')
    )
    changed = GOOD.replace("Acme Telecom customer care", "Acme care") + version
    (tmp_path / "changed.yaml").write_text(changed)
    result = contract_import(path=tmp_path / "changed.yaml")
    assert result.status == "updated"
    assert "version 2026-06 added" in result.changes
    contract = Contract.objects.get(reference="ACME-NW-001")
    assert contract.title == "Acme care"
    july = terms_in_force_for_contracts(contracts=[contract], period=Period(2026, 7))[contract.pk]
    assert july.effective_from == "2026-06"
    assert july.terms.components[0] == FixedFee("mgmt", Decimal("16000.00"))
    may = terms_in_force_for_contracts(contracts=[contract], period=Period(2026, 5))[contract.pk]
    assert may.effective_from == "2026-01"
    assert may.terms.components[0].amount == Decimal("15000.00")


def issue_statement_for(version):
    return Statement.objects.create(
        contract=version.contract,
        buyer=version.contract.buyer,
        supplier=version.contract.supplier,
        period="2026-01",
        terms_version=version,
        status="issued",
        number="ACME-2026-000001",
        currency="GBP",
        net=Decimal("1.00"),
        tax=Decimal("0.20"),
        gross=Decimal("1.20"),
        tax_rate=Decimal("20"),
    )


def test_a_version_that_priced_an_issued_statement_cannot_change(good_file, tmp_path):
    contract_import(path=good_file)
    issue_statement_for(TermsVersion.objects.get())
    before = snapshot()
    (tmp_path / "acme.yaml").write_text(GOOD.replace('"15000.00"', '"15500.00"'))
    with pytest.raises(CommandError):
        call_command(
            "import_contracts", str(tmp_path / "acme.yaml"), stdout=StringIO(), stderr=(err := StringIO())
        )
    assert err.getvalue().strip() == (
        f"{tmp_path / 'acme.yaml'}: terms[0]: version 2026-01 priced an issued statement and cannot change; "
        "add a new version instead"
    )
    assert snapshot() == before


BAD_FILES = {
    "unknown key": (
        ("payment_terms_days: 30", "payment_terms_days: 30\ncolour: blue"),
        "colour: unknown key",
    ),
    "bad decimal": (
        ('amount: "15000.00"', 'amount: "15k"'),
        "terms[0].components[0].amount: not a number: '15k'",
    ),
    "overlapping bands": (
        ("{up_to: 25000, price", "{up_to: 5000, price"),
        "bands[1].up_to: bands must ascend",
    ),
    "unordered bands": (("{up_to: 25000, price", "{up_to: 9999, price"), "bands[1].up_to: bands must ascend"),
    "percent > 100": (
        ('supplier_percent: "50"', 'supplier_percent: "101"'),
        "supplier_percent: must be at most 100",
    ),
    "negative price": (('price: "2.50"', 'price: "-1"'), "bands[1].price: must be at least 0"),
    "unknown KPI": (("kpi: nps,", "kpi: net_promoter,"), "kpis[2].kpi: unknown KPI code 'net_promoter'"),
    "unknown component type": (
        ("type: fixed_fee", "type: bonus"),
        "components[0].type: unknown component type 'bonus'",
    ),
    "missing measure": (("        measure: contacts_voice\n", ""), "components[1].measure: is required"),
    "weights summing to 0": (
        ("weight: 40", "weight: 0"),
        "components[5].kpis: weights must add up to a positive total",
    ),
    "negative weight": (("weight: 40", "weight: -40"), "kpis[0].weight: must be at least 0"),
    "duplicate component id": (
        ("{id: uplift", "{id: voice"),
        "components[3].id: duplicate component id 'voice'",
    ),
    "end before start": (("end: 2028-12-31", "end: 2025-01-01"), "end: ends (2025-01-01) before it starts"),
    "wrong currency code": (
        ("currency: GBP", "currency: XYZ"),
        "currency: unknown ISO 4217 currency code 'XYZ'",
    ),
    "YAML syntax error": (("title: Acme", "title: [Acme"), "invalid YAML"),
    "duplicate effective_from": (("end: 2028-12-31", "end: 2028-12-31"), "appears twice"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_gives_a_clear_message_and_changes_nothing(case, good_file, tmp_path):
    contract_import(path=good_file)  # an existing contract that the bad file would change
    (replace, by), expected = BAD_FILES[case]
    text = GOOD.replace(replace, by, 1)
    if case == "weights summing to 0":
        text = text.replace("weight: 30", "weight: 0")
    if case == "duplicate effective_from":
        text += GOOD[GOOD.index("  - effective_from: 2026-01") :]
    text = text.replace("Acme Telecom customer care", "A new title")  # a change that must not land
    before = snapshot()
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    err = StringIO()
    with pytest.raises(CommandError, match="1 of 1 file"):
        call_command("import_contracts", str(path), stdout=StringIO(), stderr=err)
    lines = err.getvalue().strip().splitlines()
    assert any(line.startswith(f"{path}: ") and expected in line for line in lines), lines
    assert "Traceback" not in err.getvalue()
    assert snapshot() == before


def test_good_files_still_import_when_another_file_fails(good_file, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("reference: [")
    with pytest.raises(CommandError):
        call_command("import_contracts", str(bad), str(good_file), stdout=StringIO(), stderr=StringIO())
    assert Contract.objects.filter(reference="ACME-NW-001").exists()


def test_missing_file_is_a_clear_error(tmp_path):
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_contracts", str(tmp_path / "nope.yaml"), stdout=StringIO(), stderr=err)
    assert "nope.yaml: cannot read the file" in err.getvalue()


def test_every_demo_contract_imports_and_prices_with_its_terms():
    paths = sorted(FIXTURES.glob("*.yaml"))
    assert len(paths) >= 3
    out = StringIO()
    import_demo_index()
    call_command("import_contracts", *map(str, paths), stdout=out)
    assert out.getvalue().count(" created") == len(paths)
    used = {c.type for c in Component.objects.all()}
    assert used == {
        "fixed_fee",
        "unit_rate",
        "gain_share",
        "revenue_share",
        "outcome_fee",
        "experience_bonus",
        "service_credit",
    }
    march = Period(2026, 3)
    active = contracts_active_in_period(period=march)
    # The bulk read (one SQL query on PostgreSQL) gives each contract the terms its latest
    # version in force gives when read alone.
    bulk = terms_in_force_for_contracts(contracts=active, period=march)
    for contract in active:
        version = contract.versions.filter(effective_from__lte=str(march)).latest("effective_from")
        assert (
            bulk[contract.pk]
            == terms_of_versions(contracts=[contract], version_ids={contract.pk: version.pk})[contract.pk]
        )
    utility = Contract.objects.get(reference="NORTHERN-UTIL-003")
    assert utility in contracts_active_in_period(period=Period(2026, 1))
    assert utility not in contracts_active_in_period(period=Period(2025, 12))


def test_export_command_prints_the_contract_file(good_file):
    contract_import(path=good_file)
    out = StringIO()
    call_command("export_contract", "ACME-NW-001", stdout=out)
    assert out.getvalue().startswith("reference: ACME-NW-001\n")
    with pytest.raises(CommandError, match="no contract with reference 'NOPE'"):
        call_command("export_contract", "NOPE", stdout=StringIO())


def test_a_party_code_used_by_another_organisation_is_refused(good_file, tmp_path):
    contract_import(path=good_file)
    before = snapshot()
    other = GOOD.replace("ACME-NW-001", "ACME-NW-002").replace("Northwind CX Ltd", "Acme Outsourcing Ltd")
    (tmp_path / "other.yaml").write_text(other)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_contracts", str(tmp_path / "other.yaml"), stdout=StringIO(), stderr=err)
    assert err.getvalue().strip() == (
        f"{tmp_path / 'other.yaml'}: supplier.code: code ACME is already used by Acme Telecom plc; "
        "give this organisation its own code"
    )
    assert snapshot() == before
