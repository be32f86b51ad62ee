"""Trend chart geometry: gaps stay gaps, and the scale covers the data and the target."""

from decimal import Decimal

from portal.charts import HEIGHT, TOP, trend_chart


def months(*values):
    return [(f"2026-{i + 1:02d}", None if v is None else Decimal(v)) for i, v in enumerate(values)]


def test_a_missing_month_breaks_the_line_and_draws_no_dot():
    chart = trend_chart(months("10", "20", None, "30", "40", None, "50"))
    assert [dot["label"] for dot in chart["dots"]] == ["2026-01", "2026-02", "2026-04", "2026-05", "2026-07"]
    assert [len(segment.split()) for segment in chart["segments"]] == [2, 2]  # July alone: a dot only


def test_a_missing_month_is_not_drawn_as_zero():
    chart = trend_chart(months("80", None, "90"))
    bottom = chart["bottom"]
    assert all(float(dot["y"]) < bottom for dot in chart["dots"])
    assert chart["axis"][1]["label"] == "79"  # the scale starts near the data, not at 0


def test_higher_values_are_drawn_higher_and_the_target_inside_the_plot():
    chart = trend_chart(months("70", "85"), target=Decimal("80"))
    low, high = (float(dot["y"]) for dot in chart["dots"])
    assert TOP <= high < float(chart["target_y"]) < low <= HEIGHT


def test_no_values_at_all_is_an_empty_chart():
    chart = trend_chart(months(None, None))
    assert chart["empty"] and chart["dots"] == [] and chart["segments"] == []


def test_a_flat_series_is_drawn_mid_height():
    chart = trend_chart(months("5", "5"))
    assert {dot["y"] for dot in chart["dots"]} == {f"{TOP + (chart['bottom'] - TOP) / 2:.1f}"}
