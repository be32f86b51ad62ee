"""Trend chart geometry: the x axis spans the months with data, gaps inside it stay gaps and are
labelled, the y axis follows the KPI's scale (zero for counts and money), and every value is
the table's text."""

from decimal import Decimal

from portal.charts import HEIGHT, TOP, trend_chart


def months(*values, start: int = 1):
    return [(f"2026-{i + start:02d}", None if v is None else Decimal(v)) for i, v in enumerate(values)]


def y(value: str) -> float:
    return float(value)


def test_the_axis_runs_only_over_the_months_with_data():
    # Twelve months asked, four measured (the background case): four slots, not twelve.
    points = [(f"2025-{m:02d}", None) for m in range(4, 13)] + months("27919", "30012", "32452")
    chart = trend_chart(points, unit="count")
    assert chart["months"] == 3
    assert [tick["label"] for tick in chart["ticks"]] == ["Jan", "Feb", "Mar"]
    assert [tick["year"] for tick in chart["ticks"]] == ["2026", "", ""]
    xs = [float(dot["x"]) for dot in chart["dots"]]
    assert xs == sorted(xs) and chart["left"] < xs[0] and xs[-1] < chart["right"]


def test_a_missing_month_inside_the_span_is_a_labelled_gap_and_breaks_the_line():
    chart = trend_chart(months("10", "20", None, "30", "40", None, "50"), unit="count")
    assert [dot["label"] for dot in chart["dots"]] == ["2026-01", "2026-02", "2026-04", "2026-05", "2026-07"]
    assert [len(segment.split()) for segment in chart["segments"]] == [2, 2]  # July alone: a dot only
    assert [gap["label"] for gap in chart["gaps"]] == ["2026-03", "2026-06"]
    march = chart["gaps"][0]
    assert float(march["x"]) < float(march["centre"]) < float(march["x"]) + float(march["width"])
    assert len(chart["ticks"]) == 7  # the gap months keep their tick


def test_counts_and_money_start_at_zero_so_a_small_change_is_not_a_collapse():
    chart = trend_chart(months("32452", "27919"), unit="count")
    assert [mark["label"] for mark in chart["grid"]] == ["50,000", "25,000", "0"]
    assert y(chart["grid"][-1]["y"]) == chart["bottom"]
    high, low = (y(dot["y"]) for dot in chart["dots"])
    # A fall of 14% is drawn as about 14% of the height, not the whole of it.
    assert (low - high) / (chart["bottom"] - chart["top"]) < 0.2
    money = trend_chart(months("118457.02", "101200"), unit="money", currency="GBP")
    assert money["grid"][-1]["label"] == "0" and money["unit_label"] == "GBP"
    assert [dot["value"] for dot in money["dots"]] == ["£118,457.02", "£101,200.00"]


def test_percentages_are_drawn_on_0_to_100_and_scores_on_their_own_scale():
    percent = trend_chart(
        months("91.4688", "88"), Decimal("85"), unit="percent", scale_min=Decimal(0), scale_max=Decimal(100)
    )
    assert [mark["label"] for mark in percent["grid"]] == ["100%", "50%", "0%"]
    assert [dot["value"] for dot in percent["dots"]] == ["91.47%", "88.00%"]  # the table's precision
    nps = trend_chart(months("41.2", "-5"), unit="score", scale_min=Decimal(-100), scale_max=Decimal(100))
    assert [mark["label"] for mark in nps["grid"]] == ["100", "0", "-100"]
    assert y(nps["dots"][1]["y"]) > y(nps["grid"][1]["y"])  # -5 is drawn below the zero line


def test_higher_values_are_drawn_higher_and_the_target_inside_the_plot():
    chart = trend_chart(months("70", "85"), target=Decimal("80"), unit="percent", scale_max=Decimal(100))
    low, high = (y(dot["y"]) for dot in chart["dots"])
    assert TOP <= high < y(chart["target_y"]) < low <= HEIGHT


def test_a_target_above_the_data_is_inside_the_scale():
    chart = trend_chart(months("10", "12"), target=Decimal("60"), unit="seconds")
    assert TOP <= y(chart["target_y"]) < y(chart["dots"][0]["y"])
    assert chart["grid"][0]["label"] == "100 s"


def test_no_values_at_all_is_an_empty_chart():
    chart = trend_chart(months(None, None))
    assert chart["empty"] and chart["dots"] == [] and chart["segments"] == [] and chart["ticks"] == []


def test_a_flat_series_of_zero_still_has_a_scale():
    chart = trend_chart(months("0", "0"), unit="count")
    assert {dot["y"] for dot in chart["dots"]} == {f"{chart['bottom']:.1f}"}
    assert chart["grid"][0]["label"] == "1"
