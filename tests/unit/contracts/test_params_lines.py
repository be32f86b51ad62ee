"""The admin's typed component fields: each list parameter read back from the lines it shows,
the stepped and packaged terms included."""

import pytest

from contracts.forms import ParamsError, params_from_lines, params_lines

# Each list parameter, canonical as stored, and the lines its field shows.
ROUND_TRIPS = [
    # price bands, one with a flat fee (the third word)
    (
        "bands",
        [{"up_to": "50", "price": "120.00", "flat_fee": "250.00"}, {"up_to": None, "price": "100.00"}],
        "50 120.00 250.00\nnull 100.00",
    ),
    # pain bands, like share bands
    (
        "pain_bands",
        [
            {"up_to_percent_of_baseline": "5", "supplier_percent": "0"},
            {"up_to_percent_of_baseline": None, "supplier_percent": "25"},
        ],
        "5 0\nnull 25",
    ),
    # a stepped credit and a rounded KPI: the nested values as JSON words
    (
        "kpis",
        [
            {
                "kpi": "abandon_rate",
                "bands": [{"above": "3", "credit_percent": "1"}, {"above": "5", "credit_percent": "3"}],
            },
            {
                "kpi": "service_level",
                "target": "80",
                "credit_percent": "5",
                "round": {"decimals": 0, "mode": "half_up"},
            },
        ],
        'abandon_rate bands=[{"above":"3","credit_percent":"1"},{"above":"5","credit_percent":"3"}]\n'
        'service_level target=80 credit_percent=5 round={"decimals":0,"mode":"half_up"}',
    ),
]


@pytest.mark.parametrize(("key", "value", "lines"), ROUND_TRIPS)
def test_a_list_parameter_reads_back_from_its_lines(key, value, lines):
    assert params_lines(key, value) == lines
    assert params_from_lines(key, lines) == value


# What cannot be read names the key and the line.
@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("share_bands", "10 50 5", "params.share_bands: line 1: give the limit and the value, e.g."),
        (
            "bands",
            "10 3.00 5 6",
            "params.bands: line 1: give the limit and the value (and optionally the flat_fee)",
        ),
        ("kpis", "csat round={decimals:0}", "params.kpis: line 1: round= is not valid JSON"),
    ],
)
def test_a_line_that_cannot_be_read_is_named(key, text, message):
    with pytest.raises(ParamsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        params_from_lines(key, text)
