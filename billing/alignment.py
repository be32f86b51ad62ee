"""The incentive-alignment check of a contract's terms on its own KPI history (reads only).

Load → compute: the reference month's pricing inputs are loaded as a billing run loads them
(:func:`billing.inputs.month_inputs`: the month's KPI values, the earn-back months before it,
prior credits, KPI names); the months before it (``HISTORY_MONTHS``, the reference month
included) are loaded in one more query for the cap count; the KPI catalogue becomes the
core's :class:`~pricing.alignment.KpiFacts`; then one pure call
(:func:`pricing.alignment.alignment_check`) judges the terms. Nothing is written.

:func:`alignment_for` gives the report as JSON-ready findings (docs/alignment.md), what the
terms simulation includes under ``"alignment"``; the terms version admin page shows the same
report (``billing.templatetags.alignment``).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Max

from contracts.models import Contract, Kpi
from contracts.selectors import TermsInForce, kpi_names
from kpis.catalogue import CONTACT_PARTS, CONTACT_VOLUMES, DEMAND_REDUCING_KPIS
from kpis.selectors import counted_results, kpi_month_values_for_periods
from pricing.alignment import AlignmentReport, KpiFacts, alignment_check
from pricing.components import Direction
from pricing.errors import PricingError
from pricing.money import round_money
from pricing.period import Period
from pricing.terms import ContractTerms, PricingInput

from .errors import BillingError
from .inputs import month_inputs

HISTORY_MONTHS = 12  # the months the gain-share cap count looks at, the reference month included
# A short title per trap code of ``pricing.alignment.traps``, for the page and the JSON.
TRAP_TITLES = {
    "volume_pay": "Pay rises with contact volume",
    "cap_binding": "A cap reached in most months",
    "credits_exceed_bonus": "Credits at risk outweigh the bonus",
    "bonus_exceeds_credits": "The bonus outweighs the credits at risk",
    "experience_buyable": "A scorecard one KPI can buy",
    "experience_paid_below_threshold": "A bonus paid with a KPI below its threshold",
}


def alignment_facts() -> dict[str, KpiFacts]:
    """Each catalogued KPI's direction better for the buyer (the catalogue's, but down for the
    contact volumes: ``kpis.catalogue.CONTACT_VOLUMES``), unit and bounds (one query)."""
    facts = {}
    for code, unit, direction, low, high in Kpi.objects.values_list(
        "code", "unit", "direction", "min_value", "max_value"
    ):
        volume = code in CONTACT_VOLUMES
        better = Direction.LOWER_IS_BETTER if volume else Direction(direction)
        facts[code] = KpiFacts(better, unit, low, high, volume=volume)
    return facts


def contract_parts(contract: Contract) -> dict[str, tuple[str, ...]]:
    """Which KPIs each total adds up: the contract's ``kpi_checks`` sum rules, and for a total
    they do not name, the catalogue's (``contacts_total`` = the contact channels)."""
    parts = {
        rule["kpi"]: tuple(rule["equals_sum_of"]) for rule in contract.kpi_checks if "equals_sum_of" in rule
    }
    return {**CONTACT_PARTS, **parts}


def reference_period_of(contract: Contract) -> Period | None:
    """The latest month with counted KPI values for ``contract`` inside its dates (one query);
    ``None`` when there is none."""
    months = counted_results().filter(contract=contract, period__gte=str(Period.of(contract.start_date)))
    if contract.end_date is not None:
        months = months.filter(period__lte=str(Period.of(contract.end_date)))
    latest = months.aggregate(latest=Max("period"))["latest"]
    return None if latest is None else Period.parse(latest)


