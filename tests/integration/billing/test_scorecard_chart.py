"""The scorecard chart: each KPI on its own labelled scale, the actual against its threshold,
target and stretch with a legend, names wrapped and never cut, the table's numbers."""

import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from billing.documents import ScorecardRow, scorecard
from billing.pdf import statement_pdf_bytes
from billing.services import statement_approve, statement_issue, statement_price_draft
from billing.statement_context import scorecard_chart, scorecard_scale
from contracts.models import Kpi
from core.formatting import kpi_display
from pricing.period import Period

from .conftest import load_kpis, month

D = Decimal


def row(code="csat", unit="percent", actual="91.4688427300", target="85", **extra) -> ScorecardRow:
    scale = {"percent": (D(0), D(100)), "score": (D(-100), D(100))}.get(unit, (D(0), None))
    values = {
        "code": code,
        "name": extra.pop("name", code),
        "unit": unit,
        "target": D(target),
        "actual": None if actual is None else D(actual),
        "met": extra.pop("met", True),
        "lower_is_better": extra.pop("lower_is_better", False),
        "scale_min": scale[0],
        "scale_max": scale[1],
    }
    return ScorecardRow(**values, **{key: D(value) for key, value in extra.items()})


def test_each_kpi_has_its_own_scale_with_both_ends_labelled():
    rows = (row(), row("nps", "score", "41.2", "30"), row("asa", "seconds", "53.1217", "60"))
    chart = scorecard_chart(rows)
    ends = [(bar["scale_low"]["label"], bar["scale_high"]["label"]) for bar in chart["bars"]]
    assert ends == [("0%", "100%"), ("-100", "100"), ("0 s", "100 s")]
    assert [scorecard_scale(r) for r in rows] == [(0, 100), (-100, 100), (0, 100)]


def test_the_value_drawn_is_the_tables_text():
    rows = (
        row(),
        row("nps", "score", "41.2", "30"),
        row("asa", "seconds", "53.1217", "60"),
        row(actual=None),
    )
    chart = scorecard_chart(rows)
    assert [bar["value"] for bar in chart["bars"]] == ["91.47%", "41.2", "53.1 s", "not measured"]
    assert chart["bars"][0]["value"] == kpi_display(rows[0].actual, "percent")
    assert chart["bars"][3]["bar"] == {}  # nothing measured, no bar


def test_threshold_target_and_stretch_are_ticks_in_order_with_a_legend():
    higher = row(threshold="80", stretch="90")
    lower = row("abandon", actual="3.27", target="5", threshold="6", stretch="4", lower_is_better=True)
    chart = scorecard_chart((higher, lower))
    for bar, expected in zip(
        chart["bars"], (["threshold", "target", "stretch"], ["stretch", "target", "threshold"]), strict=True
    ):
        by_x = sorted(bar["markers"], key=lambda marker: float(marker["x"]))
        assert [marker["kind"] for marker in by_x] == expected
    assert [entry["label"] for entry in chart["legend"]] == [
        "Actual, met",
        "Actual, missed",
        "Threshold",
        "Target",
        "Stretch",
    ]
    # A service credit's target alone: no threshold or stretch in the bars or the legend.
    only_target = scorecard_chart((row(),))
    assert [marker["kind"] for marker in only_target["bars"][0]["markers"]] == ["target"]
    assert [entry["kind"] for entry in only_target["legend"]] == ["met", "missed", "target"]


def test_the_bar_is_drawn_to_scale_from_zero():
    chart = scorecard_chart((row(actual="50", target="85"), row("nps", "score", "-20", "30")))
    track_x, track_width = chart["track_x"], chart["track_width"]
    half = chart["bars"][0]["bar"]
    assert float(half["x"]) == track_x and float(half["width"]) == pytest.approx(track_width / 2, abs=0.1)
    nps = chart["bars"][1]["bar"]  # -20 on -100…100: from 40% of the track to its middle
    assert float(nps["x"]) == pytest.approx(track_x + track_width * 0.4, abs=0.1)
    assert float(nps["x"]) + float(nps["width"]) == pytest.approx(track_x + track_width / 2, abs=0.1)


@pytest.mark.parametrize("stacked, width", [(False, 640), (True, 360)])
def test_long_names_are_wrapped_whole_and_rows_do_not_overlap(stacked, width):
    name = "Service level (answered within threshold) across every channel and every site of the contract"
    chart = scorecard_chart(
        (row(name=name), row(lower_is_better=True, name="Abandonment rate")), width=width, stacked=stacked
    )
    first, second = chart["bars"]
    assert len(first["lines"]) > 1
    assert " ".join(line["text"] for line in first["lines"]) == name
    assert " ".join(line["text"] for line in second["lines"]) == "Abandonment rate (lower is better)"
    assert max(line["y"] for line in first["lines"]) < min(line["y"] for line in second["lines"])
    assert first["scale_y"] < min(line["y"] for line in second["lines"]) - 5
    assert chart["height"] >= second["scale_y"]


@pytest.mark.django_db
def test_the_scorecard_takes_threshold_and_stretch_from_the_experience_bonus_only():
    inputs = {
        "terms": {
            "components": [
                {"type": "service_credit", "params": {"kpis": [{"kpi": "service_level", "target": "80"}]}},
                {
                    "type": "experience_bonus",
                    "params": {
                        "kpis": [
                            {
                                "kpi": "csat",
                                "threshold": "75",
                                "target": "82",
                                "stretch": "88",
                                "weight": "1",
                            },
                            # The credit's KPI with another target: the credit's target is kept
                            # and the bonus's curve is not drawn against it.
                            {
                                "kpi": "service_level",
                                "threshold": "70",
                                "target": "85",
                                "stretch": "90",
                                "weight": "1",
                            },
                        ]
                    },
                },
            ]
        },
        "kpis": {"csat": {"value": "88.37"}, "service_level": {"value": "82.5"}},
    }
    catalogue = {kpi.code: kpi for kpi in Kpi.objects.filter(code__in=["csat", "service_level"])}
    rows = {r.code: r for r in scorecard(inputs, catalogue)}
    assert (rows["csat"].threshold, rows["csat"].target, rows["csat"].stretch) == (75, 82, 88)
    assert (rows["service_level"].threshold, rows["service_level"].target, rows["service_level"].stretch) == (
        None,
        80,
        None,
    )
    assert (rows["csat"].scale_min, rows["csat"].scale_max) == (0, 100)


@pytest.mark.django_db
@pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (bin/system-deps.sh) not installed"
)
def test_the_pdf_chart_has_its_legend_whole_names_and_the_tables_numbers(contract):
    load_kpis(month(contract.reference, "2026-01", 1500, 78))
    draft = statement_price_draft(contract_id=contract.pk, period=Period(2026, 1))
    statement_approve(statement_id=draft.pk)
    statement = statement_issue(statement_id=draft.pk, issue_date=date(2026, 2, 3))
    pdf = statement_pdf_bytes(statement=statement)
    text = " ".join(
        subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
        .stdout.decode()
        .split()
    )
    for expected in (
        "Actual, met",
        "Actual, missed",
        "Target",
        "Service level (answered within threshold)",
        "0% 100%",
    ):
        assert expected in text, expected
    assert "…" not in text and "withi..." not in text
    assert len(re.findall(r"78\.00%", text)) == 2  # the chart's value and the table's, the same text
