"""A statement document as the values the PDF and the supplier portal both show.

No rendering library here, so the portal can import it (WeasyPrint stays in
:mod:`billing.rendering`, reached only through :mod:`billing.pdf`).
"""

from __future__ import annotations

import textwrap
from decimal import Decimal

from core.formatting import kpi_axis_display, kpi_display, money_display
from core.scales import kpi_scale
from pricing.text import measure_text

from .documents import ScorecardRow, StatementDocument

TITLES = {
    ("invoice", False): "Invoice",
    ("invoice", True): "Self-billed invoice",
    ("credit_note", False): "Credit note",
    ("credit_note", True): "Self-billed credit note",
}


# The scorecard chart's layout, in SVG user units (CSS pixels). Side by side (the PDF, 640 wide
# at A4's 178 mm of text): the name on the left, wrapped (never cut), the bar in the middle,
# the actual on the right. Stacked (the portal, 360 wide, so a phone shows it near 1:1): the
# name above a bar across the whole width.
LABEL_WIDTH, VALUE_WIDTH, BAR_HEIGHT = 200, 78, 12
# Font size, line height and characters per label line: side by side (8 units, about 4.5 per
# character of DejaVu Sans within LABEL_WIDTH) and stacked (10 units, about 5.2 a character).
SIDE_BY_SIDE, STACKED = (8, 10, 44), (10, 13, 58)
LEGEND_HEIGHT = 26
MARKERS = (("threshold", "Threshold"), ("target", "Target"), ("stretch", "Stretch"))


def scorecard_scale(row: ScorecardRow) -> tuple[Decimal, Decimal]:
    """The scale ``row`` is drawn on, each KPI on its own (:func:`core.scales.kpi_scale` over
    its actual, threshold, target and stretch): its natural scale where the catalogue gives one,
    else from zero."""
    return kpi_scale(
        (row.actual, row.threshold, row.target, row.stretch), scale_min=row.scale_min, scale_max=row.scale_max
    )


def _chart_row(
    row: ScorecardRow, *, top: int, track_x: int, track_width: int, stacked: bool, currency
) -> dict:
    """One KPI's label lines, bar, markers and scale ends, its top edge at ``top``."""
    font_size, line_height, label_chars = STACKED if stacked else SIDE_BY_SIDE
    name = row.name + (" (lower is better)" if row.lower_is_better else "")
    lines = textwrap.wrap(name, label_chars) or [""]
    low, high = scorecard_scale(row)

    def x_of(value: Decimal) -> Decimal:
        return track_x + (value - low) / (high - low) * track_width

    label_block = len(lines) * line_height
    bar_y = top + (label_block + 3 if stacked else 2)
    origin = min(max(Decimal(0), low), high)  # bars grow from zero, or from the scale's floor
    bar = {}
    if row.actual is not None:
        left, right = sorted((x_of(origin), x_of(row.actual)))
        bar = {"x": f"{left:.1f}", "width": f"{max(right - left, Decimal('1.5')):.1f}"}
    anchors = {"threshold": row.threshold, "target": row.target, "stretch": row.stretch}
    markers = [
        {"kind": kind, "label": label, "x": f"{x_of(anchors[kind]) - 1:.1f}"}
        for kind, label in MARKERS
        if anchors[kind] is not None
    ]
    value = "not measured" if row.actual is None else kpi_display(row.actual, row.unit, currency=currency)
    return {
        "label": row.name,
        "lines": [{"text": text, "y": top + font_size + 2 + i * line_height} for i, text in enumerate(lines)],
        "bar_y": bar_y,
        "marker_y": bar_y - 3,
        "text_y": bar_y + BAR_HEIGHT - 2,
        "bar": bar,
        "met": row.met,
        "markers": markers,
        "scale_y": bar_y + BAR_HEIGHT + font_size,
        "scale_low": {"x": track_x, "label": kpi_axis_display(low, row.unit)},
        "scale_high": {
            "x": track_x + track_width,
            "label": kpi_axis_display(high, row.unit),
        },
        "value": value,
        "height": (label_block + 7 if stacked else max(label_block, BAR_HEIGHT + 2))
        + BAR_HEIGHT
        + font_size
        + 6,
    }


