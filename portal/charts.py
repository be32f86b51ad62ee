"""Geometry for the portal's inline SVG trend charts: plain numbers in, coordinates out.

No database and no template here; the chart template draws what these functions return.

What a trend chart promises its reader:
- the x axis runs from the first month with a value to the last, one slot per month, each
  labelled; months before the first value and after the last are not drawn (the table
  beside lists all twelve), and a month without a value in between is a shaded, labelled gap,
  never a zero and never bridged by the line;
- the y axis follows :func:`core.scales.kpi_scale`: the KPI's natural scale where the
  catalogue gives one (0–100 for percentages), else from zero, so counts, seconds and money
  start at zero; its bottom, middle and top are labelled, with the unit;
- every number shown is the KPI's display text (:func:`core.formatting.kpi_display`), the
  same as the tables.
"""

from __future__ import annotations

from decimal import Decimal

from core.formatting import kpi_axis_display, kpi_display
from core.scales import kpi_scale
from pricing.period import Period

WIDTH, HEIGHT = 360, 176
LEFT, RIGHT, TOP, BOTTOM = 60, 10, 20, 36
UNIT_LABELS = {"count": "count", "percent": "%", "seconds": "seconds", "score": "score", "money": ""}


def _measured_span(points: list[tuple[str, Decimal | None]]) -> list[tuple[str, Decimal | None]]:
    """``points`` from the first month with a value to the last, inclusive (empty if none)."""
    known = [index for index, (_, value) in enumerate(points) if value is not None]
    return points[known[0] : known[-1] + 1] if known else []


def _month_ticks(labels: list[str], xs: list[str]) -> list[dict]:
    """A tick per month: its short name (``Mar``), and the year under the first month and
    under each January. A label that is not a ``YYYY-MM`` period is shown as it is."""
    ticks = []
    for index, (label, x) in enumerate(zip(labels, xs, strict=True)):
        try:
            period = Period.parse(label)
        except ValueError:
            ticks.append({"x": x, "label": label, "year": ""})
            continue
        month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[
            period.month - 1
        ]
        year = str(period.year) if index == 0 or period.month == 1 else ""
        ticks.append({"x": x, "label": month, "year": year})
    return ticks


def trend_chart(
    points: list[tuple[str, Decimal | None]],
    target: Decimal | None = None,
    *,
    unit: str = "",
    scale_min: Decimal | None = None,
    scale_max: Decimal | None = None,
    currency=None,
) -> dict:
    """Coordinates of a line chart of ``points`` (period label ``YYYY-MM``, value or ``None``),
    oldest first, under the rules in this module's docstring.

    ``unit`` is the catalogue unit (it decides the text of values and axis labels);
    ``scale_min`` and ``scale_max`` the catalogue's bounds (``None``: unbounded); ``currency``
    formats money. ``segments`` are runs of consecutive known values (a run of one month is
    drawn as a dot only); ``gaps`` the months without a value inside the span. The target, when
    given, is a horizontal line. Coordinates are strings with one decimal, ready for SVG.
    """
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = _measured_span(points)
    chart = {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "unit_label": UNIT_LABELS.get(unit, "") or (str(currency) if unit == "money" and currency else ""),
        "segments": [],
        "dots": [],
        "gaps": [],
        "ticks": [],
        "grid": [],
        "target_y": None,
        "empty": not span,
        "months": len(span),
    }
    if not span:
        return chart
    slot = Decimal(plot_width) / len(span)
    xs = [f"{LEFT + slot * index + slot / 2:.1f}" for index in range(len(span))]
    chart["ticks"] = _month_ticks([label for label, _ in span], xs)
    low, high = kpi_scale([value for _, value in span] + [target], scale_min=scale_min, scale_max=scale_max)
    scale = Decimal(plot_height) / (high - low)

    def y_of(value: Decimal) -> str:
        return f"{TOP + (high - value) * scale:.1f}"

    chart["grid"] = [
        {"y": y_of(value), "label": kpi_axis_display(value, unit)} for value in (high, (low + high) / 2, low)
    ]
    run: list[str] = []
    for index, (label, value) in enumerate(span):
        if value is None:
            if len(run) > 1:
                chart["segments"].append(" ".join(run))
            run = []
            chart["gaps"].append(
                {
                    "x": f"{LEFT + slot * index:.1f}",
                    "width": f"{slot:.1f}",
                    "height": plot_height,
                    "centre": xs[index],
                    "middle": TOP + plot_height // 2,
                    "label": label,
                }
            )
            continue
        y = y_of(value)
        run.append(f"{xs[index]},{y}")
        chart["dots"].append(
            {"x": xs[index], "y": y, "label": label, "value": kpi_display(value, unit, currency=currency)}
        )
    if len(run) > 1:
        chart["segments"].append(" ".join(run))
    if target is not None:
        chart["target_y"] = y_of(target)
    return chart
