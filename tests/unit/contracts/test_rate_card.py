"""A terms version as a rate card in words: every component type has a describer, and the demo
contracts' components read as procurement expects."""

from pathlib import Path

import pytest

from contracts.components import COMPONENT_TYPES, KpiInfo, Wording, component_rate_card
from contracts.schema import validate_contract
from contracts.yamlio import parse_document
from kpis.catalogue import CATALOGUE

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "contracts"
KPI_INFO = {k.code: KpiInfo(k.unit, k.direction, k.aggregation) for k in CATALOGUE}
KPI_NAMES = {k.code: k.name for k in CATALOGUE}


def wording(currency="GBP", places=2) -> Wording:
    return Wording(currency=currency, decimal_places=places, kpi_names=KPI_NAMES, catalogue=KPI_INFO)


@pytest.mark.parametrize("type_", sorted(COMPONENT_TYPES))
def test_every_registered_type_has_a_describer(type_):
    assert callable(COMPONENT_TYPES[type_].describe), f"{type_} has no describe function"


def demo_components():
    for path in sorted(FIXTURES.glob("*.yaml")):
        spec = validate_contract(
            parse_document(path.read_text(), file_name=path.name), file_name=path.name, catalogue=KPI_INFO
        )
        for version in spec.versions:
            for component in version.components:
                yield path.stem, version.effective_from, spec.currency, component


