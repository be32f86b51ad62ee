"""The contract-file keys of stepped credits, shortfall counting, pain bands, packages, flat
fees and KPI rounding: their canonical form, their conversion, and a clear message per mistake."""

from decimal import Decimal

import pytest

from contracts.components import component_to_pricing
from pricing.terms import CreditBand, Direction, KpiRounding, KpiRoundingMode, ShareBand, Shortfall

from .test_schema import CATALOGUE_INFO, GOOD, errors_of, validate

D = Decimal
SLA = '- {kpi: service_level, target: "80", credit_percent: "5"}'
ABANDON = '- {kpi: abandon_rate, target: "5", credit_percent: "3"}'
CSAT = '- {kpi: csat, weight: 40, threshold: "80", target: "85", stretch: "90"}'
VOICE_BANDS = (
    'bands: [{up_to: 10000, price: "3.00"}, {up_to: 25000, price: "2.50"}, {up_to: null, price: "2.00"}]'
)
PAIN = 'pain_percent: "25", pain_cap: "20000.00"'
WHERE = "acme.yaml: terms[0].components"


def component(text: str, index: int):
    spec = validate(text)
    found = spec.versions[0].components[index]
    return found, component_to_pricing(
        component_id=found.id, type_=found.type, params=found.params, catalogue=CATALOGUE_INFO
    )


def test_stepped_bands_are_canonical_and_convert_with_the_mildest_limit_as_target():
    text = GOOD.replace(
        SLA,
        '- {kpi: service_level, bands: [{below: "80", credit_percent: "5"}, {below: 75, credit_percent: "10"}],'
        " round: {decimals: 0}}",
    )
    found, terms = component(text, 6)
    assert found.params["kpis"][0] == {
        "kpi": "service_level",
        "bands": [{"below": "80", "credit_percent": "5"}, {"below": "75", "credit_percent": "10"}],
        "round": {"decimals": 0, "mode": "half_up"},
    }
    spec = terms.kpis[0]
    assert spec.target == D(80)
    assert spec.bands == (CreditBand(D(80), D(5)), CreditBand(D(75), D(10)))
    assert spec.rounding == KpiRounding(0, KpiRoundingMode.HALF_UP)


def test_a_lower_is_better_kpi_steps_above():
    text = GOOD.replace(
        ABANDON,
        '- {kpi: abandon_rate, bands: [{above: "5", credit_percent: "3"}, {above: "8", credit_percent: "6"}]}',
    )
    _, terms = component(text, 6)
    assert terms.kpis[1].direction == Direction.LOWER_IS_BETTER
    assert terms.kpis[1].bands == (CreditBand(D(5), D(3)), CreditBand(D(8), D(6)))


def test_shortfall_is_kept_and_converted():
    text = GOOD.replace(
        SLA, '- {kpi: service_level, target: "80", per_point_percent: "1", shortfall: per_tenth_or_part}'
    )
    found, terms = component(text, 6)
    assert found.params["kpis"][0]["shortfall"] == "per_tenth_or_part"
    assert terms.kpis[0].shortfall == Shortfall.PER_TENTH_OR_PART


def test_pain_bands_package_size_flat_fees_and_scorecard_rounding_convert():
    text = (
        GOOD.replace(
            PAIN,
            'pain_bands: [{up_to_percent_of_baseline: "10", supplier_percent: "50"}, '
            '{up_to_percent_of_baseline: null, supplier_percent: "25"}], pain_cap: "20000.00"',
        )
        .replace(
            VOICE_BANDS,
            'bands: [{up_to: 100, price: "250.00", flat_fee: "500.00"}, {up_to: null, price: "200.00"}]\n'
            "        package_size: 100",
        )
        .replace(
            CSAT,
            '- {kpi: csat, weight: 40, threshold: "80", target: "85", stretch: "90", round: {decimals: 0, mode: down}}',
        )
    )
    voice, rate = component(text, 1)
    assert voice.params["bands"][0] == {"up_to": "100", "price": "250.00", "flat_fee": "500.00"}
    assert voice.params["bands"][1] == {"up_to": None, "price": "200.00"}
    assert (
        rate.package_size == D(100)
        and rate.bands[0].flat_fee == D("500.00")
        and rate.bands[1].flat_fee is None
    )
    _, share = component(text, 2)
    assert share.pain_bands == (ShareBand(D(10), D(50)), ShareBand(None, D(25)))
    assert share.pain_percent is None and share.pain_cap == D("20000.00")
    _, bonus = component(text, 5)
    assert bonus.kpis[0].rounding == KpiRounding(0, KpiRoundingMode.DOWN)


