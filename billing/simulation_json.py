"""The JSON form of a terms simulation (docs/simulation.md), and its table form.

One representation: the command's JSON, the API's body and the admin's page are all this
document; the table and the admin's chart are drawn from it.
"""

from __future__ import annotations

from decimal import Decimal

from pricing.money import ZERO, quantum
from pricing.terms import ContractTerms

from .alignment import alignment_for
from .simulation import Simulation
from .simulation_actuals import ActualMonth

SIMULATION_VERSION = 1  # the JSON form's version (docs/simulation.md); a change of shape raises it
TOTALS = ("net", "tax", "gross")


def _alignment(simulation: Simulation, terms: ContractTerms) -> list[dict]:
    """The incentive-alignment findings (docs/alignment.md) of the proposed ``terms`` in force in
    the range's last month, on the contract's latest month with KPI values."""
    return alignment_for(contract=simulation.contract, terms=terms)


def _money(amount: Decimal, places: int) -> str:
    return str(amount.quantize(quantum(places)))


def _components_of(lines) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = {}
    for line in lines:
        amounts[line.component_id] = amounts.get(line.component_id, ZERO) + line.amount
    return amounts


def _actual(actual: ActualMonth | None, places: int) -> dict | None:
    if actual is None:
        return None
    return {
        "status": actual.status,
        "documents": list(actual.documents),
        **{key: _money(getattr(actual, key), places) for key in TOTALS},
        "components": {cid: _money(amount, places) for cid, amount in actual.components.items()},
    }


def _difference(actual: ActualMonth, statement, proposed: dict[str, Decimal], places: int) -> dict:
    ids = list(dict.fromkeys([*actual.components, *proposed]))
    return {
        **{key: _money(getattr(statement, key) - getattr(actual, key), places) for key in TOTALS},
        "components": {
            cid: _money(proposed.get(cid, ZERO) - actual.components.get(cid, ZERO), places) for cid in ids
        },
    }


def _month(result, places: int) -> dict:
    statement = result.proposed.statement
    proposed = _components_of(statement.lines)
    return {
        "period": str(result.period),
        "actual": _actual(result.actual, places),
        "proposed": {
            **{key: _money(getattr(statement, key), places) for key in TOTALS},
            "components": {cid: _money(amount, places) for cid, amount in proposed.items()},
            "lines": [
                {
                    "component": line.component_id,
                    "kind": str(line.kind),
                    "kpi": line.kpi,
                    "amount": _money(line.amount, places),
                    "explanation": line.explanation,
                }
                for line in statement.lines
            ],
            "flags": [flag.code.value for flag in statement.flags],
        },
        "difference": None
        if result.actual is None
        else _difference(result.actual, statement, proposed, places),
    }


def _totals(months: list[dict], places: int) -> dict:
    compared = [month for month in months if month["actual"] is not None]

    def summed(items, part):
        return {key: _money(sum((Decimal(m[part][key]) for m in items), ZERO), places) for key in TOTALS}

    return {
        "months": len(months),
        "compared_months": len(compared),
        "proposed": summed(months, "proposed"),
        "actual": summed(compared, "actual"),
        "difference": summed(compared, "difference"),
    }


def simulation_json(simulation: Simulation, *, alignment: bool = True) -> dict:
    """The simulation as docs/simulation.md describes it: ``{"version", "contract", "currency",
    "from", "to", "what_ifs", "months", "totals", "alignment"}``. Amounts are decimal strings
    with the currency's places; ``difference`` is proposed − actual (positive: the supplier
    would have been paid more), ``null`` for a month without a statement; totals of ``actual``
    and ``difference`` are over the months with a statement, of ``proposed`` over every month.
    ``alignment=False`` leaves the alignment check out (``[]``): it prices the reference month
    again once per KPI, a cost of its own when many contracts are simulated at once."""
    places = simulation.decimal_places
    months = [_month(result, places) for result in simulation.months]
    reference = simulation.months[-1].proposed.inputs
    return {
        "version": SIMULATION_VERSION,
        "contract": simulation.contract.reference,
        "currency": simulation.currency,
        "from": str(simulation.first),
        "to": str(simulation.last),
        "what_ifs": [str(what_if) for what_if in simulation.what_ifs],
        "months": months,
        "totals": _totals(months, places),
        "alignment": _alignment(simulation, reference.terms) if alignment else [],
    }


def simulation_table(document: dict) -> str:
    """The JSON form as a short table: one row per month (actual, proposed and difference of the
    net), then the totals. A month without a statement shows ``-`` as its actual."""
    header = f"{document['contract']} {document['from']}..{document['to']} ({document['currency']})"
    if document["what_ifs"]:
        header += f", what-ifs: {' '.join(document['what_ifs'])}"
    rows = [header, f"{'month':<8} {'actual':>14} {'proposed':>14} {'difference':>14}"]
    for month in document["months"]:
        actual, difference = month["actual"], month["difference"]
        rows.append(
            f"{month['period']:<8} {actual['net'] if actual else '-':>14} "
            f"{month['proposed']['net']:>14} {difference['net'] if difference else '-':>14}"
        )
    totals = document["totals"]
    rows.append(
        f"{'total':<8} {totals['actual']['net']:>14} {totals['proposed']['net']:>14} "
        f"{totals['difference']['net']:>14}"
    )
    if totals["compared_months"] != totals["months"]:
        rows.append(f"(actual and difference over the {totals['compared_months']} months with a statement)")
    return "\n".join(rows + _alignment_rows(document["alignment"]))


def _shown(value: str) -> str:
    """A KPI value of a finding (exact) as the table shows it: at most two decimals."""
    exact = Decimal(value)
    return str(exact.quantize(Decimal("0.01"))) if exact.as_tuple().exponent < -2 else value


def alignment_shown(findings: list[dict]) -> dict:
    """The alignment findings as a page shows them: ``steps`` (each KPI step with its values to
    two decimals), ``traps`` and ``notes`` (sentences), and the reference ``period``."""
    steps = [
        {**f, "reference": _shown(f["reference"]), "moved": _shown(f["moved"])}
        for f in findings
        if f["finding"] == "kpi"
    ]
    traps = [f["message"] for f in findings if f["finding"] == "trap"]
    notes = [f["message"] for f in findings if f["finding"] not in ("kpi", "trap", "not_checked")]
    period = next((f["period"] for f in findings if f.get("period")), None)
    return {"steps": steps, "traps": traps, "notes": notes, "period": period}


def _alignment_rows(findings: list[dict]) -> list[str]:
    """The alignment findings in a line each: a KPI step's verdict and pay change, a trap's
    sentence, a finding that nothing could be checked."""
    rows = []
    for finding in findings:
        if finding["finding"] == "kpi":
            rows.append(
                f"  {finding['verdict']:<12} {finding['name']} {_shown(finding['reference'])} → "
                f"{_shown(finding['moved'])}: pay {finding['pay_change']}"
            )
        elif finding["finding"] == "trap":
            rows.append(f"  trap: {finding['message']}")
        elif finding["finding"] != "not_checked":
            rows.append(f"  {finding['message']}")
    period = next((f["period"] for f in findings if f.get("period")), None)
    head = f"incentive alignment of the proposed terms (one step better for the buyer, on {period}):"
    return [head, *rows] if rows else []
