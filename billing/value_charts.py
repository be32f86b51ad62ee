"""Geometry for the value pages' stacked bar charts: plain numbers in, SVG coordinates out,
drawn by ``templates/billing/_value_chart.html`` in the admin and the supplier portal.

What a value chart promises its reader:
- one slot per month of the range, in order; a month without documents has no bar;
- each month's positive parts are stacked up from zero and its negative parts (credits, a
  pain share, value lost) down from zero, so a bar's height is always what it stands for;
- the value axis always includes zero and is labelled at its ends and at zero
  (:func:`core.scales.nice_ceiling` rounds the ends up to 1, 2, 2.5 or 5 × 10ⁿ), in the
  currency named once, or in percent for a mix chart (0 to 100 %);
- every bar part has a title with its month, series and exact amount, as the table shows it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.formatting import kpi_axis_display
from core.scales import nice_ceiling

# Narrow enough that, scaled to a phone's width, its 12px text stays readable.
WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 44, 34
FONT_SIZE = 12
MAX_TICKS = 12
LEGEND_CHAR, LEGEND_GAP = 7.0, 24
MIN_LABEL_GAP = 14  # pixels between two axis labels, or the one further from zero is left out
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Series:
    """One stacked part: its key (a CSS class), legend label, fill and a value per slot."""

    key: str
    label: str
    colour: str
    values: Sequence[Decimal | None]


def _axis(stacks: list[tuple[Decimal, Decimal]], percent: bool) -> tuple[Decimal, Decimal]:
    if percent:
        return Decimal(0), Decimal(100)
    high = max((top for _, top in stacks), default=Decimal(0))
    low = min((bottom for bottom, _ in stacks), default=Decimal(0))
    high = nice_ceiling(high) if high > 0 else Decimal(0)
    low = -nice_ceiling(-low) if low < 0 else Decimal(0)
    return (low, high) if low < high else (Decimal(0), Decimal(1))


def _legend(series: list[Series]) -> list[dict]:
    entries, x, y = [], LEFT, 14
    # The legend wraps to a second row when it would pass the right edge.
    for part in series:
        width = len(part.label) * LEGEND_CHAR + LEGEND_GAP
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, y = LEFT, y + 16
        entries.append({"x": f"{x:.1f}", "y": y, "label": part.label, "colour": part.colour, "key": part.key})
        x += width
    return entries


def _tick(label: str, first: bool) -> dict:
    year, month = label[:4], int(label[5:7])
    return {"label": MONTHS[month - 1], "year": year if first or month == 1 else ""}


def stacked_bar_chart(
    *, periods: Sequence[str], series: Sequence[Series], value_text: Callable[[Decimal], str], percent=False
) -> dict:
    """Coordinates of a stacked bar chart of ``series`` over ``periods`` (``YYYY-MM``), under
    the module's rules. ``value_text`` writes an amount for the titles; ``percent`` fixes the
    axis at 0–100. Coordinates are strings with one decimal."""
    series = [part for part in series if any(value for value in part.values)]
    count = max(len(periods), 1)
    slot = Decimal(WIDTH - LEFT - RIGHT) / count
    stacks = []
    for index in range(len(periods)):
        values = [part.values[index] or Decimal(0) for part in series]
        stacks.append((sum(v for v in values if v < 0), sum(v for v in values if v > 0)))
    low, high = _axis(stacks, percent)
    scale = Decimal(HEIGHT - TOP - BOTTOM) / (high - low)

    def y_of(value: Decimal) -> Decimal:
        return TOP + (high - value) * scale

    bars, step = [], math.ceil(count / MAX_TICKS)
    for index, period in enumerate(periods):
        x = LEFT + slot * index + slot * Decimal("0.2")
        above = below = Decimal(0)
        parts = []
        for part in series:
            value = part.values[index]
            if not value:
                continue
            start = above if value > 0 else below
            end = start + value
            above, below = (end, below) if value > 0 else (above, end)
            top, bottom = y_of(max(start, end)), y_of(min(start, end))
            parts.append(
                {
                    "key": part.key,
                    "colour": part.colour,
                    "y": f"{top:.1f}",
                    "height": f"{max(bottom - top, Decimal('0.5')):.1f}",
                    "title": f"{period} · {part.label}: {value_text(value)}",
                }
            )
        tick = _tick(period, index == 0) if index % step == 0 else None
        centre = f"{LEFT + slot * index + slot / 2:.1f}"
        bars.append(
            {
                "x": f"{x:.1f}",
                "width": f"{slot * Decimal('0.6'):.1f}",
                "parts": parts,
                "tick": tick,
                "centre": centre,
            }
        )
    zero_y = y_of(Decimal(0))
    axis_values = [Decimal(0)] + [
        value for value in (high, low) if value != 0 and abs(y_of(value) - zero_y) >= MIN_LABEL_GAP
    ]
    unit = "percent" if percent else "money"
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "zero_y": f"{zero_y:.1f}",
        "font_size": FONT_SIZE,
        "top_label_y": TOP - 14,
        "bottom": HEIGHT - BOTTOM,
        "grid": [
            {"y": f"{y_of(value):.1f}", "label": kpi_axis_display(value, unit)}
            for value in sorted(axis_values, reverse=True)
        ],
        "legend": _legend(series),
        "bars": bars,
        "empty": not series,
        "middle_x": WIDTH // 2,
        "middle_y": (TOP + HEIGHT - BOTTOM) // 2,
    }