# Each mistake gives one message naming the file, the key path and the problem.
@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        # stepped bands
        (
            SLA,
            '- {kpi: service_level, target: "80", bands: [{below: "80", credit_percent: "5"}]}',
            f"{WHERE}[6].kpis[0].target: not with bands: the first band's limit is where credits start",
        ),
        (
            SLA,
            '- {kpi: service_level, bands: [{above: "80", credit_percent: "5"}]}',
            f"{WHERE}[6].kpis[0].bands[0].above: service_level is higher-is-better: its bands are 'below'",
        ),
        (
            ABANDON,
            '- {kpi: abandon_rate, bands: [{below: "5", credit_percent: "3"}]}',
            f"{WHERE}[6].kpis[1].bands[0].below: abandon_rate is lower-is-better: its bands are 'above'",
        ),
        (
            SLA,
            '- {kpi: service_level, bands: [{below: "80", credit_percent: "5"}, {below: "85", credit_percent: "10"}]}',
            f"{WHERE}[6].kpis[0].bands[1].below: bands must descend from the mildest to the worst: 85 after 80",
        ),
        (
            SLA,
            '- {kpi: service_level, bands: [{below: "80", credit_percent: "10"}, {below: "75", credit_percent: "5"}]}',
            f"{WHERE}[6].kpis[0].bands[1].credit_percent: a worse band cannot credit less: 5 after 10",
        ),
        (
            SLA,
            '- {kpi: service_level, bands: [{below: "80", credit_percent: "101"}]}',
            f"{WHERE}[6].kpis[0].bands[0].credit_percent: must be at most 100, got 101",
        ),
        (
            SLA,
            '- {kpi: service_level, bands: [{below: "80", credit_percent: "5", per: 1}]}',
            f"{WHERE}[6].kpis[0].bands[0].per: unknown key (allowed: above, below, credit_percent)",
        ),
        (SLA, "- {kpi: service_level, bands: []}", f"{WHERE}[6].kpis[0].bands: "),
        (SLA, '- {kpi: service_level, credit_percent: "5"}', f"{WHERE}[6].kpis[0].target: is required"),
        # shortfall
        (
            SLA,
            '- {kpi: service_level, target: "80", credit_percent: "5", shortfall: exact}',
            f"{WHERE}[6].kpis[0].shortfall: only with per_point_percent",
        ),
        (
            SLA,
            '- {kpi: service_level, target: "80", per_point_percent: "1", shortfall: rounded}',
            f"{WHERE}[6].kpis[0].shortfall: must be one of whole_points, exact, per_tenth_or_part, got 'rounded'",
        ),
        # round
        (
            SLA,
            '- {kpi: service_level, target: "80", credit_percent: "5", round: {decimals: 5}}',
            f"{WHERE}[6].kpis[0].round.decimals: must be at most 4, got 5",
        ),
        (
            CSAT,
            '- {kpi: csat, weight: 40, threshold: "80", target: "85", stretch: "90", round: {decimals: 0, mode: nearest}}',
            f"{WHERE}[5].kpis[0].round.mode: must be one of half_up, half_even, down, up, got 'nearest'",
        ),
        (
            CSAT,
            '- {kpi: csat, weight: 40, threshold: "80", target: "85", stretch: "90", round: 0}',
            f"{WHERE}[5].kpis[0].round: expected a mapping",
        ),
        (
            CSAT,
            '- {kpi: csat, weight: 40, threshold: "80", target: "85", stretch: "90", round: {mode: up}}',
            f"{WHERE}[5].kpis[0].round.decimals: is required",
        ),
        # pain bands
        (
            PAIN,
            'pain_percent: "25", pain_bands: [{up_to_percent_of_baseline: null, supplier_percent: "25"}]',
            f"{WHERE}[2]: give at most one of pain_percent and pain_bands",
        ),
        (PAIN, 'pain_cap: "20000.00"', f"{WHERE}[2].pain_cap: needs pain_percent or pain_bands"),
        (
            PAIN,
            'pain_bands: [{up_to_percent_of_baseline: "20", supplier_percent: "50"}, '
            '{up_to_percent_of_baseline: "10", supplier_percent: "25"}, {up_to_percent_of_baseline: null, supplier_percent: "0"}]',
            f"{WHERE}[2].pain_bands[1].up_to_percent_of_baseline: bands must ascend without overlap: 10 is not above 20",
        ),
        (
            PAIN,
            'pain_bands: [{up_to_percent_of_baseline: "10", supplier_percent: "50"}]',
            f"{WHERE}[2].pain_bands[0].up_to_percent_of_baseline: the last band must be open-ended (null)",
        ),
        # packages and flat fees
        (
            "minimum_charge",
            "package_size: 0\n        minimum_charge",
            f"{WHERE}[1].package_size: must be above 0, got 0",
        ),
        (
            'up_to: null, price: "2.00"}',
            'up_to: null, price: "2.00", flat_fee: "-5"}',
            f"{WHERE}[1].bands[2].flat_fee: must be at least 0, got -5",
        ),
        (
            'up_to: null, price: "2.00"}',
            'up_to: null, price: "2.00", flat: "5"}',
            f"{WHERE}[1].bands[2].flat: unknown key (allowed: flat_fee, price, up_to)",
        ),
    ],
)
def test_bad_new_keys_give_a_clear_message(replace, by, expected):
    assert replace in GOOD
    messages = errors_of(GOOD.replace(replace, by, 1))
    assert any(message.startswith(expected) for message in messages), messages


def test_a_share_band_list_without_flat_fee_keys_refuses_them():
    # share_bands keep their two keys: a flat fee is for prices, not shares.
    text = GOOD.replace(
        'supplier_percent: "50", cap',
        'share_bands: [{up_to_percent_of_baseline: null, supplier_percent: "50", flat_fee: "1"}], cap',
    )
    assert any("share_bands[0].flat_fee: unknown key" in m for m in errors_of(text))
