"""The value charts' geometry: stacks from zero both ways, an axis that includes zero, a slot
per month, and labels that never touch."""

from decimal import Decimal as D

from billing.value_charts import HEIGHT, MIN_LABEL_GAP, TOP, Series, stacked_bar_chart


def close(a: float, b: float) -> bool:
    """Coordinates are rounded to 0.1 each, so a sum may be off by 0.1."""
    return abs(a - b) < 0.15


def chart(values_a, values_b, periods=("2026-01", "2026-02", "2026-03"), percent=False):
    return stacked_bar_chart(
        periods=list(periods),
        series=[Series("a", "A", "#000", values_a), Series("b", "B", "#fff", values_b)],
        value_text=str,
        percent=percent,
    )


def test_positive_parts_stack_up_from_zero_and_negative_parts_down():
    drawn = chart([D(600), D(500), None], [D(400), D(-100), None])
    zero = float(drawn["zero_y"])
    january, february, march = drawn["bars"]
    # January: A from zero up, B on top of it, touching.
    a, b = january["parts"]
    assert close(float(a["y"]) + float(a["height"]), zero)
    assert close(float(b["y"]) + float(b["height"]), float(a["y"]))
    # February: B is negative, drawn from zero down.
    a, b = february["parts"]
    assert float(b["y"]) == zero and close(float(a["y"]) + float(a["height"]), zero)
    # March has no documents: a slot without a bar, still labelled.
    assert march["parts"] == [] and march["tick"] == {"label": "Mar", "year": ""}
    assert january["tick"] == {"label": "Jan", "year": "2026"}


def test_the_axis_includes_zero_and_rounds_its_ends_up():
    drawn = chart([D(930)], [D(0)], periods=("2026-01",))
    assert [line["label"] for line in drawn["grid"]] == ["1,000", "0"]
    assert float(drawn["grid"][0]["y"]) == TOP
    assert float(drawn["zero_y"]) == HEIGHT - 34
    losses = chart([D(-40)], [None], periods=("2026-01",))
    assert [line["label"] for line in losses["grid"]] == ["0", "-50"]


def test_a_label_too_close_to_zero_is_left_out():
    drawn = chart([D(200000)], [D(-100)], periods=("2026-01",))
    labels = [line["label"] for line in drawn["grid"]]
    assert labels == ["200,000", "0"]  # −100 would be drawn within MIN_LABEL_GAP of zero
    ys = [float(line["y"]) for line in drawn["grid"]]
    assert ys[1] - ys[0] >= MIN_LABEL_GAP


def test_a_mix_chart_runs_from_0_to_100_percent():
    drawn = chart([D("21.6")], [D("78.4")], periods=("2026-01",), percent=True)
    assert [line["label"] for line in drawn["grid"]] == ["100%", "0%"]


def test_nothing_to_draw_says_so():
    drawn = chart([None, None], [D(0), None], periods=("2026-01", "2026-02"))
    assert drawn["empty"] and all(bar["parts"] == [] for bar in drawn["bars"])
