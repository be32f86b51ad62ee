"""Geometry of the simulation page's chart: actual against proposed net per month, as bars.

No database and no template here: plain numbers from the simulation's JSON form in,
coordinates out (strings with one decimal, ready for SVG). The value axis follows
:func:`core.scales.kpi_scale` for money: from zero (lower only when a net is negative) to a
round ceiling with headroom, so a small difference never fills the height; its bottom,
middle and top are labelled. A month without a statement has no actual bar and says so.
"""

from __future__ import annotations

from decimal import Decimal

from core.formatting import kpi_axis_display
from core.scales import kpi_scale

WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 28, 40
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _text(value: float) -> str:
    return f"{value:.1f}"


def simulation_chart(document: dict) -> dict:
    """The chart of ``document`` (``billing.simulation_json.simulation_json``): per month a slot
    with its label (``Mar``, and the year under the first month and each January), an actual
    bar (absent without a statement) and a proposed bar; the axis' three labelled ticks and
    where zero is; the legend's positions."""
    months = document["months"]
    actual = [None if m["actual"] is None else Decimal(m["actual"]["net"]) for m in months]
    proposed = [Decimal(m["proposed"]["net"]) for m in months]
    low, high = kpi_scale([*actual, *proposed], scale_min=None, scale_max=None)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: Decimal) -> float:
        return TOP + plot_height * float((high - value) / (high - low))

    slot = plot_width / len(months)
    bar = min(slot * 0.36, 28.0)
    zero = y(Decimal(0))
    slots = []
    for index, month in enumerate(months):
        centre = LEFT + slot * (index + 0.5)
        year, number = (int(part) for part in month["period"].split("-"))
        bars = []
        for kind, value, x in (
            ("actual", actual[index], centre - bar - 1),
            ("proposed", proposed[index], centre + 1),
        ):
            if value is None:
                continue
            top, bottom = sorted((y(value), zero))
            bars.append(
                {"kind": kind, "x": _text(x), "y": _text(top), "height": _text(max(bottom - top, 0.5))}
            )
        slots.append(
            {
                "period": month["period"],
                "x": _text(centre),
                "label": MONTHS[number - 1],
                "year": str(year) if index == 0 or number == 1 else "",
                "bars": bars,
                "actual": month["actual"]["net"] if month["actual"] else None,
                "proposed": month["proposed"]["net"],
                "no_statement_y": _text(zero - 4),
            }
        )
    middle = (low + high) / 2
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "zero": _text(zero),
        "bar_width": _text(bar),
        "label_y": HEIGHT - BOTTOM + 16,
        "year_y": HEIGHT - BOTTOM + 30,
        "ticks": [{"y": _text(y(v)), "label": kpi_axis_display(v, "money")} for v in (low, middle, high)],
        "slots": slots,
        "currency": document["currency"],
    }
