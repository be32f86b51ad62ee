"""The contract file's ``kpi_checks``: canonical rules, and every bad rule refused with its key path."""

import json

import pytest

from contracts.consistency import MAX_KPI_CHECKS, MAX_SUMMED_KPIS
from contracts.schema import ContractFileError
from tests.unit.contracts.test_schema import GOOD, validate

SUM = '{kpi: contacts_total, equals_sum_of: [contacts_voice, contacts_chat], tolerance_percent: "1"}'


def with_checks(block: str) -> str:
    return GOOD.replace("terms:\n", f"kpi_checks:\n{block}\nterms:\n", 1)


def errors_of(text: str) -> list[str]:
    with pytest.raises(ContractFileError) as caught:
        validate(text)
    return caught.value.lines()


def test_rules_are_kept_in_canonical_form():
    spec = validate(
        with_checks(f'  - {SUM}\n  - {{kpi: service_level, min: 0, max: "99.5"}}\n  - {{kpi: nps, max: 100}}')
    )
    assert spec.kpi_checks == [
        {
            "kpi": "contacts_total",
            "equals_sum_of": ["contacts_voice", "contacts_chat"],
            "tolerance_percent": "1",
        },
        {"kpi": "service_level", "min": "0", "max": "99.5"},
        {"kpi": "nps", "max": "100"},
    ]


def test_a_sum_rule_without_tolerance_must_add_up_exactly():
    spec = validate(with_checks("  - {kpi: contacts_total, equals_sum_of: [contacts_voice]}"))
    assert spec.kpi_checks[0]["tolerance_percent"] == "0"


def test_no_key_or_an_empty_list_means_no_rules():
    assert validate(GOOD).kpi_checks == []
    assert validate(with_checks("  []").replace("kpi_checks:\n  []", "kpi_checks: []")).kpi_checks == []


# Each bad rule: the whole file is refused, and the message names the rule's key path.
@pytest.mark.parametrize(
    ("block", "expected"),
    [
        # Unknown KPIs, wherever they are named.
        (
            "  - {kpi: contacts_total, equals_sum_of: [contacts_voice, foo]}",
            "kpi_checks[0].equals_sum_of[1]: unknown KPI 'foo'",
        ),
        ("  - {kpi: first_call_res, min: 0}", "kpi_checks[0].kpi: unknown KPI 'first_call_res'"),
        ("  - {kpi: 7, min: 0}", "kpi_checks[0].kpi: unknown KPI 7"),
        # Wrong types.
        ("  - contacts_total", "kpi_checks[0]: expected a mapping, got 'contacts_total'"),
        (
            "  - {kpi: contacts_total, equals_sum_of: contacts_voice}",
            "kpi_checks[0].equals_sum_of: expected a list",
        ),
        (
            "  - {kpi: contacts_total, equals_sum_of: []}",
            "kpi_checks[0].equals_sum_of: needs at least 1 item",
        ),
        ("  - {kpi: csat, min: [1]}", "kpi_checks[0].min: expected a number, got a list"),
        ("  - {kpi: csat, min: 1.00001}", "kpi_checks[0].min: has 5 decimal places; at most 4"),
        ("  - {kpi: csat, min: true}", "kpi_checks[0].min: expected a number, got true/false"),
        ("  - {kpi: csat, min: null}", "kpi_checks[0].min: expected a number, got nothing"),
        ('  - {kpi: csat, max: "1e3"}', "kpi_checks[0].max: exponent notation is not accepted"),
        ('  - {kpi: csat, max: ".nan"}', "kpi_checks[0].max: not a finite number"),
        ('  - {kpi: csat, max: "12345678901"}', "kpi_checks[0].max: must be at most 1000000000"),
        (
            '  - {kpi: contacts_total, equals_sum_of: [contacts_voice], tolerance_percent: "101"}',
            "kpi_checks[0].tolerance_percent: must be at most 100",
        ),
        (
            '  - {kpi: contacts_total, equals_sum_of: [contacts_voice], tolerance_percent: "-1"}',
            "kpi_checks[0].tolerance_percent: must be at least 0",
        ),
        ("kpi_checks_is_a_mapping", "kpi_checks: expected a list, got a mapping"),
        # Rules that cannot mean anything.
        ("  - {kpi: csat}", "kpi_checks[0]: give equals_sum_of, or min and/or max"),
        ('  - {kpi: csat, min: "90", max: "80"}', "kpi_checks[0].max: must be at least min (90), got 80"),
        (
            "  - {kpi: contacts_total, equals_sum_of: [contacts_total]}",
            "kpi_checks[0].equals_sum_of[0]: contacts_total cannot be part of its own sum",
        ),
        (
            "  - {kpi: contacts_total, equals_sum_of: [contacts_voice, contacts_voice]}",
            "kpi_checks[0].equals_sum_of[1]: contacts_voice is listed twice",
        ),
        (
            "  - {kpi: contacts_total, equals_sum_of: [contacts_voice, cost_to_serve]}",
            "kpi_checks[0].equals_sum_of[1]: cost_to_serve is measured in money; contacts_total in count",
        ),
        ("  - {kpi: csat, min: 0, colour: red}", "kpi_checks[0].colour: unknown key"),
        (
            "  - {kpi: contacts_total, equals_sum_of: [contacts_voice], min: 0}",
            "kpi_checks[0].min: unknown key (allowed: equals_sum_of, kpi, tolerance_percent)",
        ),
        # Hostile text: a NUL byte in a code is an unknown KPI, shown escaped.
        ('  - {kpi: "csat\\0", min: 0}', "kpi_checks[0].kpi: unknown KPI 'csat\\x00'"),
    ],
)
def test_a_bad_rule_is_refused_with_its_key_path(block, expected):
    text = (
        GOOD.replace("terms:\n", "kpi_checks: {csat: 1}\nterms:\n", 1)
        if block == "kpi_checks_is_a_mapping"
        else with_checks(block)
    )
    lines = errors_of(text)
    assert any(line.startswith(f"acme.yaml: {expected}") for line in lines), lines


def test_too_many_rules_are_refused_unread():
    rules = "\n".join(["  - {kpi: csat, min: 0}"] * (MAX_KPI_CHECKS + 1))
    assert errors_of(with_checks(rules)) == [
        f"acme.yaml: kpi_checks: has {MAX_KPI_CHECKS + 1} items; at most {MAX_KPI_CHECKS} are allowed"
    ]
    assert (
        len(validate(with_checks("\n".join(["  - {kpi: csat, min: 0}"] * MAX_KPI_CHECKS))).kpi_checks) == 50
    )


def test_too_long_a_sum_is_refused():
    parts = json.dumps(["contacts_voice"] * (MAX_SUMMED_KPIS + 1))
    lines = errors_of(with_checks(f"  - {{kpi: contacts_total, equals_sum_of: {parts}}}"))
    assert lines == [
        f"acme.yaml: kpi_checks[0].equals_sum_of: has {MAX_SUMMED_KPIS + 1} items; "
        f"at most {MAX_SUMMED_KPIS} are allowed"
    ]


def test_every_bad_rule_is_reported_in_one_run():
    lines = errors_of(with_checks("  - {kpi: foo, min: 0}\n  - {kpi: csat, max: x}"))
    assert lines == [
        "acme.yaml: kpi_checks[0].kpi: unknown KPI 'foo'",
        "acme.yaml: kpi_checks[1].max: not a number: 'x'",
    ]
