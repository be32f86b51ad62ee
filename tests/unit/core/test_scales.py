"""The value axis rule shared by the scorecard and the trend charts."""

from decimal import Decimal

import pytest

from core.scales import kpi_scale, nice_ceiling

D = Decimal


@pytest.mark.parametrize(
    "value, ceiling",
    [
        # The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above the value.
        ("93.75", "100"),
        ("100", "100"),
        ("101", "200"),
        ("2.1", "2.5"),
        ("0.3", "0.5"),
        ("40565", "50000"),
        # Nothing to draw above zero: a unit scale.
        ("0", "1"),
        ("-3", "1"),
    ],
)
def test_nice_ceiling(value, ceiling):
    assert nice_ceiling(D(value)) == D(ceiling)


@pytest.mark.parametrize(
    "values, scale_min, scale_max, expected",
    [
        # The catalogue's natural scale wins: percentages 0–100, NPS −100 to 100, effort 1–7.
        (["82.5", "80"], "0", "100", ("0", "100")),
        (["41.2", "30"], "-100", "100", ("-100", "100")),
        (["2.7", "3"], "1", "7", ("1", "7")),
        # No upper bound: from the floor (or zero) to 1.25 × the largest value, rounded up.
        (["27919", "32452"], None, None, ("0", "50000")),
        (["53.1", "60"], "0", None, ("0", "100")),
        # A value outside the bounds widens the scale instead of being clipped.
        (["104"], "0", "100", ("0", "104")),
        (["-12"], None, None, ("-12", "1")),
        # Nothing but zeros, or nothing at all: still a scale with height.
        (["0", None], None, None, ("0", "1")),
        ([None], None, None, ("0", "1")),
    ],
)
def test_kpi_scale(values, scale_min, scale_max, expected):
    values = [None if value is None else D(value) for value in values]
    bounds = kpi_scale(
        values,
        scale_min=None if scale_min is None else D(scale_min),
        scale_max=None if scale_max is None else D(scale_max),
    )
    assert bounds == tuple(D(bound) for bound in expected)
