"""What-ifs on KPI values: parsing (bounded, named errors) and applying (bounds, rounding)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.whatif import (
    MAX_WHAT_IFS,
    KpiBounds,
    Operation,
    WhatIf,
    WhatIfError,
    apply_what_ifs,
    parse_what_if,
    parse_what_ifs,
)

D = Decimal
KNOWN = {"csat", "contacts_voice", "service_level", "cost_to_serve", "nps"}
BOUNDS = {
    "csat": KpiBounds(D(0), D(100)),
    "service_level": KpiBounds(D(0), D(100)),
    "contacts_voice": KpiBounds(D(0), None, whole=True),
    "cost_to_serve": KpiBounds(D(0)),
    "nps": KpiBounds(D(-100), D(100)),
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # + and - add and subtract
        ("csat=+2", WhatIf("csat", Operation.ADD, D(2))),
        ("csat=-1.5", WhatIf("csat", Operation.ADD, D("-1.5"))),
        # * multiplies, by a factor up to 100
        ("contacts_voice=*0.9", WhatIf("contacts_voice", Operation.MULTIPLY, D("0.9"))),
        ("contacts_voice=*100", WhatIf("contacts_voice", Operation.MULTIPLY, D(100))),
        # a bare number sets; surrounding spaces are ignored
        ("service_level=85", WhatIf("service_level", Operation.SET, D(85))),
        (" service_level=85.25 ", WhatIf("service_level", Operation.SET, D("85.25"))),
    ],
)
def test_what_ifs_parse(text, expected):
    assert parse_what_if(text, known=KNOWN) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        # not CODE=EXPR
        ("csat", "expected CODE=+N"),
        ("csat=+", "expected CODE=+N"),
        ("csat=/2", "expected CODE=+N"),
        ("csat=1e3", "expected CODE=+N"),
        ("csat=+2=3", "expected CODE=+N"),
        ("CSAT=+2", "expected CODE=+N"),
        # bounded numbers: digits, places, the factor, the text's length
        ("csat=1234567890123", "expected CODE=+N"),
        ("csat=1.1234567", "expected CODE=+N"),
        ("csat=*101", "a factor is at most 100"),
        ("csat=" + "1" * 100, "at most 80 characters"),
        # a KPI the catalogue does not have
        ("widgets=+2", "'widgets' is not a KPI code"),
    ],
)
def test_what_ifs_refused_with_the_text_and_problem(text, problem):
    with pytest.raises(WhatIfError, match=problem.replace("+", r"\+").replace("*", r"\*")):
        parse_what_if(text, known=KNOWN)


def test_a_kpi_is_changed_once_and_at_most_twenty_what_ifs():
    with pytest.raises(WhatIfError, match="csat is changed twice"):
        parse_what_ifs(["csat=+1", "csat=+2"], known=KNOWN)
    with pytest.raises(WhatIfError, match=f"at most {MAX_WHAT_IFS} what-ifs, got 21"):
        parse_what_ifs(["csat=+1"] * 21, known=KNOWN)
    assert str(parse_what_ifs(["csat=-2"], known=KNOWN)[0]) == "csat=-2"


@pytest.mark.parametrize(
    ("kpis", "texts", "expected"),
    [
        # add, multiply and set, each on its own KPI; others untouched
        ({"csat": "84", "nps": "20"}, ["csat=+2"], {"csat": "86", "nps": "20"}),
        ({"contacts_voice": "27500"}, ["contacts_voice=*0.9"], {"contacts_voice": "24750"}),
        ({"service_level": "76.5"}, ["service_level=85"], {"service_level": "85"}),
        # a count is rounded to a whole number, half up; money stays exact
        ({"contacts_voice": "10001"}, ["contacts_voice=*0.9"], {"contacts_voice": "9001"}),
        ({"contacts_voice": "5"}, ["contacts_voice=*0.5"], {"contacts_voice": "3"}),
        ({"cost_to_serve": "1000.01"}, ["cost_to_serve=*0.9"], {"cost_to_serve": "900.009"}),
        # kept within the KPI's bounds
        ({"csat": "99"}, ["csat=+5"], {"csat": "100"}),
        ({"contacts_voice": "3"}, ["contacts_voice=-10"], {"contacts_voice": "0"}),
        ({"nps": "-95"}, ["nps=-10"], {"nps": "-100"}),
        # not measured stays not measured, unless set
        ({}, ["csat=+2", "contacts_voice=*2"], {}),
        ({}, ["service_level=85"], {"service_level": "85"}),
    ],
)
def test_what_ifs_apply(kpis, texts, expected):
    values = {code: D(v) for code, v in kpis.items()}
    changed = apply_what_ifs(values, parse_what_ifs(texts, known=KNOWN), bounds=BOUNDS)
    assert changed == {code: D(v) for code, v in expected.items()}
    assert values == {code: D(v) for code, v in kpis.items()}  # the month's own values are not changed


@settings(max_examples=150, deadline=None)
@given(
    value=st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False),
    step=st.decimals(min_value=-200, max_value=200, places=2, allow_nan=False, allow_infinity=False),
)
def test_a_changed_percentage_stays_within_0_and_100(value, step):
    what_if = WhatIf("csat", Operation.ADD, step)
    changed = apply_what_ifs({"csat": value}, [what_if], bounds=BOUNDS)["csat"]
    assert D(0) <= changed <= D(100)
