"""Consistency rules on a month's values, and KPI values as people read them (no database)."""

from decimal import Decimal

import pytest

from kpis.consistency import kpi_checks_evaluate
from kpis.display import kpi_value_shown

UNITS = {
    "contacts_total": "count",
    "contacts_voice": "count",
    "contacts_chat": "count",
    "service_level": "percent",
    "cost_to_serve": "money",
}
SUM = {
    "kpi": "contacts_total",
    "equals_sum_of": ["contacts_voice", "contacts_chat"],
    "tolerance_percent": "1",
}
RANGE = {"kpi": "service_level", "min": "0", "max": "100"}
WHERE = "ACME-TEL-001 2026-03"


def month(total, voice, chat, service_level=None):
    values = {"contacts_total": total, "contacts_voice": voice, "contacts_chat": chat}
    values["service_level"] = service_level
    return {code: None if v is None else Decimal(v) for code, v in values.items()}


def messages(rules, values):
    return [f.message for f in kpi_checks_evaluate(rules=rules, values=values, units=UNITS, where=WHERE)]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # A sum within its tolerance passes, at the tolerance exactly too.
        (month("30862", "24000", "6862"), []),
        (month("31173", "24000", "6862"), []),  # 1.0 % of 31,173 apart: 311 of 31,173 = 0.998 %
        (month("100", "99", "0"), []),  # exactly 1 % apart
        # Outside it, the message says both figures, how far apart and the tolerance.
        (
            month("31673", "24000", "6862"),
            [
                "ACME-TEL-001 2026-03: contacts_total 31,673 is not contacts_voice + contacts_chat 30,862 "
                "(2.6 % apart; tolerance 1 %)"
            ],
        ),
        # Just outside: rounded up, never shown as within the tolerance.
        (
            month("10000", "9899", "0"),
            [
                "ACME-TEL-001 2026-03: contacts_total 10,000 is not contacts_voice + contacts_chat 9,899 "
                "(1.1 % apart; tolerance 1 %)"
            ],
        ),
        # A zero total: all zero passes; zero against a sum is 100 % apart, and the other way round.
        (month("0", "0", "0"), []),
        (
            month("0", "5", "0"),
            [
                "ACME-TEL-001 2026-03: contacts_total 0 is not contacts_voice + contacts_chat 5 "
                "(100.0 % apart; tolerance 1 %)"
            ],
        ),
        (
            month("5", "0", "0"),
            [
                "ACME-TEL-001 2026-03: contacts_total 5 is not contacts_voice + contacts_chat 0 "
                "(100.0 % apart; tolerance 1 %)"
            ],
        ),
        # A KPI of the rule not measured: the rule is not evaluated.
        (month(None, "24000", "6862"), []),
        (month("31673", None, "6862"), []),
        ({"contacts_total": Decimal("31673"), "contacts_voice": Decimal("24000")}, []),  # chat absent
    ],
)
def test_a_sum_rule(values, expected):
    assert messages([SUM], values) == expected


@pytest.mark.parametrize(
    ("service_level", "expected"),
    [
        # Inside the range, both bounds included.
        ("0", []),
        ("100", []),
        ("84.3550519358", []),
        # Outside: the value at the unit's precision and the bound as written.
        ("-0.5", ["ACME-TEL-001 2026-03: service_level -0.5 is below the minimum 0"]),
        ("120.25", ["ACME-TEL-001 2026-03: service_level 120.3 is above the maximum 100"]),
        # Just outside: exact, where rounding would show it on the bound.
        ("100.04", ["ACME-TEL-001 2026-03: service_level 100.04 is above the maximum 100"]),
        ("-0.0001", ["ACME-TEL-001 2026-03: service_level -0.0001 is below the minimum 0"]),
        # Not measured: not evaluated.
        (None, []),
    ],
)
def test_a_range_rule(service_level, expected):
    assert messages([RANGE], month("1", "1", "0", service_level)) == expected


def test_one_bound_is_enough_and_failures_come_in_rule_order():
    rules = [{"kpi": "service_level", "min": "80"}, SUM, {"kpi": "contacts_total", "max": "1000"}]
    failures = kpi_checks_evaluate(
        rules=rules, values=month("31673", "24000", "6862", "79.99"), units=UNITS, where=WHERE
    )
    assert [f.kpi for f in failures] == ["service_level", "contacts_total", "contacts_total"]
    assert failures[0].message == "ACME-TEL-001 2026-03: service_level 79.99 is below the minimum 80"
    assert failures[2].message == "ACME-TEL-001 2026-03: contacts_total 31,673 is above the maximum 1000"


def test_no_rules_no_failures():
    assert kpi_checks_evaluate(rules=[], values=month("1", "5", "5"), units=UNITS, where=WHERE) == []


def test_a_sum_of_more_digits_than_the_default_context_is_exact():
    big = "123456789012345678901234567890"
    values = {
        "contacts_total": Decimal(big + "1"),
        "contacts_voice": Decimal(big + "0"),
        "contacts_chat": Decimal(1),
    }
    assert messages([{**SUM, "tolerance_percent": "0"}], values) == []


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        # Counts: whole, with thousands separators.
        ("31673", "count", "31,673"),
        ("1234567.5", "count", "1,234,568"),
        # Money: two places, half up.
        ("118457.025", "money", "118,457.03"),
        # Percentages one place, scores two, seconds one.
        ("84.3550519358", "percent", "84.4"),
        ("27.505", "score", "27.51"),
        ("-12.345", "score", "-12.35"),
        ("241.26", "seconds", "241.3"),
        ("5", "percent", "5.0"),
    ],
)
def test_a_value_at_its_units_precision(value, unit, shown):
    assert kpi_value_shown(Decimal(value), unit) == shown


def test_not_measured_is_said():
    assert kpi_value_shown(None, "count") == "not measured"
