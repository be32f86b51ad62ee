"""The table form of a simulation ends with its alignment findings, a line each."""

from billing.simulation_json import simulation_table

DOCUMENT = {
    "contract": "ACME-TEL-001",
    "from": "2026-03",
    "to": "2026-03",
    "currency": "GBP",
    "what_ifs": [],
    "months": [
        {
            "period": "2026-03",
            "actual": {"net": "100.00"},
            "proposed": {"net": "90.00"},
            "difference": {"net": "-10.00"},
        }
    ],
    "totals": {
        "months": 1,
        "compared_months": 1,
        "actual": {"net": "100.00"},
        "proposed": {"net": "90.00"},
        "difference": {"net": "-10.00"},
    },
    "alignment": [
        {
            "finding": "kpi",
            "period": "2026-03",
            "name": "Customer satisfaction",
            "reference": "91.4688427300",
            "moved": "92.4688427300",
            "pay_change": "120.00",
            "verdict": "aligned",
        },
        {"finding": "not_checked", "period": "2026-03", "name": "NPS", "reason": "not measured"},
        {"finding": "trap", "period": "2026-03", "message": "Pay rises with contact volume."},
    ],
}


def test_the_table_ends_with_each_kpi_step_and_trap_values_shown_to_two_decimals():
    lines = simulation_table(DOCUMENT).splitlines()
    assert (
        lines[-3] == "incentive alignment of the proposed terms (one step better for the buyer, on 2026-03):"
    )
    assert lines[-2] == "  aligned      Customer satisfaction 91.47 → 92.47: pay 120.00"
    assert lines[-1] == "  trap: Pay rises with contact volume."


def test_a_simulation_without_findings_ends_with_its_totals():
    lines = simulation_table({**DOCUMENT, "alignment": []}).splitlines()
    assert lines[-1].startswith("total")
