"""The month-close page's rows: every contract active in a period and how far its month got.

Procurement closes a month in steps: the KPI files arrive, a billing run prices drafts, the
drafts are reviewed (their flags) and approved, then issued, and each issued document's PDF
is stored. One row per contract says where it stands. The rows of every contract a user sees
are read in a constant number of queries, whatever the number of contracts: the contracts,
the terms in force (with the KPI catalogue), the KPI values, the KPI files held for review,
the month's statements and the period's billing runs. Filtering, sorting and the counts per
stage are done on those rows in Python: a contract's stage is not a column, it combines its
terms, its KPI values and its documents.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet
from django.utils import timezone

from contracts.models import Contract
from contracts.selectors import contracts_active_in_period, terms_in_force_for_contracts
from contracts.tenancy import contracts_for_buyer_of
from kpis.models import KpiBatch, KpiResult
from kpis.selectors import kpi_month_values_for_contracts
from pricing.period import Period
from pricing.terms import Component, ContractTerms

from .models import BillingRun, Statement, stale_after
from .query_selectors import open_query_exists

# A month's stages, least advanced first: the order "sort by state" follows.
STAGES = {"unpriced": "Not priced", "draft": "Draft", "approved": "Approved", "issued": "Issued"}
# The page's state filter: a stage, or a condition that needs attention in any stage.
FILTERS = {
    "missing": "Missing KPIs",
    "pending": "KPI change pending review",
    "unpriced": "Not priced",
    "draft": "Draft",
    "flagged": "Draft with flags",
    "queried": "Open query",
    "approved": "Approved",
    "issued": "Issued",
}
# The page's sort orders (a leading "-" reverses one).
ORDERS = {"reference": "Reference", "state": "State", "net": "Net"}
_STAGE_OF_STATUS = {"draft": "draft", "approved": "approved", "issued": "issued", "paid": "issued"}


def component_kpi_codes(component: Component) -> tuple[str, ...]:
    """Every KPI code one pricing component reads, each once, in the order it names them: a
    field named ``measure`` or ``*_measure`` (an optional one is ``None`` when not used) and
    the ``kpi`` of each entry of a ``kpis`` scorecard (empty for a fixed fee)."""
    codes: dict[str, None] = {}
    for field in dataclasses.fields(component):
        value = getattr(component, field.name)
        if field.name == "measure" or field.name.endswith("_measure"):
            if value is not None:
                codes[value] = None
        elif field.name == "kpis":
            codes.update(dict.fromkeys(entry.kpi for entry in value))
    return tuple(codes)


def terms_kpi_codes(terms: ContractTerms) -> tuple[str, ...]:
    """Every KPI code the terms' components read (:func:`component_kpi_codes`), each once, in
    the order they name them. These are the KPIs a month must measure: pricing flags each one
    that is not measured (``pricing.context.Month.kpi``)."""
    codes: dict[str, None] = {}
    for component in terms.components:
        codes.update(dict.fromkeys(component_kpi_codes(component)))
    return tuple(codes)


@dataclass(frozen=True)
class MonthCloseRow:
    """One contract's month. ``required`` is what its terms in force read (empty without
    terms, ``has_terms`` False); ``missing`` those of them not measured by accepted KPI files;
    ``batch_ids`` the accepted files its measured KPIs come from; ``pending_batches`` the files
    with rows for the month that wait for review (they count for nothing until accepted).
    ``statement`` is the month's original document that is not void, ``adjustments`` the
    documents correcting it (not void), by revision."""

    contract: Contract
    has_terms: bool
    required: tuple[str, ...]
    missing: tuple[str, ...]
    batch_ids: tuple[int, ...]
    pending_batches: int
    statement: Statement | None
    adjustments: tuple[Statement, ...]

    @property
    def documents(self) -> tuple[Statement, ...]:
        return ((self.statement,) if self.statement else ()) + self.adjustments

    @property
    def stage(self) -> str:
        """The least advanced stage of the month's documents (``unpriced`` without one): an
        issued month with a draft adjustment still has a draft to approve."""
        if self.statement is None:
            return "unpriced"
        stages = list(STAGES)
        return min((_STAGE_OF_STATUS[d.status] for d in self.documents), key=stages.index)

    @property
    def stage_label(self) -> str:
        return STAGES[self.stage]

    @property
    def flagged_drafts(self) -> tuple[Statement, ...]:
        return tuple(d for d in self.documents if d.status == Statement.Status.DRAFT and d.flags)

    @property
    def queried_documents(self) -> tuple[Statement, ...]:
        """The month's documents with an open query of their supplier."""
        return tuple(d for d in self.documents if getattr(d, "queried", False))

    @property
    def flag_counts(self) -> list[tuple[str, int]]:
        """Each flag code of the month's documents with how often it is raised, in the order
        first raised: nine KPIs not measured read as one name, not nine."""
        counts: dict[str, int] = {}
        for document in self.documents:
            for flag in document.flags:
                counts[flag["code"]] = counts.get(flag["code"], 0) + 1
        return list(counts.items())

    @property
    def pdf_stored(self) -> bool | None:
        """Whether the issued original's PDF is stored; ``None`` before it is issued."""
        if self.statement is None or self.statement.status not in ("issued", "paid"):
            return None
        return bool(self.statement.pdf)

    def matches(self, state: str) -> bool:
        """Whether the row is in the page's filter ``state`` (a key of ``FILTERS``; "" is all)."""
        if state == "missing":
            return bool(self.missing) or not self.has_terms
        if state == "pending":
            return self.pending_batches > 0
        if state == "flagged":
            return bool(self.flagged_drafts)
        if state == "queried":
            return bool(self.queried_documents)
        return not state or self.stage == state


