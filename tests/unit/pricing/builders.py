"""Small builders for pricing inputs: a contract's terms and a month's KPI values."""

from datetime import date
from decimal import Decimal

from pricing import price_period
from pricing.money import Rounding
from pricing.period import Period
from pricing.terms import ContractTerms, PricingInput

D = Decimal
JUNE = Period(2026, 6)


def terms(
    *components,
    currency="GBP",
    decimal_places=2,
    rounding=Rounding.HALF_UP,
    tax_rate="20",
    start=date(2026, 1, 1),
    end=None,
) -> ContractTerms:
    return ContractTerms(
        currency=currency,
        decimal_places=decimal_places,
        rounding=rounding,
        tax_rate=D(tax_rate),
        start_date=start,
        end_date=end,
        components=tuple(components),
    )


def price(*components, kpis=None, period=JUNE, history=None, prior_credits=(), names=None, **terms_kwargs):
    """Price ``components`` for ``period`` with KPI values given as strings (and KPI display
    names by code, ``names``; none by default, so explanations show codes)."""
    values = {code: (None if v is None else D(v)) for code, v in (kpis or {}).items()}
    past = {p: {c: D(v) for c, v in month.items()} for p, month in (history or {}).items()}
    return price_period(
        PricingInput(
            period=period,
            terms=terms(*components, **terms_kwargs),
            kpis=values,
            kpi_history=past,
            prior_credits=tuple(prior_credits),
            kpi_names=names or {},
        )
    )


def amounts(statement, kind=None) -> list[Decimal]:
    return [line.amount for line in statement.lines if kind is None or line.kind == kind]


def flag_codes(statement) -> set[str]:
    return {str(flag.code) for flag in statement.flags}


def price_months(*components, months, issued=None, **terms_kwargs):
    """Price ``months`` (``{period: {kpi: value}}``, in order) one after the other, each
    reading the earlier ones as prior documents (``pricing.history.prior_history``) and KPI
    history, as billing month after month does. ``issued``: the periods that count as issued
    (all by default). Returns ``{period: statement}``."""
    from pricing.history import prior_history

    contract = terms(*components, **terms_kwargs)
    values = {
        p: {code: (None if v is None else D(v)) for code, v in kpis.items()} for p, kpis in months.items()
    }
    priced, done = {}, []
    for period in sorted(values):
        history = prior_history(months=done)
        priced[period] = price_period(
            PricingInput(
                period=period,
                terms=contract,
                kpis=values[period],
                kpi_history={p: v for p, v in values.items() if p < period},
                prior_lines=history.lines,
                prior_charges=history.charges,
                prior_credits=history.credits,
            )
        )
        if issued is None or period in issued:
            done.append((period, priced[period].lines))
    return priced
