"""Contract-file keys of the multi-month terms: settlement, annual_cap, rolling_cap_percent
with excess: validated with the file, the key path and the problem named, and converted
into the pricing terms."""

from decimal import Decimal

import pytest

from contracts.components import component_to_pricing
from pricing.terms import Excess, Settlement, SettlementPeriod

from .test_schema import CATALOGUE_INFO, GOOD, errors_of, validate

UPLIFT = 'actual_measure: retention_revenue, supplier_percent: "10"}'
SAVES = "clawback_measure: saves_reversed}"
SLA = "earn_back_months: 3\n"


def with_keys(anchor: str, keys: str) -> str:
    assert anchor in GOOD
    if anchor == SLA:
        return GOOD.replace(anchor, anchor + "".join(f"        {line}\n" for line in keys.split("\n")), 1)
    return GOOD.replace(anchor, anchor[:-1] + ", " + keys + "}", 1)


@pytest.mark.parametrize(
    ("anchor", "keys", "expected"),
    [
        # settlement: a mapping of a known period and a percentage, nothing else
        (
            UPLIFT,
            "settlement: quarterly",
            "terms[0].components[3].settlement: expected a mapping, got 'quarterly'",
        ),
        (
            UPLIFT,
            'settlement: {period: month, provisional_percent: "80"}',
            "terms[0].components[3].settlement.period: must be one of quarter, contract_year, got 'month'",
        ),
        (
            UPLIFT,
            'settlement: {period: quarter, provisional_percent: "180"}',
            "terms[0].components[3].settlement.provisional_percent:",
        ),
        (
            UPLIFT,
            "settlement: {period: quarter}",
            "terms[0].components[3].settlement.provisional_percent: is required",
        ),
        (
            UPLIFT,
            'settlement: {period: quarter, provisional_percent: "80", when: end}',
            "terms[0].components[3].settlement.when: unknown key",
        ),
        # annual_cap: an amount, on the components that have a cap
        (UPLIFT, 'annual_cap: "-5"', "terms[0].components[3].annual_cap:"),
        (SAVES, 'annual_cap: "lots"', "terms[0].components[4].annual_cap: not a number: 'lots'"),
        # rolling_cap_percent and excess: each only with the other, excess one of two rules
        (
            SLA,
            'rolling_cap_percent: "10"',
            "terms[0].components[6].excess: is required with rolling_cap_percent",
        ),
        (SLA, "excess: forfeit", "terms[0].components[6].excess: needs rolling_cap_percent"),
        (
            SLA,
            'rolling_cap_percent: "10"\nexcess: keep',
            "terms[0].components[6].excess: must be one of carry_forward, forfeit, got 'keep'",
        ),
        (SLA, 'rolling_cap_percent: "101"\nexcess: forfeit', "terms[0].components[6].rolling_cap_percent:"),
    ],
)
def test_bad_multi_month_keys_are_refused_naming_file_and_key_path(anchor, keys, expected):
    messages = errors_of(with_keys(anchor, keys))
    assert any(message.startswith(f"acme.yaml: {expected}") for message in messages), messages


def test_multi_month_keys_become_the_pricing_terms():
    text = with_keys(
        UPLIFT, 'settlement: {period: quarter, provisional_percent: "80"}, annual_cap: "50000.00"'
    )
    text = text.replace(SLA, SLA + '        rolling_cap_percent: "10"\n        excess: carry_forward\n', 1)
    components = {c.id: c for c in validate(text).versions[0].components}

    def pricing(component_id):
        c = components[component_id]
        return component_to_pricing(
            component_id=c.id, type_=c.type, params=c.params, catalogue=CATALOGUE_INFO
        )

    uplift, sla = pricing("uplift"), pricing("sla")
    assert uplift.settlement == Settlement(SettlementPeriod.QUARTER, Decimal("80"))
    assert uplift.annual_cap == Decimal("50000.00")
    assert (sla.rolling_cap_percent, sla.excess) == (Decimal("10"), Excess.CARRY_FORWARD)
    # Without the keys, the terms are as they were: no settlement, no caps, excess unused.
    assert (
        pricing("saves").annual_cap,
        validate(GOOD).versions[0].components[3].params.get("settlement"),
    ) == (
        None,
        None,
    )