def month_close_rows(*, user, period: Period) -> list[MonthCloseRow]:
    """The rows of every contract active in ``period`` that ``user`` sees (its buyer's for a
    procurement user, all for a superuser, none for anyone else), by reference. Eight queries
    on PostgreSQL, nine on SQLite (the user's membership among them, unless already read),
    whatever the number of contracts, plus one per further 500 contracts for the KPI values;
    2,000 contracts' page takes 0.5-1 s on either database (measured on the CI machine)."""
    contracts = contracts_for_buyer_of(user, contracts_active_in_period(period=period))
    by_id = {c.pk: c for c in contracts.select_related("supplier").order_by("reference")}
    if not by_id:
        return []
    terms = terms_in_force_for_contracts(contracts=by_id.values(), period=period)
    values = kpi_month_values_for_contracts(contract_ids=list(by_id), period=period)
    pending = _pending_batches(contracts, period)
    originals, adjustments = _documents(contracts, period, by_id)
    rows = []
    for contract_id, contract in by_id.items():
        in_force = terms.get(contract_id)
        required = terms_kpi_codes(in_force.terms) if in_force else ()
        measured = values[contract_id]
        rows.append(
            MonthCloseRow(
                contract=contract,
                has_terms=in_force is not None,
                required=required,
                missing=tuple(c for c in required if c not in measured or measured[c].value is None),
                batch_ids=tuple(sorted({b for m in measured.values() for b in m.batch_ids})),
                pending_batches=pending.get(contract_id, 0),
                statement=originals.get(contract_id),
                adjustments=tuple(adjustments.get(contract_id, ())),
            )
        )
    return rows


def _pending_batches(contracts: QuerySet[Contract], period: Period) -> dict[int, int]:
    """The number of KPI files held for review with rows of each contract's month (one query)."""
    return dict(
        KpiResult.objects.filter(
            contract__in=contracts.values("pk"), period=str(period), batch__status=KpiBatch.Status.PENDING
        )
        .values("contract_id")
        .annotate(files=Count("batch_id", distinct=True))
        .values_list("contract_id", "files")
    )


def _documents(
    contracts: QuerySet[Contract], period: Period, by_id: dict[int, Contract]
) -> tuple[dict[int, Statement], dict[int, list[Statement]]]:
    """The month's documents that are not void (one query), each holding its contract from
    ``by_id``: each contract's original, and the adjustments correcting it by revision. The
    pricing snapshot and the frozen parts are not read; ``queried`` says whether the
    document has an open query."""
    originals: dict[int, Statement] = {}
    adjustments: dict[int, list[Statement]] = defaultdict(list)
    documents = (
        Statement.objects.filter(contract__in=contracts.values("pk"), period=str(period))
        .exclude(status=Statement.Status.VOID)
        .select_related("approved_by")
        .annotate(queried=open_query_exists())
        .defer("inputs", "api_representation", "buyer_details", "supplier_details")
        .order_by("contract_id", "revision")
    )
    for document in documents:
        document.contract = by_id[document.contract_id]
        if document.adjusts_id is None:
            originals[document.contract_id] = document
        else:
            adjustments[document.contract_id].append(document)
    return originals, adjustments


def month_close_select(rows: list[MonthCloseRow], *, state: str = "", order: str = "reference") -> list:
    """``rows`` in the filter ``state`` (a key of ``FILTERS``, "" for all), sorted by ``order``
    (a key of ``ORDERS``, "-" first to reverse; ties by reference). Sorting by net puts the
    months not priced last either way; nets of different currencies are compared as numbers."""
    selected = [row for row in rows if row.matches(state)]
    key = order.removeprefix("-")
    reverse = order.startswith("-")
    selected.sort(key=lambda row: row.contract.reference, reverse=reverse)
    if key == "state":
        stages = list(STAGES)
        selected.sort(key=lambda row: stages.index(row.stage), reverse=reverse)
    elif key == "net":
        priced = [row for row in selected if row.statement is not None]
        priced.sort(key=lambda row: row.statement.net, reverse=reverse)
        selected = priced + [row for row in selected if row.statement is None]
    return selected


def month_close_counts(rows: list[MonthCloseRow]) -> dict[str, int]:
    """How many rows each filter of ``FILTERS`` holds, and ``all``."""
    return {"all": len(rows), **{state: sum(row.matches(state) for row in rows) for state in FILTERS}}


def month_close_total(rows: list[MonthCloseRow]) -> dict[str, Decimal]:
    """The priced months' net per currency (never added across currencies)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.statement is not None:
            totals[str(row.statement.currency)] += row.statement.net
    return dict(sorted(totals.items()))


def month_close_runs(*, runs: QuerySet[BillingRun], period: Period, limit: int = 5) -> list[BillingRun]:
    """The ``limit`` newest of the period's ``runs`` (those the user sees, as the billing-run
    admin scopes them), newest first: those in progress and the last ones that finished."""
    newest = runs.filter(period=str(period)).select_related("requested_by").order_by("-created_at", "-pk")
    return list(newest[:limit])


def runs_in_progress(runs: list[BillingRun]) -> bool:
    """Whether one of ``runs`` is still making progress: running with a recent heartbeat, or
    pending for less than ``BILLING_RUN_STALE_AFTER`` (a queued run no worker takes is not)."""
    cutoff = timezone.now() - stale_after()
    return any(
        (run.status == BillingRun.Status.RUNNING and not run.is_stale)
        or (run.status == BillingRun.Status.PENDING and run.created_at >= cutoff)
        for run in runs
    )
