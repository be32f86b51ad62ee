"""The "Incentive alignment" section of a terms version's admin page."""

from django import template

from billing.alignment import TRAP_TITLES, alignment_report, reference_period_of
from billing.errors import BillingError
from contracts.selectors import kpi_catalogue, kpi_names, terms_of_versions

register = template.Library()


@register.inclusion_tag("admin/billing/_incentive_alignment.html")
def incentive_alignment(version):
    """``{% incentive_alignment original %}``: the alignment of the version's terms on the
    contract's latest month with KPI values (which month is said; none, or a month the terms
    cannot price, is said too). ``version`` is the page's object, already in the user's scope;
    nothing is shown for a version not saved yet."""
    if version is None or not version.pk:
        return {"shown": False}
    contract = version.contract
    context = {"shown": True, "currency": str(contract.currency), "contract": contract}
    period = reference_period_of(contract)
    if period is None:
        return {
            **context,
            "problem": f"{contract.reference} has no month with KPI values yet: nothing to check.",
        }
    terms = terms_of_versions(contracts=[contract], version_ids={contract.pk: version.pk})[contract.pk].terms
    try:
        report = alignment_report(contract=contract, terms=terms, reference_period=period)
    except BillingError as error:
        return {**context, "period": period, "problem": str(error)}
    names, units = kpi_names(), {code: info.unit for code, info in kpi_catalogue().items()}
    rows = [
        {
            "kpi": s.step.kpi,
            "name": names.get(s.step.kpi, s.step.kpi),
            "unit": units.get(s.step.kpi, ""),
            "reference": s.step.reference,
            "moved": s.step.moved,
            "rule": s.step.rule,
            "moved_with": s.step.moved_with,
            "pay_change": s.pay_change,
            "verdict": str(s.verdict),
        }
        for s in report.sensitivities
    ]
    unchecked = [{"name": names.get(u.kpi, u.kpi), "reason": u.reason} for u in report.unchecked]
    traps = [{"title": TRAP_TITLES.get(t.code, t.code), "message": t.message} for t in report.traps]
    return {
        **context,
        "period": period,
        "report": report,
        "rows": rows,
        "unchecked": unchecked,
        "traps": traps,
    }
