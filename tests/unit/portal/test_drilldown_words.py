"""The drill-down's words, without a database: components by their title or id, consistency
rules in the catalogue's names, and a rule's figures at their units' precision."""

from decimal import Decimal

import pytest

from billing.models import StatementLine
from portal.drilldown import component_name, line_kpi_codes, rule_figures, rule_text

NAMES = {
    "contacts_total": "All contacts handled",
    "contacts_voice": "Voice contacts",
    "contacts_chat": "Chat contacts",
}


@pytest.mark.parametrize(
    ("component", "name"),
    [
        # A title the contract gives wins, on the component or among its parameters.
        ({"id": "mgmt", "type": "fixed_fee", "params": {}, "title": "Management fee"}, "Management fee"),
        (
            {"id": "mgmt", "type": "fixed_fee", "params": {"title": "Account management"}},
            "Account management",
        ),
        # Without one (or an empty one) the id made readable is the name, as on the lines.
        ({"id": "mgmt", "type": "fixed_fee", "params": {}}, "Mgmt"),
        ({"id": "contacts_voice", "type": "fixed_fee", "params": {}, "title": ""}, "Contacts voice"),
    ],
)
def test_a_component_is_named_by_its_title_else_its_readable_id(component, name):
    assert component_name(component) == name


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        # Sum rules: the parts joined, the tolerance said, none said as "exactly".
        (
            {
                "kpi": "contacts_total",
                "equals_sum_of": ["contacts_voice", "contacts_chat"],
                "tolerance_percent": "0.05",
            },
            "All contacts handled equals Voice contacts + Chat contacts, within 0.05 %",
        ),
        (
            {"kpi": "contacts_total", "equals_sum_of": ["contacts_voice"], "tolerance_percent": "0"},
            "All contacts handled equals Voice contacts, exactly",
        ),
        # Range rules: either bound or both; a code outside the names is shown as the code.
        ({"kpi": "service_level", "min": "0", "max": "100"}, "service_level is at least 0 and at most 100"),
        ({"kpi": "contacts_voice", "min": "10"}, "Voice contacts is at least 10"),
        ({"kpi": "contacts_voice", "max": "99.50"}, "Voice contacts is at most 99.5"),
    ],
)
def test_a_rule_reads_in_the_catalogues_names(rule, text):
    assert rule_text(rule, NAMES) == text


def test_a_sum_rules_figures_add_the_parts_at_the_units_precision():
    rule = {
        "kpi": "contacts_total",
        "equals_sum_of": ["contacts_voice", "contacts_chat"],
        "tolerance_percent": "1",
    }
    values = {
        "contacts_total": Decimal("31673"),
        "contacts_voice": Decimal("25646"),
        "contacts_chat": Decimal("6020"),
    }
    units = dict.fromkeys(values, "count")
    assert rule_figures(rule, values, units) == "31,673 against 25,646 + 6,020 = 31,666"
    assert (
        rule_figures(
            {"kpi": "service_level", "max": "100"},
            {"service_level": Decimal("81.604")},
            {"service_level": "percent"},
        )
        == "81.6"
    )


OUTCOME = {
    "id": "saves",
    "type": "outcome_fee",
    "params": {"measure": "customers_retained", "fee": "18.50", "clawback_measure": "saves_reversed"},
}


@pytest.mark.parametrize(
    ("kind", "kpi", "detail", "component", "codes"),
    [
        # A line about one KPI (a service credit, an earn-back) used that KPI only.
        ("service_credit", "service_level", {}, None, ("service_level",)),
        # An outcome fee's fee counts its measure, its clawback the reversals only.
        ("outcome_fee", "", {}, OUTCOME, ("customers_retained",)),
        ("outcome_clawback", "", {}, OUTCOME, ("saves_reversed",)),
        # Without a component to read, the KPIs the detail names.
        (
            "experience_bonus",
            "",
            {"pool": "100", "payout.csat": "1.5", "payout.nps": "1"},
            None,
            ("csat", "nps"),
        ),
        ("fixed_fee", "", {}, None, ()),
    ],
)
def test_a_lines_kpis(kind, kpi, detail, component, codes):
    line = StatementLine(position=0, component_id="x", kind=kind, kpi=kpi, detail=detail)
    assert line_kpi_codes(line, component, catalogue={}) == codes
