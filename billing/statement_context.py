"""A statement document as the values the PDF and the supplier portal both show.

No rendering library here, so the portal can import it (WeasyPrint stays in
:mod:`billing.rendering`, reached only through :mod:`billing.pdf`).
"""

from __future__ import annotations

from decimal import Decimal

from core.formatting import kpi_display, money_display
from pricing.text import measure_text

from .documents import ScorecardRow, StatementDocument

TITLES = {
    ("invoice", False): "Invoice",
    ("invoice", True): "Self-billed invoice",
    ("credit_note", False): "Credit note",
    ("credit_note", True): "Self-billed credit note",
}


def scorecard_chart(rows: tuple[ScorecardRow, ...], width: int = 480, row_height: int = 26) -> dict:
    """Geometry for the inline SVG chart: per KPI, the actual as a bar and the target as a tick.

    Percentages are drawn on 0–100; other units on 0 to 1.25 × the larger of target and actual.
    """
    label_width, bar_width = 170, width - 170 - 60
    bars = []
    for i, row in enumerate(rows):
        actual = max(row.actual or Decimal(0), Decimal(0))
        top = Decimal(100) if row.unit == "percent" else max(row.target, actual) * Decimal("1.25")
        scale = Decimal(bar_width) / max(top, actual, Decimal(1))
        y = i * row_height
        bars.append(
            {
                "label": row.name,
                "text_y": y + 16,
                "bar_y": y + 6,
                "tick_y": y + 3,
                "bar": f"{actual * scale:.1f}",
                "tick_x": f"{label_width + row.target * scale:.1f}",
                "met": row.met,
                "value": "n/m" if row.actual is None else kpi_display(row.actual, row.unit),
            }
        )
    return {
        "width": width,
        "height": max(len(rows), 1) * row_height,
        "label_width": label_width,
        "bar_width": bar_width,
        "value_x": label_width + bar_width + 6,
        "bars": bars,
    }


def statement_pdf_context(*, document: StatementDocument) -> dict:
    """Everything the statement template shows, as plain values: money as people read it
    (``£13,300.00``: the currency's symbol and places, ``core.formatting``), KPI targets and
    actuals at their unit's precision, dates as dates; each line its ``title`` with the
    component id (``component``) for the small print. ``document`` has its scorecard."""
    contract = document.contract

    def money(amount: Decimal) -> str:
        return money_display(amount, document.currency)

    def party(party) -> dict:
        return {field: getattr(party, field) for field in ("name", "address", "country", "vat_number")}

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
                "target": kpi_display(row.target, row.unit, currency=document.currency),
                "actual": "not measured"
                if row.actual is None
                else kpi_display(row.actual, row.unit, currency=document.currency),
                "met": row.met,
                "lower_is_better": row.lower_is_better,
            }
            for row in document.scorecard
        ],
        "chart": scorecard_chart(document.scorecard),
    }
