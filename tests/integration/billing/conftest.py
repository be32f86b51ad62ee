"""A small contract and KPI months for billing tests, loaded through the real import paths."""

import pytest

from contracts.models import Contract
from contracts.services import contract_import_content
from kpis.services import kpi_batch_ingest

CONTRACT = """
reference: {reference}
title: Test care
buyer: {{name: {buyer_name}, code: {buyer_code}, country: GB, vat_number: GB123456782, address: "1 Exchange Sq\\nLondon"}}
supplier: {{name: {supplier}, country: GB}}
currency: GBP
tax_rate: "20"
start: 2026-01-01
payment_terms_days: 30
self_billing: true
self_billing_agreement: {{start: 2026-01-01, end: 2028-12-31}}
terms:
  - effective_from: 2026-01
    components:
      - {{id: mgmt, type: fixed_fee, amount: "10000.00"}}
      - id: voice
        type: unit_rate
        measure: contacts_voice
        bands: [{{up_to: 1000, price: "3.00"}}, {{up_to: null, price: "2.00"}}]
      - id: sla
        type: service_credit
        at_risk_percent: "10"
        earn_back_months: 1
        kpis:
          - {{kpi: service_level, target: "80", credit_percent: "5"}}
"""
HEADER = "contract,period,date,kpi,value,numerator,denominator,channel,site\n"


def load_contract(
    reference="ACME-T-001",
    supplier="Northwind CX Ltd",
    buyer_code="ACME",
    buyer_name="Acme Telecom plc",
    titles: dict[str, str] | None = None,
) -> Contract:
    """``CONTRACT`` imported; ``titles`` gives components a ``title`` by component id."""
    content = CONTRACT.format(
        reference=reference, supplier=supplier, buyer_code=buyer_code, buyer_name=buyer_name
    )
    for component_id, title in (titles or {}).items():
        # As CONTRACT writes each component: a flow mapping ({id: mgmt, ...}) or a block one.
        content = content.replace(f"{{id: {component_id}, ", f"{{id: {component_id}, title: {title}, ")
        content = content.replace(
            f"- id: {component_id}\n", f"- id: {component_id}\n        title: {title}\n"
        )
    contract_import_content(file_name=f"{reference}.yaml", content=content.encode())
    return Contract.objects.get(reference=reference)


def load_kpis(text: str, name: str = "k.csv"):
    result = kpi_batch_ingest(file_name=name, content=(HEADER + text).encode(), source="cli")
    assert result.status == "accepted", result.errors
    return result


@pytest.fixture
def contract(db):
    return load_contract()


def month(reference: str, period: str, voice: int, sl_num: int, sl_den: int = 100) -> str:
    return (
        f"{reference},{period},,contacts_voice,{voice},,,voice,\n"
        f"{reference},{period},,service_level,,{sl_num},{sl_den},voice,\n"
    )
