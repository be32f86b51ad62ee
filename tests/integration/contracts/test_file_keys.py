"""The contract file's ``kpi_sources`` and ``self_billing_agreement`` keys, as accepted: what is
stored, exported and imported again unchanged."""

from datetime import date

import pytest

from contracts.models import Contract
from contracts.services import contract_export, contract_import_content
from tests.integration.contracts.test_history_and_self_billing import contract_text

pytestmark = pytest.mark.django_db


def import_text(text: str, name: str = "acme.yaml"):
    return contract_import_content(file_name=name, content=text.encode())


def test_kpi_sources_are_stored_sorted_and_round_trip():
    text = contract_text(
        {
            "payment_terms_days: 30\n": "payment_terms_days: 30\nkpi_sources: {service_level: buyer, csat: supplier}\n"
        }
    )
    assert import_text(text).status == "created"
    contract = Contract.objects.get(reference="ACME-H-001")
    assert list(contract.kpi_sources.items()) == [("csat", "supplier"), ("service_level", "buyer")]
    exported = contract_export(contract=contract)
    assert "kpi_sources:\n  csat: supplier\n  service_level: buyer\n" in exported
    assert import_text(exported, "exported.yaml").status == "unchanged"


def test_an_agreement_vat_number_of_digits_is_kept_as_written():
    # A country python-stdnum has no VAT checker for: the number is kept as written.
    text = contract_text(
        {
            "supplier: {name: Northwind CX Ltd, country: GB}": "supplier: {name: Northwind CX Ltd, country: AQ}",
            "self_billing_agreement: {start: 2026-01-01, end: 2028-12-31}": (
                "self_billing_agreement: {start: 2026-01-01, end: 2028-12-31, supplier_vat: 1234567}"
            ),
        }
    )
    assert import_text(text).status == "created"
    agreement = Contract.objects.get(reference="ACME-H-001").self_billing_agreements.get()
    assert (agreement.start_date, agreement.supplier_vat_number) == (date(2026, 1, 1), "1234567")


def test_component_titles_are_stored_exported_and_imported_again_unchanged():
    text = contract_text(
        {
            '{id: mgmt, type: fixed_fee, amount: "10000.00"}': (
                '{id: mgmt, type: fixed_fee, title: "  Account management ", amount: "10000.00"}'
            ),
            "        type: unit_rate\n": "        type: unit_rate\n        title: Voice contacts — all sites\n",
        }
    )
    assert import_text(text).status == "created"
    contract = Contract.objects.get(reference="ACME-H-001")
    stored = {c.component_id: c.params.get("title") for c in contract.versions.get().components.all()}
    assert stored == {"mgmt": "Account management", "voice": "Voice contacts — all sites", "sla": None}
    exported = contract_export(contract=contract)
    assert "  - id: mgmt\n    type: fixed_fee\n    title: Account management\n    amount:" in exported
    assert import_text(exported, "exported.yaml").status == "unchanged"
    renamed = exported.replace("title: Account management", "title: Service management")
    assert import_text(renamed, "renamed.yaml").status == "updated"
    mgmt = contract.versions.get().components.get(component_id="mgmt")
    assert mgmt.params == {"title": "Service management", "amount": "10000.00"}


def test_component_ledger_codes_are_stored_exported_and_imported_again_unchanged():
    text = contract_text(
        {
            '{id: mgmt, type: fixed_fee, amount: "10000.00"}': (
                '{id: mgmt, type: fixed_fee, title: Management, gl_code: 6100, cost_centre: CARE-UK, amount: "10000.00"}'
            ),
        }
    )
    assert import_text(text).status == "created"
    contract = Contract.objects.get(reference="ACME-H-001")
    mgmt = contract.versions.get().components.get(component_id="mgmt")
    # As text, whatever the JSON column's key order (PostgreSQL's jsonb sorts them).
    assert mgmt.params == {
        "title": "Management",
        "gl_code": "6100",
        "cost_centre": "CARE-UK",
        "amount": "10000.00",
    }
    # The export writes them in canonical order: after the title, before the type's keys.
    exported = contract_export(contract=contract)
    assert "    title: Management\n    gl_code: '6100'\n    cost_centre: CARE-UK\n    amount:" in exported
    assert import_text(exported, "exported.yaml").status == "unchanged"
    recoded = exported.replace("gl_code: '6100'", "gl_code: '6150'")
    assert import_text(recoded, "recoded.yaml").status == "updated"
    assert contract.versions.get().components.get(component_id="mgmt").params["gl_code"] == "6150"
