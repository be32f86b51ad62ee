"""The drill-down's words, without a database: components by their title or id, consistency
rules in the catalogue's names, and a rule's figures at their units' precision."""

from decimal import Decimal

import pytest

from portal.drilldown import component_name, rule_figures, rule_text

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
        # Without one (or an empty one) the id is the name.
        ({"id": "mgmt", "type": "fixed_fee", "params": {}}, "mgmt"),
        ({"id": "mgmt", "type": "fixed_fee", "params": {}, "title": ""}, "mgmt"),
    ],
)
def test_a_component_is_named_by_its_title_else_its_id(component, name):
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