def scorecard_chart(
    rows: tuple[ScorecardRow, ...], *, width: int = 640, stacked: bool = False, currency=None
) -> dict:
    """Geometry for the inline SVG scorecard: per KPI, on its own scale
    (:func:`scorecard_scale`, both ends labelled under the bar, so NPS's −100 to 100 is never
    read against a percentage's 0 to 100), the actual as a bar from zero
    (or the scale's floor) coloured met or missed, and ticks at its threshold, target and
    stretch where the terms give them, with a legend of what is drawn. Names are wrapped at
    :data:`SIDE_BY_SIDE` or :data:`STACKED` characters a line, never cut. The value printed is the table's text
    (:func:`core.formatting.kpi_display`, in ``currency`` for money), so the two always agree.
    ``width`` is in SVG user units; ``stacked`` puts each name above its bar (narrow screens).
    Coordinates are numbers or strings with one decimal."""
    track_x = 0 if stacked else LABEL_WIDTH
    value_x = width - VALUE_WIDTH + 6
    track_width = width - VALUE_WIDTH - track_x
    kinds = {marker[0] for marker in MARKERS if any(getattr(row, marker[0]) is not None for row in rows)}
    legend = [{"kind": "met", "label": "Actual, met"}, {"kind": "missed", "label": "Actual, missed"}]
    legend += [{"kind": kind, "label": label} for kind, label in MARKERS if kind in kinds]
    per_line = 3 if stacked else len(legend)
    step = width // per_line
    for i, entry in enumerate(legend):
        entry.update({"x": (i % per_line) * step, "y": 10 + (i // per_line) * 14})
    top = LEGEND_HEIGHT + (len(legend) - 1) // per_line * 14
    bars = []
    for row in rows:
        bar = _chart_row(
            row, top=top, track_x=track_x, track_width=track_width, stacked=stacked, currency=currency
        )
        bars.append(bar)
        top += bar["height"]
    return {
        "width": width,
        "height": max(top, LEGEND_HEIGHT + 1),
        "font_size": (STACKED if stacked else SIDE_BY_SIDE)[0],
        "stacked": stacked,
        "track_x": track_x,
        "track_width": track_width,
        "bar_height": BAR_HEIGHT,
        "value_x": value_x,
        "legend": legend,
        "bars": bars,
    }


def iban_display(iban: str) -> str:
    """An IBAN in groups of four, as printed on paper (``GB33 BUKB 2020 …``)."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def sort_code_display(sort_code: str) -> str:
    """A UK sort code as ``12-34-56``."""
    return "-".join(sort_code[i : i + 2] for i in range(0, len(sort_code), 2))


def payment_details(document: StatementDocument) -> dict:
    """How to pay an invoice: the payee (its supplier, self-billed or not) with the bank
    details frozen at issue, which may be none (then only the remittance email, if any)."""
    payee = document.supplier
    return {
        "payee": payee.name,
        "iban": iban_display(payee.iban),
        "bic": payee.bic,
        "sort_code": sort_code_display(payee.sort_code) if payee.account_number else "",
        "account_number": payee.account_number if payee.sort_code else "",
        "remittance_email": payee.remittance_email,
        "reference": document.number or "",
        "has_bank_details": payee.has_bank_details,
    }


def settlement_text(document: StatementDocument, gross: str) -> str:
    """How a credit note is settled: never paid, it is deducted from the next payment the
    buyer makes to the supplier under the contract (docs/operations.md, *Credit notes*)."""
    amount = gross.lstrip("-−")
    return (
        f"This credit note is not paid. {amount} is deducted from the next payment "
        f"{document.buyer.name} makes to {document.supplier.name} under contract "
        f"{document.contract.reference}."
    )


def statement_pdf_context(*, document: StatementDocument) -> dict:
    """Everything the statement template shows, as plain values: money as people read it
    (``£13,300.00``: the currency's symbol and places, ``core.formatting``), KPI targets and
    actuals at their unit's precision, dates as dates; each line its ``title`` with the
    component id (``component``) for the small print. ``document`` has its scorecard."""
    contract = document.contract

    def money(amount: Decimal) -> str:
        return money_display(amount, document.currency)

    def party(party) -> dict:
        fields = ("name", "address", "country", "vat_number", "registration_number")
        return {field: getattr(party, field) for field in fields}

    credit_note = document.document_type == "credit_note"
    return {
        "title": TITLES[(document.document_type, contract.self_billing)],
        "adjusts": document.adjusts,
        "draft": not document.number,
        "number": document.number or f"DRAFT {contract.reference} {document.period} r{document.revision}",
        "self_billing": contract.self_billing,
        "contract": {
            "reference": contract.reference,
            "title": contract.title,
            "payment_terms_days": contract.payment_terms_days,
        },
        "buyer": party(document.buyer),
        "supplier": party(document.supplier),
        "buyer_reference": document.buyer_reference,
        "credit_note": credit_note,
        # Only an invoice is paid: to its supplier, also when the buyer issued it (self-billed).
        "payment": None if credit_note else payment_details(document),
        "settlement": settlement_text(document, money(document.gross)) if credit_note else "",
        "period": document.period,
        "issue_date": document.issue_date,
        "due_date": document.due_date,
        "currency": document.currency,
        "lines": [
            {
                "number": line.position + 1,
                "component": line.component,
                "title": line.title,
                "kind": line.kind.replace("_", " "),
                "kpi": line.kpi,
                "explanation": line.explanation,
                "amount": money(line.amount),
            }
            for line in document.lines
        ],
        "net": money(document.net),
        "tax_rate": measure_text(document.tax_rate),
        "tax": money(document.tax),
        "gross": money(document.gross),
        "scorecard": [
            {
                "code": row.code,
                "name": row.name,
                "unit": row.unit,
                "threshold": None
                if row.threshold is None
                else kpi_display(row.threshold, row.unit, currency=document.currency),
                "target": kpi_display(row.target, row.unit, currency=document.currency),
                "stretch": None
                if row.stretch is None
                else kpi_display(row.stretch, row.unit, currency=document.currency),
                "actual": "not measured"
                if row.actual is None
                else kpi_display(row.actual, row.unit, currency=document.currency),
                "met": row.met,
                "lower_is_better": row.lower_is_better,
            }
            for row in document.scorecard
        ],
        "chart": scorecard_chart(document.scorecard, currency=document.currency),
        # The portal's: side by side on a wide screen, stacked on a phone (its stylesheet picks).
        "chart_wide": scorecard_chart(document.scorecard, width=520, currency=document.currency),
        "chart_stacked": scorecard_chart(
            document.scorecard, width=360, stacked=True, currency=document.currency
        ),
    }
