"""A statement as plain values: what the PDF and the supplier portal both show.

No rendering library here, so the portal can import it (WeasyPrint stays in
:mod:`billing.rendering`, reached only through :mod:`billing.pdf`).
"""

from __future__ import annotations

from decimal import Decimal

from contracts.selectors import currency_decimal_places
from kpis.models import Kpi
from pricing.text import measure_text, money_text

from .models import Statement

TITLES = {
    ("invoice", False): "Invoice",
    ("invoice", True): "Self-billed invoice",
    ("credit_note", False): "Credit note",
    ("credit_note", True): "Self-billed credit note",
}


def scorecard(statement: Statement) -> list[dict]:
    """The month's KPIs against their targets, from the terms and KPI values the pricing used."""
    values = statement.inputs.get("kpis", {})
    targets: dict[str, Decimal] = {}
    for component in statement.inputs.get("terms", {}).get("components", []):
        if component["type"] in ("experience_bonus", "service_credit"):
            for entry in component["params"].get("kpis", []):
                targets.setdefault(entry["kpi"], Decimal(entry["target"]))
    catalogue = {k.code: k for k in Kpi.objects.filter(code__in=targets)}
    rows = []
    for code, target in targets.items():
        kpi = catalogue[code]
        raw = (values.get(code) or {}).get("value")
        actual = None if raw is None else Decimal(raw)
        lower = kpi.direction == Kpi.Direction.LOWER_IS_BETTER
        met = actual is not None and (actual <= target if lower else actual >= target)
        rows.append(
            {
                "code": code,
                "name": kpi.name,
                "unit": kpi.unit,
                "target": target,
                "actual": actual,
                "met": met,
                "lower_is_better": lower,
            }
        )
    return rows


def scorecard_chart(rows: list[dict], width: int = 480, row_height: int = 26) -> dict:
    """Geometry for the inline SVG chart: per KPI, the actual as a bar and the target as a tick.

    Percentages are drawn on 0–100; other units on 0 to 1.25 × the larger of target and actual.
    """
    label_width, bar_width = 170, width - 170 - 60
    bars = []
    for i, row in enumerate(rows):
        actual = max(row["actual"] or Decimal(0), Decimal(0))
        top = Decimal(100) if row["unit"] == "percent" else max(row["target"], actual) * Decimal("1.25")
        scale = Decimal(bar_width) / max(top, actual, Decimal(1))
        y = i * row_height
        bars.append(
            {
                "label": row["name"],
                "text_y": y + 16,
                "bar_y": y + 6,
                "tick_y": y + 3,
                "bar": f"{actual * scale:.1f}",
                "tick_x": f"{label_width + row['target'] * scale:.1f}",
                "met": row["met"],
                "value": "n/m" if row["actual"] is None else measure_text(row["actual"], 1),
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


def statement_pdf_context(*, statement: Statement) -> dict:
    """Everything the statement template shows, as plain values (no model instances)."""
    contract = statement.contract
    places = currency_decimal_places(str(statement.currency))

    def money(amount: Decimal) -> str:
        return money_text(amount, places)

    def party(frozen: dict, organisation) -> dict:
        fields = ("name", "address", "country", "vat_number")
        return frozen or {field: getattr(organisation, field) for field in fields}

    rows = scorecard(statement)
    return {
        "title": TITLES[(statement.document_type, contract.self_billing)],
        "adjusts": statement.adjusts.number if statement.adjusts_id else None,
        "draft": not statement.number,
        "number": statement.number or f"DRAFT {contract.reference} {statement.period} r{statement.revision}",
        "self_billing": contract.self_billing,
        "contract": {
            "reference": contract.reference,
            "title": contract.title,
            "payment_terms_days": contract.payment_terms_days,
        },
        "buyer": party(statement.buyer_details, contract.buyer),
        "supplier": party(statement.supplier_details, contract.supplier),
        "period": statement.period,
        "issue_date": statement.issue_date,
        "due_date": statement.due_date,
        "currency": str(statement.currency),
        "lines": [
            {
                "component": line.component_id,
                "kind": line.kind.replace("_", " "),
                "kpi": line.kpi,
                "explanation": line.explanation,
                "amount": money(line.amount),
            }
            for line in statement.lines.all()
        ],
        "net": money(statement.net),
        "tax_rate": measure_text(statement.tax_rate),
        "tax": money(statement.tax),
        "gross": money(statement.gross),
        "scorecard": [
            {
                **row,
                "target": measure_text(row["target"]),
                "actual": "not measured" if row["actual"] is None else measure_text(row["actual"]),
            }
            for row in rows
        ],
        "chart": scorecard_chart(rows),
    }