# The text of each demo contract's components, by (file, version, component id); the table
# must cover every component of every demo file (see the test below). Acme's January terms; March keeps its charges and credits and adds shares and a bonus.
EXPECTED_START = {
    ("acme-telecom", "2026-01", "mgmt"): ["Fixed fee: GBP 15,000.00 a month (prorated in a part month)"],
    ("acme-telecom", "2026-01", "voice"): [
        "Voice contacts handled: GBP 3.00 each up to 10,000; GBP 2.50 each up to 25,000; GBP 2.00 each above 25,000",
        "Graduated pricing: the units in each band at that band's price",
        "Minimum charge: GBP 20,000.00 a month (prorated in a part month)",
    ],
    ("acme-telecom", "2026-01", "chat"): ["Chat contacts handled: GBP 1.80 each"],
    ("acme-telecom", "2026-01", "sla"): [
        "Service credit: 12 % of the month's charges at risk",
        "Service level (answered within threshold) below 80 → 5 % credit",
        "Abandonment rate above 5 → 3 % credit",
    ],
}
EXPECTED = {
    **EXPECTED_START,
    **{("acme-telecom", "2026-03", c): lines for (_, _, c), lines in EXPECTED_START.items()},
    ("acme-telecom", "2026-03", "savings"): [
        "Shared savings on Cost to serve: baseline GBP 4.00 per unit of All contacts handled; supplier keeps "
        "50 % of savings up to 10 % of baseline, 25 % of savings above 10 % of baseline; capped at GBP 100,000.00",
        "Pain share: supplier pays 25 % of any overrun above the baseline, at most GBP 20,000.00",
    ],
    ("acme-telecom", "2026-03", "experience"): [
        "Experience bonus: a pool of 3 % of the month's charges, paid out by the weighted scorecard below",
        "Customer satisfaction (weight 40): threshold 80 pays 0.5×, target 85 pays 1×, stretch 90 pays 1.5×; "
        "the value first rounded half up to a whole number",
        "First-contact resolution (weight 30): threshold 70 pays 0.5×, target 75 pays 1×, stretch 80 pays 1.5×",
        "Net Promoter Score (weight 30): threshold 20 pays 0.5×, target 30 pays 1×, stretch 40 pays 1.5×",
    ],
    # From March abandonment credits are stepped.
    ("acme-telecom", "2026-03", "sla"): [
        "Service credit: 12 % of the month's charges at risk",
        "Service level (answered within threshold) below 80 → 5 % credit",
        "Abandonment rate, stepped (the worst band reached): above 3 → 1 %, above 5 → 3 %, above 8 → 6 % credit",
    ],
    ("bright-retail", "2026-01", "platform"): ["Fixed fee: EUR 8,500.00 a month (prorated in a part month)"],
    ("bright-retail", "2026-01", "contacts"): [
        "All contacts handled: EUR 2.40 each up to 8,000; EUR 2.10 each up to 15,000; EUR 1.90 each above 15,000",
        "Volume pricing: every unit at the price of the band the month's total reaches",
    ],
    ("bright-retail", "2026-01", "uplift"): [
        "Revenue share: supplier receives 12 % of Retention revenue above a baseline of EUR 180,000.00 a month; "
        "capped at EUR 15,000.00",
        "Settled per calendar quarter: 80 % of each month's share paid on account, trued up at the period's end",
    ],
    ("bright-retail", "2026-01", "saves"): [
        "Customers retained (saves): EUR 18.50 each above 150 a month; capped at EUR 9,000.00",
        "Clawback: EUR 18.50 back per Saves reversed within the window",
    ],
    ("bright-retail", "2026-01", "experience"): [
        "Experience bonus: a pool of EUR 4,000.00 a month, paid out by the weighted scorecard below",
        "Customer satisfaction (weight 50): threshold 78 pays 0.5×, target 84 pays 1×, stretch 90 pays 1.5×",
        "Net Promoter Score (weight 30): threshold 15 pays 0.5×, target 25 pays 1×, stretch 35 pays 1.5×",
        "Customer effort score (weight 20): threshold 3.2 pays 0.5×, target 2.8 pays 1×, stretch 2.4 pays 1.5×",
        "Gate: no bonus in a month when any KPI misses its threshold or is not measured",
    ],
    ("bright-retail", "2026-01", "resolution"): [
        "Service credit: 6 % of the month's charges at risk",
        "First-contact resolution below 75 → 4 % credit",
        "Credits at most 1.5 % of the rolling 12 months' charges; credits above it are carried forward",
    ],
    ("northern-utility", "2026-01", "service"): [
        "Fixed fee: GBP 31,000.00 a month (prorated in a part month)"
    ],
    ("northern-utility", "2026-01", "voice"): [
        "Voice contacts handled: GBP 2.85 each up to 20,000; GBP 2.60 each above 20,000",
        "Volume pricing: every unit at the price of the band the month's total reaches",
        "Minimum charge: GBP 40,000.00 a month (prorated in a part month)",
    ],
    ("northern-utility", "2026-01", "email"): [
        "Email contacts handled: GBP 1.60 each up to 5,000; GBP 1.35 each above 5,000",
        "Graduated pricing: the units in each band at that band's price",
    ],
    ("northern-utility", "2026-01", "sla"): [
        "Service credit: 10 % of the month's charges at risk; a credit is earned back when its KPI meets "
        "the target in each of the next 2 months",
        "Service level (answered within threshold) below 80 → 1.5 % credit per full point",
        "Abandonment rate above 6 → 2 % credit",
        "Average speed of answer above 60 → 2 % credit",
    ],
    ("northern-utility", "2026-01", "experience"): [
        "Experience bonus: a pool of 2 % of the month's charges, paid out by the weighted scorecard below",
        "First-contact resolution (weight 60): threshold 68 pays 0.5×, target 74 pays 1×, stretch 80 pays 1.5×",
        "Customer satisfaction (weight 40): threshold 75 pays 0.5×, target 82 pays 1×, stretch 88 pays 1.5×",
    ],
}


@pytest.mark.parametrize(
    ("file", "effective_from", "currency", "component"),
    list(demo_components()),
    ids=lambda value: getattr(value, "id", str(value)),
)
def test_each_demo_component_reads_as_its_rate_card(file, effective_from, currency, component):
    lines = component_rate_card(type_=component.type, params=component.params, wording=wording(currency))
    assert lines == EXPECTED[(file, effective_from, component.id)]


def test_the_table_covers_every_demo_component_and_every_type_it_uses():
    keys = {(file, version, c.id) for file, version, _, c in demo_components()}
    assert keys == set(EXPECTED)


