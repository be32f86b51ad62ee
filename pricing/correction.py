"""A late correction of an issued month: the difference, line by line, between what the month
prices at now and what has been billed for it so far.

Lines are keyed by (component, kind, KPI); a key already billed keeps its place, new keys
follow in the order the pricing gives them. Each differing key becomes one line of the
difference, explained as "Correction: was X, now Y." followed by the new line's explanation
(or "No longer due." when the month no longer prices that line). Totals, tax and whether the
document is a credit note come from ``statement_of``, as for any priced month.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .money import ZERO
from .result import Line, LineKind, PricedStatement
from .terms import ContractTerms
from .text import money_text
from .totals import statement_of

LineKey = tuple[str, str, str]  # (component id, line kind, KPI code or "")


def line_key(line: Line) -> LineKey:
    """The key a line is compared under: a line without a KPI has ``""`` as its KPI."""
    return (line.component_id, str(line.kind), line.kpi or "")


def correction(
    priced: PricedStatement, billed: Mapping[LineKey, Decimal], terms: ContractTerms
) -> PricedStatement | None:
    """The adjustment that takes ``billed`` (amounts in the currency, summed per key over the
    original and its issued adjustments) to ``priced`` (the month priced again), or ``None``
    when no key's amount differs. Amounts are exact differences of already rounded amounts;
    ``net``, ``tax`` and the document type follow ``statement_of``. The result carries no
    flags: the caller flags the document as an adjustment."""
    now: dict[LineKey, Decimal] = {}
    explanations: dict[LineKey, str] = {}
    for line in priced.lines:
        key = line_key(line)
        now[key] = now.get(key, ZERO) + line.amount
        explanations[key] = line.explanation
    lines = []
    for key in [*billed, *(key for key in now if key not in billed)]:
        was, is_now = billed.get(key, ZERO), now.get(key, ZERO)
        if is_now != was:
            text = (
                f"Correction: was {money_text(was, terms.decimal_places)}, "
                f"now {money_text(is_now, terms.decimal_places)}. {explanations.get(key, 'No longer due.')}"
            )
            component_id, kind, kpi = key
            lines.append(Line(component_id, LineKind(kind), is_now - was, text, {}, kpi or None))
    return statement_of(lines, terms) if lines else None
