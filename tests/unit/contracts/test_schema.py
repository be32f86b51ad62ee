"""Contract-file validation: every bad file gives one clear message with its key path."""

from decimal import Decimal

import pytest
import yaml

from contracts.components import KpiInfo, component_to_pricing
from contracts.schema import ContractFileError, validate_contract
from contracts.yamlio import DocumentError, parse_document
from kpis.catalogue import CATALOGUE
from pricing.terms import Band, BandMode, Direction, UnitRate

CATALOGUE_INFO = {k.code: KpiInfo(k.unit, k.direction, k.aggregation) for k in CATALOGUE}

GOOD = """
reference: ACME-NW-001
title: Acme Telecom customer care
buyer: {name: Acme Telecom plc, country: GB, vat_number: GB123456782}
supplier: {name: Northwind CX Ltd, country: GB}
currency: GBP
tax_rate: "20"
rounding: half_up
start: 2026-01-01
end: 2028-12-31
payment_terms_days: 30
self_billing: true
terms:
  - effective_from: 2026-01
    components:
      - {id: mgmt, type: fixed_fee, amount: "15000.00"}
      - id: voice
        type: unit_rate
        measure: contacts_voice
        mode: graduated
        bands: [{up_to: 10000, price: "3.00"}, {up_to: 25000, price: "2.50"}, {up_to: null, price: "2.00"}]
        minimum_charge: "20000.00"
      - {id: savings, type: gain_share, baseline_unit_cost: "4.00", volume_measure: contacts_total,
         actual_measure: cost_to_serve, supplier_percent: "50", cap: "100000.00",
         pain_percent: "25", pain_cap: "20000.00"}
      - {id: uplift, type: revenue_share, baseline_amount: "120000.00",
         actual_measure: retention_revenue, supplier_percent: "10"}
      - {id: saves, type: outcome_fee, measure: customers_retained, fee: "25.00",
         threshold: 200, clawback_measure: saves_reversed}
      - id: experience
        type: experience_bonus
        pool_percent: "3"
        kpis:
          - {kpi: csat, weight: 40, threshold: "80", target: "85", stretch: "90"}
          - {kpi: fcr, weight: 30, threshold: "70", target: "75", stretch: "80"}
          - {kpi: nps, weight: 30, threshold: "20", target: "30", stretch: "40"}
      - id: sla
        type: service_credit
        at_risk_percent: "12"
        earn_back_months: 3
        kpis:
          - {kpi: service_level, target: "80", credit_percent: "5"}
          - {kpi: abandon_rate, target: "5", credit_percent: "3"}
"""


def validate(text, file_name="acme.yaml"):
    return validate_contract(
        parse_document(text, file_name=file_name), file_name=file_name, catalogue=CATALOGUE_INFO
    )


def errors_of(text) -> list[str]:
    with pytest.raises(ContractFileError) as caught:
        validate(text)
    return caught.value.lines()


def test_the_design_example_is_valid():
    spec = validate(GOOD)
    assert spec.reference == "ACME-NW-001"
    assert spec.buyer.code == "ACME"  # derived from the first word of the name
    assert [c.id for c in spec.versions[0].components] == [
        "mgmt",
        "voice",
        "savings",
        "uplift",
        "saves",
        "experience",
        "sla",
    ]
    voice = spec.versions[0].components[1].params
    assert voice["bands"][0] == {"up_to": "10000", "price": "3.00"}


def test_yaml_numbers_keep_their_exact_digits():
    spec = validate(GOOD.replace('amount: "15000.00"', "amount: 15000.10"))
    assert spec.versions[0].components[0].params == {"amount": "15000.10"}