# Forms the demo files do not use: a fixed baseline with one share, a single earn-back month,
# an outcome fee without threshold, a price with more places than the currency, a 0-place currency.
@pytest.mark.parametrize(
    ("type_", "params", "currency", "places", "expected"),
    [
        (
            "gain_share",
            {"actual_measure": "cost_to_serve", "baseline_amount": "250000.00", "supplier_percent": "30"},
            "GBP",
            2,
            [
                "Shared savings on Cost to serve: baseline GBP 250,000.00 a month; supplier keeps 30 % of savings"
            ],
        ),
        (
            "service_credit",
            {
                "at_risk_percent": "10",
                "kpis": [{"kpi": "service_level", "target": "80", "credit_percent": "5"}],
                "earn_back_months": 1,
            },
            "GBP",
            2,
            [
                "Service credit: 10 % of the month's charges at risk; a credit is earned back when its KPI "
                "meets the target in the next month",
                "Service level (answered within threshold) below 80 → 5 % credit",
            ],
        ),
        (
            "outcome_fee",
            {"measure": "customers_retained", "fee": "0.125"},
            "GBP",
            2,
            ["Customers retained (saves): GBP 0.125 each"],
        ),
        (
            "fixed_fee",
            {"amount": "1500000"},
            "JPY",
            0,
            ["Fixed fee: JPY 1,500,000 a month (prorated in a part month)"],
        ),
        # packages with a flat fee per band reached
        (
            "unit_rate",
            {
                "measure": "contacts_chat",
                "bands": [
                    {"up_to": "50", "price": "120.00", "flat_fee": "250.00"},
                    {"up_to": None, "price": "100.00"},
                ],
                "package_size": "100",
            },
            "GBP",
            2,
            [
                "Chat contacts handled: GBP 120.00 a package plus a flat GBP 250.00 up to 50; "
                "GBP 100.00 a package above 50",
                "Graduated pricing: the units in each band at that band's price",
                "Priced in packages of 100: each package started is charged whole; band limits count packages",
                "Flat fees: charged once a month for each band reached (at least one unit in it)",
            ],
        ),
        # pain bands, and a per-point credit counted per 0.1 point or part
        (
            "gain_share",
            {
                "actual_measure": "cost_to_serve",
                "baseline_amount": "400000.00",
                "supplier_percent": "50",
                "pain_bands": [
                    {"up_to_percent_of_baseline": "5", "supplier_percent": "0"},
                    {"up_to_percent_of_baseline": None, "supplier_percent": "50"},
                ],
            },
            "GBP",
            2,
            [
                "Shared savings on Cost to serve: baseline GBP 400,000.00 a month; supplier keeps 50 % of savings",
                "Pain share: supplier pays 0 % of an overrun up to 5 % of baseline, 50 % of an overrun above 5 % of baseline",
            ],
        ),
        (
            "service_credit",
            {
                "at_risk_percent": "12",
                "kpis": [
                    {
                        "kpi": "abandon_rate",
                        "target": "5",
                        "per_point_percent": "2",
                        "shortfall": "per_tenth_or_part",
                        "round": {"decimals": 1, "mode": "up"},
                    }
                ],
            },
            "GBP",
            2,
            [
                "Service credit: 12 % of the month's charges at risk",
                "Abandonment rate above 5 → 2 % credit per point, counted per 0.1 point or part; "
                "the value first rounded up to 1 decimal",
            ],
        ),
    ],
)
def test_forms_beyond_the_demo(type_, params, currency, places, expected):
    assert component_rate_card(type_=type_, params=params, wording=wording(currency, places)) == expected


def test_a_row_that_is_not_canonical_is_shown_raw_not_raised():
    lines = component_rate_card(type_="unit_rate", params={"measure": "contacts_voice"}, wording=wording())
    assert lines == ["Not in canonical form: measure = 'contacts_voice'"]


def test_an_unknown_kpi_code_is_shown_as_the_code():
    lines = component_rate_card(
        type_="unit_rate",
        params={"measure": "seats", "bands": [{"up_to": None, "price": "9"}]},
        wording=Wording("GBP", 2),
    )
    assert lines == ["seats: GBP 9.00 each"]
