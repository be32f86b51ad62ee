"""Geometry for the portal's inline SVG trend charts: plain numbers in, coordinates out.

No database and no template here; the chart template draws what these functions return.
"""

from __future__ import annotations

from decimal import Decimal

from pricing.text import measure_text

WIDTH, HEIGHT = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 62, 26, 12, 26


def _bounds(values: list[Decimal], target: Decimal | None) -> tuple[Decimal, Decimal]:
    """The value range drawn on the y axis: the data and the target, padded by a tenth;
    a flat series gets ±1 (or ±10% of its value) so it is drawn mid-height."""
    known = [*values, *([] if target is None else [target])]
    low, high = min(known), max(known)
    if low == high:
        pad = max(abs(low) / 10, Decimal(1))
        return low - pad, high + pad
    pad = (high - low) / 10
    return (Decimal(0) if low >= 0 and low - pad < 0 else low - pad), high + pad


def trend_chart(points: list[tuple[str, Decimal | None]], target: Decimal | None = None) -> dict:
    """Coordinates of a line chart of ``points`` (period label, value or ``None``), oldest first.

    A ``None`` value is a gap: the line breaks there and no dot is drawn, so a month without
    a value never reads as zero. ``segments`` are runs of consecutive known values (a run of
    one month is drawn as a dot only). The target, when given, is a horizontal line.
    Coordinates are strings with one decimal, ready for SVG attributes.
    """
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = Decimal(plot_width) / max(len(points) - 1, 1)
    values = [value for _, value in points if value is not None]
    chart = {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": HEIGHT - BOTTOM,
        "segments": [],
        "dots": [],
        "ticks": [],
        "target_y": None,
        "empty": not values,
    }
    for index, (label, _) in enumerate(points):
        if index in (0, len(points) - 1) or index % 3 == 0:
            chart["ticks"].append({"x": f"{LEFT + index * step:.1f}", "label": label})
    if not values:
        return chart
    low, high = _bounds(values, target)
    scale = Decimal(plot_height) / (high - low)

    def y_of(value: Decimal) -> str:
        return f"{TOP + (high - value) * scale:.1f}"

    run: list[str] = []
    for index, (label, value) in enumerate(points):
        if value is None:
            if len(run) > 1:
                chart["segments"].append(" ".join(run))
            run = []
            continue
        x, y = f"{LEFT + index * step:.1f}", y_of(value)
        run.append(f"{x},{y}")
        chart["dots"].append({"x": x, "y": y, "label": label, "value": measure_text(value)})
    if len(run) > 1:
        chart["segments"].append(" ".join(run))
    chart["axis"] = [
        {"y": y_of(high), "label": measure_text(high, 0 if abs(high) >= 100 else 1)},
        {"y": y_of(low), "label": measure_text(low, 0 if abs(low) >= 100 else 1)},
    ]
    if target is not None:
        chart["target_y"] = y_of(target)
    return chart