# One bad file per kind of mistake: the message names the file, the key path and the problem.
@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        ("payment_terms_days: 30", "payment_terms_days: 30\ncolour: blue", "acme.yaml: colour: unknown key"),
        (
            'amount: "15000.00"',
            'amount: "15,000.00"',
            "acme.yaml: terms[0].components[0].amount: not a number: '15,000.00'",
        ),
        (
            "{up_to: 25000, price",
            "{up_to: 5000, price",
            "acme.yaml: terms[0].components[1].bands[1].up_to: bands must ascend without overlap: 5000 is not above 10000",
        ),
        (
            "{up_to: 25000, price",
            "{up_to: 10000, price",
            "acme.yaml: terms[0].components[1].bands[1].up_to: bands must ascend without overlap: 10000 is not above 10000",
        ),
        (
            '{up_to: 10000, price: "3.00"}',
            '{up_to: null, price: "3.00"}',
            "acme.yaml: terms[0].components[1].bands[0].up_to: only the last band may be open-ended (null)",
        ),
        (
            'supplier_percent: "50"',
            'supplier_percent: "150"',
            "acme.yaml: terms[0].components[2].supplier_percent: must be at most 100, got 150",
        ),
        (
            'price: "2.50"',
            'price: "-2.50"',
            "acme.yaml: terms[0].components[1].bands[1].price: must be at least 0, got -2.50",
        ),
        (
            "kpi: fcr,",
            "kpi: first_call,",
            "acme.yaml: terms[0].components[5].kpis[1].kpi: unknown KPI code 'first_call'",
        ),
        (
            "type: fixed_fee",
            "type: retainer",
            "acme.yaml: terms[0].components[0].type: unknown component type 'retainer'",
        ),
        ("        measure: contacts_voice\n", "", "acme.yaml: terms[0].components[1].measure: is required"),
        ("{id: uplift", "{id: mgmt", "acme.yaml: terms[0].components[3].id: duplicate component id 'mgmt'"),
        (
            "end: 2028-12-31",
            "end: 2025-12-31",
            "acme.yaml: end: ends (2025-12-31) before it starts (2026-01-01)",
        ),
        ("currency: GBP", "currency: GPB", "acme.yaml: currency: unknown ISO 4217 currency code 'GPB'"),
        (
            "currency: GBP",
            "currency: pounds",
            "acme.yaml: currency: expected a three-letter ISO 4217 code, got 'pounds'",
        ),
        ('tax_rate: "20"', 'tax_rate: "120"', "acme.yaml: tax_rate: must be at most 100, got 120"),
        (
            "rounding: half_up",
            "rounding: bankers",
            "acme.yaml: rounding: must be one of half_up, half_even, got 'bankers'",
        ),
        (
            "measure: contacts_voice",
            "measure: csat",
            "acme.yaml: terms[0].components[1].measure: csat is a ratio KPI; this needs a sum KPI",
        ),
        (
            "actual_measure: cost_to_serve",
            "actual_measure: contacts_total",
            "acme.yaml: terms[0].components[2].actual_measure: contacts_total is measured in count; this needs money",
        ),
        (
            'baseline_unit_cost: "4.00", ',
            'baseline_amount: "1000", baseline_unit_cost: "4.00", ',
            "acme.yaml: terms[0].components[2]: give exactly one of baseline_unit_cost (with volume_measure) and baseline_amount",
        ),
        (
            'pool_percent: "3"',
            'pool_percent: "3"\n        pool_amount: "100"',
            "acme.yaml: terms[0].components[5]: give exactly one of pool_percent and pool_amount",
        ),
        (
            'threshold: "80", target: "85", stretch: "90"',
            'threshold: "90", target: "85", stretch: "80"',
            "acme.yaml: terms[0].components[5].kpis[0]: csat is higher-is-better: needs threshold ≤ target ≤ stretch",
        ),
        (
            'target: "5", credit_percent: "3"',
            'target: "5", credit_percent: "3", per_point_percent: "1"',
            "acme.yaml: terms[0].components[6].kpis[1]: give exactly one of credit_percent, per_point_percent and bands",
        ),
        (
            "earn_back_months: 3",
            "earn_back_months: 0",
            "acme.yaml: terms[0].components[6].earn_back_months: must be at least 1, got 0",
        ),
        (
            "effective_from: 2026-01",
            "effective_from: 2026-13",
            "acme.yaml: terms[0].effective_from: expected a month YYYY-MM, got '2026-13'",
        ),
        (
            "country: GB, vat",
            "country: UK1, vat",
            "acme.yaml: buyer.country: expected a two-letter ISO country code, got 'UK1'",
        ),
    ],
)
def test_bad_file_gives_a_clear_message(replace, by, expected):
    assert replace in GOOD
    messages = errors_of(GOOD.replace(replace, by, 1))
    assert any(message.startswith(expected) for message in messages), messages


def test_weights_summing_to_zero_are_refused():
    text = GOOD.replace("weight: 40", "weight: 0").replace("weight: 30", "weight: 0")
    assert "acme.yaml: terms[0].components[5].kpis: weights must add up to a positive total" in errors_of(
        text
    )


def test_duplicate_effective_from_is_refused():
    version = GOOD[GOOD.index("  - effective_from: 2026-01") :]
    messages = errors_of(GOOD + version)
    assert (
        "acme.yaml: terms[1].effective_from: 2026-01 appears twice: one terms version per month" in messages
    )


def test_every_error_in_a_file_is_reported_at_once():
    text = GOOD.replace("currency: GBP", "currency: GPB").replace('tax_rate: "20"', 'tax_rate: "-1"')
    assert len(errors_of(text)) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reference: [unclosed", "line 1, column 21: invalid YAML: expected ',' or ']'"),
        ("a: 1\na: 2", "line 2, column 1: invalid YAML: duplicate key 'a'"),
    ],
)
def test_yaml_syntax_errors_name_the_line(text, expected):
    with pytest.raises(DocumentError) as caught:
        parse_document(text, file_name="x.yaml")
    assert str(caught.value).startswith(expected)


def test_json_contract_files_keep_decimals_exact():
    document = parse_document('{"amount": 15000.10}', file_name="c.json")
    assert document == {"amount": Decimal("15000.10")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "acme.yaml: the file is empty"), ("- a\n- b", "acme.yaml: expected a mapping, got a list")],
)
def test_empty_or_wrong_shaped_document(text, expected):
    assert errors_of(text) == [expected]


def test_components_become_exactly_the_validated_pricing_terms():
    spec = validate(GOOD)
    voice = spec.versions[0].components[1]
    terms = component_to_pricing(
        component_id=voice.id, type_=voice.type, params=voice.params, catalogue=CATALOGUE_INFO
    )
    assert terms == UnitRate(
        "voice",
        "contacts_voice",
        (
            Band(Decimal(10000), Decimal("3.00")),
            Band(Decimal(25000), Decimal("2.50")),
            Band(None, Decimal("2.00")),
        ),
        BandMode.GRADUATED,
        Decimal("20000.00"),
    )
    sla = spec.versions[0].components[6]
    credit = component_to_pricing(
        component_id=sla.id, type_=sla.type, params=sla.params, catalogue=CATALOGUE_INFO
    )
    assert [k.direction for k in credit.kpis] == [Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER]
    assert credit.earn_back_months == 3


def test_the_design_example_round_trips_through_yaml():
    spec = validate(GOOD)
    dumped = yaml.safe_dump({"p": spec.versions[0].components[2].params})
    assert "'4.00'" in dumped
