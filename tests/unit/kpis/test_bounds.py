"""KPI bounds are decided on the exact value of each row: a value, or numerator × scale /
denominator, a hair beyond a bound is refused, and one on the bound is accepted, however
the floats that pick the candidate rows round."""

from datetime import date
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpis.ingest import MAX_RATIO, ContractRef, KpiFileRejected, KpiRef, check_file, read_kpi_file

CONTRACTS = {"C-1": ContractRef(1, date(2026, 1, 1), None)}
KPIS = {
    "percent": KpiRef(1, "ratio", 100, Decimal(0), Decimal(100)),  # as service_level, fcr, csat
    "score": KpiRef(2, "ratio", 100, Decimal(-100), Decimal(100)),  # as nps
    "seconds": KpiRef(3, "ratio", 1, Decimal(0), Decimal("3600.5")),
    "count": KpiRef(4, "sum", 1, Decimal(0), None),
    "level": KpiRef(5, "sum", 1, Decimal("-5.5"), Decimal("123456789012345.1234")),
}
HEADER = "contract,period,kpi,value,numerator,denominator,site\n"


def refusals(lines: list[str]) -> list[str]:
    """Every problem of a file of these rows (after the header), or [] when it is accepted."""
    content = (HEADER + "".join(line + "\n" for line in lines)).encode()
    try:
        check_file(
            read_kpi_file(file_name="k.csv", content=content, max_bytes=10**6), contracts=CONTRACTS, kpis=KPIS
        )
    except KpiFileRejected as rejected:
        return [str(error) for error in rejected.errors]
    return []


@pytest.mark.parametrize(
    ("kpi", "value", "numerator", "denominator", "expected"),
    [
        # A numerator 0.000001 above its denominator (a percentage just over 100): the floats of
        # both round so that their ratio is 99.99999999999999, inside the bounds.
        (
            "percent",
            "",
            "720823778748.259242",
            "720823778748.25924",
            "row 2, numerator: numerator 720823778748.259242 is greater than denominator 720823778748.25924",
        ),
        (
            "percent",
            "",
            "92933097834170.105840",
            "92933097834170.105839",
            "row 2, numerator: numerator 92933097834170.105840 is greater than denominator 92933097834170.105839",
        ),
        (
            "percent",
            "",
            "421810592857717.873241",
            "421810592857717.87324",
            "row 2, numerator: numerator 421810592857717.873241 is greater than denominator 421810592857717.87324",
        ),
        # The same just under a minimum of -100.
        (
            "score",
            "",
            "-773334320821717.513696",
            "773334320821717.513695",
            "row 2, numerator: numerator -773334320821717.513696 / denominator 773334320821717.513695 "
            "is below the minimum -100",
        ),
        (
            "score",
            "",
            "-195119624213.398917",
            "195119624213.398916",
            "row 2, numerator: numerator -195119624213.398917 / denominator 195119624213.398916 "
            "is below the minimum -100",
        ),
        # More decimals than a cell may hold are refused before any bound is looked at.
        (
            "percent",
            "",
            "418.554020000000000001",
            "418.55402",
            "row 2, numerator: has more than 15 digits before the decimal point or more than 6 after it",
        ),
        # On the bound, or a hair inside it, is accepted.
        ("percent", "", "999999999999999.999999", "999999999999999.999999", None),
        ("percent", "", "421810592857717.873239", "421810592857717.87324", None),
        ("score", "", "-773334320821717.513695", "773334320821717.513695", None),
        ("seconds", "", "3600.5", "1", None),
        ("seconds", "", "7201", "2", None),
        (
            "seconds",
            "",
            "7201.000001",
            "2",
            "row 2, numerator: numerator 7201.000001 / denominator 2 is above the maximum 3600.5",
        ),
        # Plain values against bounds of up to 20 digits.
        ("level", "123456789012345.1234", "", "", None),
        (
            "level",
            "123456789012345.123401",
            "",
            "",
            "row 2, value: 123456789012345.123401 is above the maximum 123456789012345.1234 for level",
        ),
        ("level", "-5.5", "", "", None),
        ("level", "-5.500001", "", "", "row 2, value: -5.500001 is below the minimum -5.5 for level"),
        ("count", "0", "", "", None),
        ("count", "-0.000001", "", "", "row 2, value: -0.000001 is below the minimum 0 for count"),
    ],
)
def test_a_row_is_accepted_only_if_its_exact_value_is_within_bounds(
    kpi, value, numerator, denominator, expected
):
    problems = refusals([f"C-1,2026-03,{kpi},{value},{numerator},{denominator},s"])
    assert problems == ([] if expected is None else [expected])


def _exact_verdict(kpi: str, value: Decimal | None, numerator: Decimal | None, denominator: Decimal | None):
    """The plain rule, one row at a time in fractions: "below", "above" or None."""
    ref = KPIS[kpi]
    if value is not None:
        number = Fraction(value)
    else:
        number = Fraction(numerator) * ref.scale / Fraction(denominator)
        if abs(number) > MAX_RATIO:
            return "above"
    if ref.min_value is not None and number < Fraction(ref.min_value):
        return "below"
    if ref.max_value is not None and number > Fraction(ref.max_value):
        return "above"
    return None


MILLIONTH = Decimal("0.000001")


@st.composite
def rows_near_a_bound(draw):
    """A row whose exact value is a few millionths (of its numerator) from one of its KPI's
    bounds, with numbers of up to 15 digits before the point and 6 after."""
    kpi = draw(st.sampled_from(sorted(KPIS)))
    ref = KPIS[kpi]
    bound = draw(st.sampled_from([b for b in (ref.min_value, ref.max_value) if b is not None]))
    step = draw(st.integers(-3, 3)) * MILLIONTH
    if ref.aggregation == "sum":
        return kpi, bound + step, None, None
    digits = draw(st.integers(1, 15))
    denominator = Decimal(draw(st.integers(10 ** (digits + 5), 10 ** (digits + 6) - 1))) * MILLIONTH
    while abs(denominator * bound / ref.scale) >= 10**15 - 1:  # a numerator the file may hold
        denominator = (denominator / 10).quantize(MILLIONTH)
    numerator = (denominator * bound / ref.scale).quantize(MILLIONTH, rounding=ROUND_FLOOR) + step
    return kpi, None, numerator, denominator


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(rows_near_a_bound(), min_size=1, max_size=25))
def test_the_vectorised_bounds_agree_with_the_plain_decimal_rule(rows):
    def cell(number):
        return "" if number is None else f"{number:f}"

    lines = [
        f"C-1,2026-03,{kpi},{cell(value)},{cell(num)},{cell(den)},site{i}"
        for i, (kpi, value, num, den) in enumerate(rows)
    ]
    expected = {
        (row, verdict)
        for row, args in enumerate(rows, start=2)
        if (verdict := _exact_verdict(*args)) is not None
    }
    found = set()
    for problem in refusals(lines):
        where, _, message = problem.partition(": ")
        row = int(where.removeprefix("row ").split(",")[0])
        found.add((row, "below" if " below " in message else "above"))
    assert found == expected
