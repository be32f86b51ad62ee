"""The actual statements a simulation is compared with: per contract and month, the issued
original with its issued adjustments (the net after corrections), or, when nothing is
issued, the current draft or approved statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pricing.period import Period

from .models import Statement, StatementLine

ISSUED = (Statement.Status.ISSUED, Statement.Status.PAID)
DRAFTS = (Statement.Status.DRAFT, Statement.Status.APPROVED)


@dataclass(frozen=True)
class ActualMonth:
    """What a month cost: ``status`` ``issued`` (its issued original and issued adjustments,
    ``documents`` their numbers in revision order) or ``draft`` (the draft or approved statement)."""

    status: str
    documents: tuple[str, ...]
    net: Decimal
    tax: Decimal
    gross: Decimal
    components: dict[str, Decimal]


def actual_months(
    *, contract_ids: Sequence[int], periods: Sequence[Period]
) -> dict[int, dict[Period, ActualMonth]]:
    """Each contract's actual statement of each month (see :class:`ActualMonth`), by contract
    and month; a month without one is left out. Two queries: the statements, their lines."""
    rows = list(
        Statement.objects.filter(contract_id__in=list(contract_ids), period__in=[str(p) for p in periods])
        .exclude(status=Statement.Status.VOID)
        .order_by("contract_id", "period", "revision")
        .values_list("pk", "contract_id", "period", "status", "adjusts_id", "number", "net", "tax", "gross")
    )
    chosen: dict[tuple[int, str], list[tuple]] = {}
    for row in rows:
        _, contract_id, period, status, adjusts_id, *_ = row
        if adjusts_id is None and status in ISSUED:
            chosen[contract_id, period] = [row]
    for row in rows:
        _, contract_id, period, status, adjusts_id, *_ = row
        key = (contract_id, period)
        if adjusts_id is not None and status in ISSUED and key in chosen and chosen[key][0][0] == adjusts_id:
            chosen[key].append(row)
        elif adjusts_id is None and status in DRAFTS and key not in chosen:
            chosen[key] = [row]
    key_of = {row[0]: key for key, documents in chosen.items() for row in documents}
    components: dict[tuple[int, str], dict[str, Decimal]] = {}
    for statement_id, component_id, amount in (
        StatementLine.objects.filter(statement_id__in=list(key_of))
        .order_by("statement_id", "position")
        .values_list("statement_id", "component_id", "amount")
    ):
        totals = components.setdefault(key_of[statement_id], {})
        totals[component_id] = totals.get(component_id, Decimal(0)) + amount
    result: dict[int, dict[Period, ActualMonth]] = {}
    for (contract_id, period), documents in chosen.items():
        result.setdefault(contract_id, {})[Period.parse(period)] = ActualMonth(
            status="issued" if documents[0][3] in ISSUED else "draft",
            documents=tuple(row[5] for row in documents if row[5]),
            net=sum((row[6] for row in documents), Decimal(0)),
            tax=sum((row[7] for row in documents), Decimal(0)),
            gross=sum((row[8] for row in documents), Decimal(0)),
            components=components.get((contract_id, period), {}),
        )
    return result