def _history(contract: Contract, terms: ContractTerms, period: Period, names: dict) -> list[PricingInput]:
    """The months up to ``period`` (``HISTORY_MONTHS`` of them) with KPI values, on ``terms``."""
    periods = [period.shift(-back) for back in range(HISTORY_MONTHS - 1, -1, -1)]
    values = kpi_month_values_for_periods(contract_ids=[contract.pk], periods=periods)
    return [
        PricingInput(
            period=p,
            terms=terms,
            kpis={c: m.value for c, m in values[p][contract.pk].items()},
            kpi_names=names,
        )
        for p in periods
        if values[p][contract.pk]
    ]


def alignment_report(
    *, contract: Contract, terms: ContractTerms, reference_period: Period
) -> AlignmentReport:
    """The alignment of ``terms`` (stored or proposed, the contract's own) on
    ``reference_period``. Raises ``BillingError`` when that month cannot be priced on them."""
    in_force = TermsInForce(version_id=0, effective_from=str(reference_period), components=(), terms=terms)
    loaded = month_inputs(contracts=[contract], terms={contract.pk: in_force}, period=reference_period)
    inputs = loaded[contract.pk]
    if isinstance(inputs, BillingError):
        raise inputs
    names = inputs.inputs.kpi_names
    history = _history(contract, terms, reference_period, dict(names))
    try:
        return alignment_check(
            inputs.inputs,
            kpis=alignment_facts(),
            parts=contract_parts(contract),
            history=history,
            demand_kpis=DEMAND_REDUCING_KPIS,
        )
    except PricingError as error:
        raise BillingError(f"{contract.reference} {reference_period}: {error}") from error


def _money(amount: Decimal, terms: ContractTerms) -> str:
    return str(round_money(amount, decimal_places=terms.decimal_places, rounding=terms.rounding))


def findings_of(report: AlignmentReport, terms: ContractTerms, names: dict[str, str]) -> list[dict]:
    """The report as JSON-ready findings (docs/alignment.md): the KPI steps, the KPIs not
    checked, then the traps; values and amounts as exact strings."""
    period = str(report.period)
    found = [
        {
            "finding": "kpi",
            "period": period,
            "kpi": s.step.kpi,
            "name": names.get(s.step.kpi, s.step.kpi),
            "rule": s.step.rule,
            "reference": str(s.step.reference),
            "moved": str(s.step.moved),
            "step": str(s.step.step),
            "moved_with": [
                {"kpi": code, "reference": str(a), "moved": str(b)} for code, a, b in s.step.moved_with
            ],
            "reference_net": _money(s.reference_net, terms),
            "moved_net": _money(s.moved_net, terms),
            "pay_change": _money(s.pay_change, terms),
            "verdict": str(s.verdict),
        }
        for s in report.sensitivities
    ]
    found += [
        {
            "finding": "not_checked",
            "period": period,
            "kpi": u.kpi,
            "name": names.get(u.kpi, u.kpi),
            "reason": u.reason,
        }
        for u in report.unchecked
    ]
    found += [
        {
            "finding": "trap",
            "period": period,
            "code": t.code,
            "title": TRAP_TITLES.get(t.code, t.code),
            "message": t.message,
            "numbers": dict(t.numbers),
        }
        for t in report.traps
    ]
    return found


def alignment_for(
    *, contract: Contract, terms: ContractTerms, reference_period: Period | None = None
) -> list[dict]:
    """The alignment of ``terms`` on ``reference_period`` (by default the latest month with
    KPI values: :func:`reference_period_of`) as JSON-ready findings (docs/alignment.md). A
    contract without such a month, or a month its terms cannot price, gives one finding that
    says so (``no_reference_month``, ``not_priced``); it never raises for the contract's terms."""
    period = reference_period or reference_period_of(contract)
    if period is None:
        message = f"{contract.reference} has no month with KPI values: nothing to check."
        return [{"finding": "no_reference_month", "period": None, "message": message}]
    try:
        report = alignment_report(contract=contract, terms=terms, reference_period=period)
    except BillingError as error:
        return [{"finding": "not_priced", "period": str(period), "message": str(error)}]
    return findings_of(report, terms, kpi_names())
