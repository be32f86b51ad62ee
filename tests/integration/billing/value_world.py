"""A small scenario for the value reads, built through the real import, pricing and issue paths.

Buyer Acme, supplier Northwind, two contracts:
- VAL-GBP-001 (GBP): fixed 1,000; 1.00 per voice contact; gain share 50 % of (4.00 × contacts
  − cost to serve); revenue share 10 % of retention revenue over 10,000; 10.00 per customer
  retained; a 5 % credit when the service level misses 80 (at most 10 % at risk).
  - 2026-01, a gain-share month: 1,000 contacts, cost 3,000 → saving 1,000, share 500;
    5 customers retained → 50.
  - 2026-02, a revenue-share month with a credit: cost 4,000 (no saving), revenue 15,000 →
    uplift 5,000, share 500; service level 70 → credit 5 % of 2,000 = −100.
  - 2026-03, a corrected month: issued on cost 3,200 (saving 800, share 400), then the cost
    is corrected to 2,800 (saving 1,200, share 600) and the +200 adjustment is issued.
  - 2026-04 is only a draft: it does not count.
- VAL-EUR-001 (EUR): fixed 1,000; gain share 50 % of (4.00 × contacts − cost); 2026-01:
  500 contacts, cost 1,500 → saving 500, share 250.

Another buyer (Globex) has VAL-OTH-001 with an issued 2026-01, for the tenancy tests.
"""

from datetime import date

from billing.models import Statement
from billing.services import statement_approve, statement_issue, statement_price_draft
from contracts.models import Contract
from contracts.services import contract_import_content
from pricing.period import Period

from .conftest import load_kpis

GBP_CONTRACT = """
reference: {reference}
title: Value care
buyer: {{name: {buyer_name}, code: {buyer_code}, country: GB, vat_number: GB123456782}}
supplier: {{name: {supplier}, country: GB}}
currency: {currency}
tax_rate: "20"
start: 2026-01-01
terms:
  - effective_from: 2026-01
    components:
      - {{id: mgmt, type: fixed_fee, amount: "1000.00"}}
{extra}
      - {{id: savings, type: gain_share, baseline_unit_cost: "4.00", volume_measure: contacts_total,
         actual_measure: cost_to_serve, supplier_percent: "50"}}
"""
GBP_EXTRA = """      - id: voice
        type: unit_rate
        measure: contacts_voice
        bands: [{up_to: null, price: "1.00"}]
      - {id: uplift, type: revenue_share, baseline_amount: "10000.00", actual_measure: retention_revenue,
         supplier_percent: "10"}
      - {id: saves, type: outcome_fee, measure: customers_retained, fee: "10.00"}
      - id: sla
        type: service_credit
        at_risk_percent: "10"
        kpis:
          - {kpi: service_level, target: "80", credit_percent: "5"}"""


def value_contract(
    reference: str,
    *,
    currency: str = "GBP",
    extra: str = GBP_EXTRA,
    buyer_code: str = "ACME",
    buyer_name: str = "Acme Telecom plc",
    supplier: str = "Northwind CX Ltd",
) -> Contract:
    content = GBP_CONTRACT.format(
        reference=reference,
        currency=currency,
        extra=extra,
        buyer_code=buyer_code,
        buyer_name=buyer_name,
        supplier=supplier,
    )
    contract_import_content(file_name=f"{reference}.yaml", content=content.encode())
    return Contract.objects.get(reference=reference)


def kpi_rows(reference: str, period: str, **values) -> str:
    """One monthly row per KPI; ``service_level`` as numerator over 100."""
    rows = []
    for code, value in values.items():
        if code == "service_level":
            rows.append(f"{reference},{period},,{code},,{value},100,,\n")
        else:
            rows.append(f"{reference},{period},,{code},{value},,,,\n")
    return "".join(rows)


def priced(contract: Contract, period: str, name: str, **values) -> Statement:
    load_kpis(kpi_rows(contract.reference, period, **values), name=name)
    return statement_price_draft(contract_id=contract.pk, period=Period.parse(period))


def issued(draft: Statement) -> Statement:
    statement_approve(statement_id=draft.pk)
    return statement_issue(statement_id=draft.pk, issue_date=date(2026, 5, 4))


GBP_MONTH = {"contacts_voice": 1000, "contacts_total": 1000, "service_level": 85}


def build_value_world() -> dict:
    gbp = value_contract("VAL-GBP-001")
    eur = value_contract("VAL-EUR-001", currency="EUR", extra="")
    other = value_contract(
        "VAL-OTH-001",
        buyer_code="GLOBEX",
        buyer_name="Globex Mobile Ltd",
        supplier="Zeta Outsourcing Ltd",
    )
    january = {**GBP_MONTH, "cost_to_serve": 3000, "retention_revenue": 10000, "customers_retained": 5}
    february = {**GBP_MONTH, "cost_to_serve": 4000, "retention_revenue": 15000, "service_level": 70}
    march = {**GBP_MONTH, "cost_to_serve": 3200, "retention_revenue": 10000, "customers_retained": 0}
    issued(priced(gbp, "2026-01", "gbp-01.csv", **january))
    issued(priced(gbp, "2026-02", "gbp-02.csv", **february))
    issued(priced(gbp, "2026-03", "gbp-03.csv", **march))
    adjustment = issued(priced(gbp, "2026-03", "gbp-03-fix.csv", cost_to_serve=2800))
    priced(gbp, "2026-04", "gbp-04.csv", **january)  # a draft only
    issued(priced(eur, "2026-01", "eur-01.csv", contacts_total=500, cost_to_serve=1500))
    issued(priced(other, "2026-01", "oth-01.csv", **january))
    return {"gbp": gbp, "eur": eur, "other": other, "adjustment": adjustment}
