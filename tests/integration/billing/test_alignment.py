"""The alignment check of a contract's stored or proposed terms on its own KPI history, as the
JSON findings the simulation includes (docs/alignment.md)."""

from dataclasses import replace
from pathlib import Path

import pytest

from billing.alignment import alignment_for, reference_period_of
from contracts.models import Contract
from contracts.selectors import terms_of_versions
from contracts.services import contract_import_content
from pricing.period import Period
from pricing.terms import FixedFee

from .conftest import load_kpis

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "contracts"

# A month of ACME-TEL-001 as monthly rows: 12,000 voice and 3,000 chat contacts, every service
# level met, cost to serve 50,000, experience KPIs between target and stretch.
VALUES = {
    "contacts_voice": "12000",
    "contacts_chat": "3000",
    "contacts_total": "15000",
    "service_level": "85",
    "abandon_rate": "4",
    "cost_to_serve": "50000",
    "csat": "86",
    "fcr": "76",
    "nps": "32",
}


def month_rows(period: str, **changes) -> str:
    values = {**VALUES, **changes}
    return "".join(f"ACME-TEL-001,{period},,{code},{value},,,,\n" for code, value in values.items())


@pytest.fixture
def acme():
    path = FIXTURES / "acme-telecom.yaml"
    contract_import_content(file_name=path.name, content=path.read_bytes())
    return Contract.objects.get(reference="ACME-TEL-001")


def terms_of(contract, effective_from):
    version = contract.versions.get(effective_from=effective_from)
    return terms_of_versions(contracts=[contract], version_ids={contract.pk: version.pk})[contract.pk].terms


def by_finding(findings):
    kpis = {f["kpi"]: f for f in findings if f["finding"] == "kpi"}
    traps = {f["code"]: f for f in findings if f["finding"] == "trap"}
    return kpis, traps


def test_a_contract_without_kpi_values_has_no_reference_month(acme):
    assert reference_period_of(acme) is None
    (finding,) = alignment_for(contract=acme, terms=terms_of(acme, "2026-03"))
    assert finding["finding"] == "no_reference_month"
    assert "ACME-TEL-001 has no month with KPI values" in finding["message"]


def test_per_contact_terms_are_misaligned_on_contacts_and_the_traps_say_why(acme):
    load_kpis(month_rows("2026-02"), "feb.csv")
    load_kpis(month_rows("2026-03"), "mar.csv")
    assert reference_period_of(acme) == Period(2026, 3)
    kpis, traps = by_finding(alignment_for(contract=acme, terms=terms_of(acme, "2026-01")))
    # 15,000 + 10,000 × 3.00 + 2,000 × 2.50 + 3,000 × 1.80 = 55,400; 600 fewer voice contacts
    # (5 %) are 600 × 2.50 less; the total moves with them.
    voice = kpis["contacts_voice"]
    assert (voice["reference_net"], voice["pay_change"], voice["verdict"]) == (
        "55400.00",
        "-1500.00",
        "misaligned",
    )
    assert voice["moved_with"] == [{"kpi": "contacts_total", "reference": "15000", "moved": "14400"}]
    assert (kpis["contacts_chat"]["pay_change"], kpis["contacts_chat"]["verdict"]) == (
        "-270.00",
        "misaligned",
    )
    # The total, not read by these terms, moves voice and chat in proportion: −1,500 − 270.
    assert kpis["contacts_total"]["pay_change"] == "-1770.00"
    # Service levels already met, and FCR and cost, which these terms do not read: indifferent.
    for code in ("service_level", "abandon_rate", "fcr", "cost_to_serve"):
        assert kpis[code]["verdict"] == "indifferent", code
    assert set(traps) == {"volume_pay", "credits_exceed_bonus"}
    assert "1,770.00" in traps["volume_pay"]["message"]
    assert traps["credits_exceed_bonus"]["numbers"]["at_risk"] == "6648.00"  # 12 % of 55,400
    assert {f["period"] for f in alignment_for(contract=acme, terms=terms_of(acme, "2026-01"))} == {"2026-03"}


def test_the_gain_share_version_rewards_a_lower_cost_to_serve(acme):
    load_kpis(month_rows("2026-03"), "mar.csv")
    kpis, traps = by_finding(alignment_for(contract=acme, terms=terms_of(acme, "2026-03")))
    # Saving 60,000 − 50,000 = 10,000: 6,000 × 50 % + 4,000 × 25 % = 4,000; at 47,500 it is
    # 6,000 × 50 % + 6,500 × 25 % = 4,625.
    cost = kpis["cost_to_serve"]
    assert (cost["step"], cost["pay_change"], cost["verdict"]) == ("-2500", "625.00", "aligned")
    assert kpis["csat"]["verdict"] == "aligned"
    assert "volume_pay" not in traps
    # Up to 3 % × 1.5 of 55,400 and the 100,000 cap on top, against 6,648 at risk.
    assert traps["bonus_exceeds_credits"]["numbers"]["maximum_bonus"] == "102493.00"


def test_a_cap_reached_every_month_is_flagged_on_the_history(acme):
    # 15,000 × 4.00 − 10,000 = 50,000 saved each month: 3,000 + 44,000 × 25 % = 14,000 > a
    # 5,000 cap (a proposal: the stored terms with the savings cap lowered).
    for period in ("2026-01", "2026-02", "2026-03"):
        load_kpis(month_rows(period, cost_to_serve="10000"), f"{period}.csv")
    terms = terms_of(acme, "2026-03")
    proposed = replace(
        terms,
        components=tuple(replace(c, cap=c.cap / 20) if c.id == "savings" else c for c in terms.components),
    )
    _, traps = by_finding(alignment_for(contract=acme, terms=proposed))
    assert traps["cap_binding"]["numbers"] == {
        "component": "savings",
        "cap": "5000.00",
        "months_at_cap": "3",
        "months": "3",
        "periods_at_cap": "2026-01, 2026-02, 2026-03",
    }
    assert traps["cap_binding"]["title"] == "A cap reached in most months"


def test_a_month_the_terms_cannot_price_is_said_not_raised(acme):
    load_kpis(month_rows("2026-03"), "mar.csv")
    terms = replace(
        terms_of(acme, "2026-03"),
        components=(FixedFee("mgmt", terms_of(acme, "2026-03").components[0].amount),),
    )
    (finding,) = alignment_for(contract=acme, terms=terms, reference_period=Period(2025, 1))
    assert finding["finding"] == "not_priced"
    assert "not active in 2025-01" in finding["message"]
