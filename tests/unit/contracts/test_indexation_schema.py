"""The contract file's ``indexation`` block: valid blocks become the pricing core's
``Indexation``, and every bad key is refused naming the file, the key path and the problem."""

from decimal import Decimal

import pytest
import yaml

from contracts.indexation import canonical_indexation, indexation_to_pricing
from contracts.schema import ContractFileError, validate_contract
from pricing.indexation import Compounding, Indexation
from pricing.period import Period

from .test_schema import CATALOGUE_INFO, GOOD

BLOCK = """    indexation:
      index: CPI
      base_month: 2025-01
      anniversary_month: 3
      applies_to: {components: [mgmt], kinds: [unit_rate]}
      sensitivity_percent: "65"
      cap_percent: "4"
      floor_percent: "0"
      compounding: compound
      reference_lag_months: 2
"""
INDEXED = GOOD.replace("  - effective_from: 2026-01\n", "  - effective_from: 2026-01\n" + BLOCK, 1)


def validated(text: str):
    return validate_contract(yaml.safe_load(text), file_name="acme.yaml", catalogue=CATALOGUE_INFO)


def errors_of(text: str) -> list[str]:
    with pytest.raises(ContractFileError) as caught:
        validated(text)
    return caught.value.lines()


def test_a_valid_block_becomes_the_pricing_indexation():
    block = validated(INDEXED).versions[0].indexation
    assert block["applies_to"] == {"components": ["mgmt"], "kinds": ["unit_rate"]}
    assert indexation_to_pricing(block) == Indexation(
        index="CPI",
        base_month=Period(2025, 1),
        anniversary_month=3,
        applies_to_ids=frozenset({"mgmt"}),
        applies_to_kinds=frozenset({"unit_rate"}),
        sensitivity_percent=Decimal("65"),
        cap_percent=Decimal("4"),
        floor_percent=Decimal("0"),
        compounding=Compounding.COMPOUND,
        reference_lag_months=2,
    )


def test_defaults_sensitivity_100_no_limits_compound_lag_2():
    minimal = "    indexation: {index: CPI, base_month: 2025-01, anniversary_month: 1, applies_to: {kinds: [fixed_fee]}}\n"
    text = GOOD.replace("  - effective_from: 2026-01\n", "  - effective_from: 2026-01\n" + minimal, 1)
    indexation = indexation_to_pricing(validated(text).versions[0].indexation)
    assert (indexation.sensitivity_percent, indexation.cap_percent, indexation.floor_percent) == (
        100,
        None,
        None,
    )
    assert (indexation.compounding, indexation.reference_lag_months) == (Compounding.COMPOUND, 2)


def test_a_file_without_indexation_has_none():
    assert validated(GOOD).versions[0].indexation is None


def test_the_canonical_block_keeps_the_file_order_whatever_the_stored_order():
    block = validated(INDEXED).versions[0].indexation
    shuffled = dict(reversed(list(block.items())))
    assert list(canonical_indexation(shuffled)) == list(block)


P = "acme.yaml: terms[0].indexation"


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        # The series code and the months.
        ("index: CPI", "index: cpi", f"{P}.index: expected an index series code"),
        (
            "base_month: 2025-01",
            "base_month: 2025-13",
            f"{P}.base_month: expected a month YYYY-MM, got '2025-13'",
        ),
        (
            "anniversary_month: 3",
            "anniversary_month: 13",
            f"{P}.anniversary_month: must be at most 12, got 13",
        ),
        ("anniversary_month: 3", 'anniversary_month: "3"', f"{P}.anniversary_month: expected a whole number"),
        (
            "reference_lag_months: 2",
            "reference_lag_months: 13",
            f"{P}.reference_lag_months: must be at most 12",
        ),
        (
            "reference_lag_months: 2",
            "reference_lag_months: -1",
            f"{P}.reference_lag_months: must be at least 0",
        ),
        # Percentages: bounded, exact, a floor not above the cap.
        (
            'sensitivity_percent: "65"',
            'sensitivity_percent: "165"',
            f"{P}.sensitivity_percent: must be at most 100",
        ),
        ('cap_percent: "4"', "cap_percent: 4.5", f"{P}.cap_percent: 4.5 is a float"),
        ('cap_percent: "4"', 'cap_percent: "4.125"', f"{P}.cap_percent: has 3 decimal places; at most 2"),
        ('floor_percent: "0"', 'floor_percent: "-101"', f"{P}.floor_percent: must be at least -100"),
        (
            'floor_percent: "0"',
            'floor_percent: "5"',
            f"{P}.floor_percent: the floor (5 %) is above the cap (4 %)",
        ),
        ("compounding: compound", "compounding: yearly", f"{P}.compounding: must be one of compound, simple"),
        # applies_to: components of this version that have prices, kinds that have prices.
        (
            "components: [mgmt]",
            "components: [nope]",
            f"{P}.applies_to.components[0]: no component 'nope' in this terms version",
        ),
        (
            "components: [mgmt]",
            "components: [savings]",
            f"{P}.applies_to.components[0]: savings is a gain_share, which has no prices",
        ),
        (
            "kinds: [unit_rate]",
            "kinds: [service_credit]",
            f"{P}.applies_to.kinds[0]: expected a component type with prices",
        ),
        ("{components: [mgmt], kinds: [unit_rate]}", "{}", f"{P}.applies_to: names no component"),
        ("{components: [mgmt], kinds: [unit_rate]}", "{ids: [mgmt]}", f"{P}.applies_to.ids: unknown key"),
        ("kinds: [unit_rate]", "kinds: unit_rate", f"{P}.applies_to.kinds: expected a list"),
        # Unknown and missing keys.
        ("compounding: compound", "compounding: compound\n      indexed: true", f"{P}.indexed: unknown key"),
        ("      anniversary_month: 3\n", "", f"{P}.anniversary_month: is required"),
    ],
)
def test_bad_indexation_gives_a_clear_message(replace, by, expected):
    assert replace in INDEXED
    messages = errors_of(INDEXED.replace(replace, by, 1))
    assert any(message.startswith(expected) for message in messages), messages


def test_an_indexation_that_is_not_a_mapping_is_refused():
    text = GOOD.replace(
        "  - effective_from: 2026-01\n", "  - effective_from: 2026-01\n    indexation: CPI\n", 1
    )
    assert any(message.startswith(f"{P}: expected a mapping") for message in errors_of(text))


def test_the_rate_card_says_the_block_in_words():
    from contracts.indexation import indexation_rate_card

    assert indexation_rate_card(validated(INDEXED).versions[0].indexation) == [
        "Prices indexed on CPI each March: the index 2 month(s) before, against 2025-01 at first",
        "65 % of the index change, cap 4 % per uplift, floor 0 % per uplift, compound",
        "Applies to: mgmt, every unit_rate",
    ]
