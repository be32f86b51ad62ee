"""Simulate proposed terms on a contract's history: what each month would have cost on them,
beside what it cost. A selector: it reads and writes nothing.

Load → compute, as a billing run does: the proposal is a contract file of the same contract,
validated by the contract-file validator (its ``terms`` replace the stored versions for the
simulation only; the contract's currency, tax rate, rounding and dates stay the stored ones).
Each month's KPI values are read as a billing run reads them (superseded rows left out,
``kpis.selectors``), the what-ifs (``pricing.whatif``) are applied, and the months are priced
one after another on the proposed version in force in each (``pricing.simulation``), so that
earn-back reads the credits and KPI values *simulated* for earlier months. The months an
earn-back window reaches before ``from`` are simulated too (from the contract's start at the
earliest), their credits carried into the range but not shown. Amounts agreed on queries
settle a dispute about a statement as issued, not a term: they are in the actual statement and
not in the proposed one.

The actual statement of a month is its issued original with its issued adjustments (the net
after corrections), or, when nothing is issued, its current draft or approved statement.

Queries, whatever the number of months (and of contracts, simulated together on one proposal
with :func:`simulate_terms_for_contracts`): the catalogue, the KPI values (one per 500
contracts), the statements and their lines; and the latest statement's month when ``to`` is
not given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.components import component_to_pricing
from contracts.models import Contract, Kpi
from contracts.schema import ContractFileError, contract_file_validate
from contracts.selectors import contract_pricing_terms, kpi_catalogue
from contracts.tenancy import contracts_for_buyer_of
from kpis.selectors import kpi_month_values_for_periods
from pricing.components.credits import earn_back_window
from pricing.history import months_needed
from pricing.period import Period
from pricing.simulation import MonthToPrice, SimulatedMonth, simulate_months
from pricing.terms import Component, ContractTerms
from pricing.whatif import KpiBounds, WhatIf, WhatIfError, apply_what_ifs, parse_what_ifs

from .inputs import index_values_for
from .models import Statement
from .simulation_actuals import ActualMonth, actual_months

MAX_MONTHS = 36
MAX_REFERENCE = 50  # Contract.reference's length
DEFAULT_MONTHS = 12


class SimulationError(Exception):
    """A simulation that cannot run: ``field`` names the input at fault (``terms``, ``from``,
    ``to``, ``kpi``), ``messages`` say why, each naming the file, key or month."""

    def __init__(self, field: str, messages: Sequence[str] | str):
        self.field = field
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class ProposedTerms:
    """The terms versions of a proposed contract file, ascending by ``effective_from``, each as
    its components in the file's order and its indexation block (canonical, ``None``: not
    indexed)."""

    file_name: str
    versions: tuple[tuple[Period, tuple[Component, ...], dict | None], ...]

    def version_in_force(self, period: Period) -> tuple[tuple[Component, ...], dict | None] | None:
        """The components and indexation of the latest version with ``effective_from`` ≤
        ``period``, or ``None``."""
        found = None
        for effective_from, components, indexation in self.versions:
            if effective_from <= period:
                found = (components, indexation)
        return found

    def components_in_force(self, period: Period) -> tuple[Component, ...] | None:
        """The components of the version in force in ``period``, or ``None``."""
        version = self.version_in_force(period)
        return None if version is None else version[0]

    @property
    def index_codes(self) -> set[str]:
        """The index series the versions' indexation blocks read."""
        return {indexation["index"] for _, _, indexation in self.versions if indexation}


def proposed_terms(*, contract: Contract, file_name: str, content: bytes) -> ProposedTerms:
    """The proposal in a contract file (``content``, YAML or JSON) for ``contract``, validated as
    an import validates it (nothing is imported). Raises ``SimulationError`` (field ``terms``):
    any problem the validator finds, each naming ``file_name`` and the key; a file whose
    ``reference`` is not the contract's."""
    catalogue = kpi_catalogue()
    try:
        spec = contract_file_validate(file_name=file_name, content=content, catalogue=catalogue)
    except ContractFileError as error:
        raise SimulationError("terms", error.lines()) from None
    if spec.reference != contract.reference:
        raise SimulationError(
            "terms",
            f"{file_name}: reference: the file is for contract {spec.reference!r}, not {contract.reference!r}",
        )
    versions = tuple(
        (
            Period.parse(version.effective_from),
            tuple(
                component_to_pricing(component_id=c.id, type_=c.type, params=c.params, catalogue=catalogue)
                for c in version.components
            ),
            version.indexation,
        )
        for version in sorted(spec.versions, key=lambda v: v.effective_from)
    )
    return ProposedTerms(file_name, versions)


@dataclass(frozen=True)
class MonthResult:
    period: Period
    actual: ActualMonth | None  # None: the month has no statement
    proposed: SimulatedMonth


@dataclass(frozen=True)
class Simulation:
    contract: Contract
    terms: ProposedTerms
    currency: str
    decimal_places: int
    first: Period
    last: Period
    what_ifs: tuple[WhatIf, ...]
    months: tuple[MonthResult, ...]


def simulation_range(*, contract: Contract, first: str | None, last: str | None) -> tuple[Period, Period]:
    """The months to simulate, both inclusive: ``last`` (``YYYY-MM``) or the latest month with a
    statement; ``first`` or ``DEFAULT_MONTHS`` months up to ``last``, not before the contract's
    start. Raises ``SimulationError`` (field ``from`` or ``to``): a text that is not a period,
    ``first`` after ``last``, more than ``MAX_MONTHS`` months, a month the contract is not
    active in, no ``last`` and no statement to take it from."""
    try:
        to = Period.parse(last) if last is not None else None
    except ValueError as error:
        raise SimulationError("to", str(error)) from None
    if to is None:
        latest = (
            Statement.objects.filter(contract=contract).order_by("-period").values_list("period", flat=True)
        )
        if not latest:
            raise SimulationError("to", f"{contract.reference} has no statement yet: give the last month")
        to = Period.parse(latest[0])
    start = Period.of(contract.start_date)
    try:
        since = Period.parse(first) if first is not None else max(start, to.shift(1 - DEFAULT_MONTHS))
    except ValueError as error:
        raise SimulationError("from", str(error)) from None
    if since > to:
        raise SimulationError("from", f"{since} is after {to}")
    if (to.year - since.year) * 12 + to.month - since.month + 1 > MAX_MONTHS:
        raise SimulationError("to", f"at most {MAX_MONTHS} months are simulated at once ({since} to {to})")
    if since < start:
        raise SimulationError(
            "from", f"{since} is before {contract.reference} starts ({contract.start_date})"
        )
    if contract.end_date is not None and to > Period.of(contract.end_date):
        raise SimulationError("to", f"{to} is after {contract.reference} ends ({contract.end_date})")
    return since, to


def _months(first: Period, last: Period) -> list[Period]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.next()
    return months


def _catalogue() -> tuple[dict[str, str], dict[str, KpiBounds]]:
    """The KPI names (for the explanations) and the what-ifs' bounds, in one query."""
    names, bounds = {}, {}
    for code, name, unit, low, high in Kpi.objects.values_list(
        "code", "name", "unit", "min_value", "max_value"
    ):
        names[code] = name
        bounds[code] = KpiBounds(low, high, whole=unit == Kpi.Unit.COUNT)
    return names, bounds


def simulation_what_ifs(texts: Sequence[str]) -> tuple[WhatIf, ...]:
    """``texts`` (``CODE=EXPR``, see :mod:`pricing.whatif`) parsed against the catalogue's codes.
    Raises ``SimulationError`` (field ``kpi``) naming the what-if at fault."""
    try:
        return parse_what_ifs(texts, known=set(Kpi.objects.values_list("code", flat=True)))
    except WhatIfError as error:
        raise SimulationError("kpi", str(error)) from None


def simulate_terms(
    *, contract: Contract, terms: ProposedTerms, first: Period, last: Period, what_ifs: Sequence[WhatIf] = ()
) -> Simulation:
    """Price every month ``first``..``last`` (inclusive, as :func:`simulation_range` checks them)
    of ``contract`` on ``terms`` with ``what_ifs`` applied, beside each month's actual statement
    (see the module docstring). Amounts are rounded as the contract's statements are. Writes
    nothing. Raises ``SimulationError`` (field ``terms``) when the proposal has no version in
    force in a month of the range, or a month cannot be priced on it."""
    return simulate_terms_for_contracts(
        contracts=[contract], terms=terms, first=first, last=last, what_ifs=what_ifs
    )[0]


def simulate_terms_for_contracts(
    *,
    contracts: Sequence[Contract],
    terms: ProposedTerms,
    first: Period,
    last: Period,
    what_ifs: Sequence[WhatIf] = (),
) -> list[Simulation]:
    """:func:`simulate_terms` for each of ``contracts`` on the one proposal ``terms`` (contracts
    set up from one template), in their order, in a constant number of queries whatever their
    number: the catalogue, the KPI values (one per 500 contracts), the statements and their
    lines. Raises ``SimulationError`` as :func:`simulate_terms` does, naming the contract."""
    shown = _months(first, last)
    for period in shown:
        if terms.components_in_force(period) is None:
            raise SimulationError("terms", f"{terms.file_name}: terms: no version is in force in {period}")
    window = max((earn_back_window(components) for _, components, _ in terms.versions), default=0)
    for contract in contracts:  # and as far back as settlement periods and caps read
        in_force = _terms_in_force(contract, terms, first)
        window = max(window, months_needed(in_force, first)[1] if in_force else 0)
    earlier = _months(first.shift(-window), first.previous())
    names, bounds = _catalogue()
    ids = [contract.pk for contract in contracts]
    index_values = index_values_for(codes=terms.index_codes, last=last)
    values = kpi_month_values_for_periods(contract_ids=ids, periods=[*earlier, *shown])
    actuals = actual_months(contract_ids=ids, periods=shown)
    simulations = []
    for contract in contracts:
        # The months an earn-back window reaches before ``first``, from the contract's start.
        periods = [p for p in earlier if p >= Period.of(contract.start_date)] + shown
        months = [
            MonthToPrice(
                period,
                _terms_in_force(contract, terms, period),
                apply_what_ifs(
                    {code: v.value for code, v in values[period][contract.pk].items()},
                    what_ifs,
                    bounds=bounds,
                ),
                index_values,
            )
            for period in periods
        ]
        simulated = simulate_months(months=months, kpi_names=names)[len(periods) - len(shown) :]
        for month in simulated:
            if month.statement is None:
                raise SimulationError(
                    "terms", f"{terms.file_name}: {contract.reference} {month.period}: {month.error}"
                )
        some = simulated[0].inputs.terms
        of_contract = actuals.get(contract.pk, {})
        simulations.append(
            Simulation(
                contract=contract,
                terms=terms,
                currency=some.currency,
                decimal_places=some.decimal_places,
                first=first,
                last=last,
                what_ifs=tuple(what_ifs),
                months=tuple(MonthResult(m.period, of_contract.get(m.period), m) for m in simulated),
            )
        )
    return simulations


def _terms_in_force(contract: Contract, terms: ProposedTerms, period: Period) -> ContractTerms | None:
    version = terms.version_in_force(period)
    if version is None:
        return None
    components, indexation = version
    return contract_pricing_terms(contract=contract, components=components, indexation=indexation)


def simulation_contract(*, reference: str, user=None) -> Contract:
    """The contract ``reference`` that ``user`` may simulate: any with no user (the command
    line's operator) or for a superuser, its buyer's for a procurement user. Raises
    ``SimulationError`` (field ``contract``) for no such contract, or one ``user`` may not see,
    alike."""
    contracts = Contract.objects.all() if user is None else contracts_for_buyer_of(user)
    contract = contracts.filter(reference=reference).first() if len(reference) <= MAX_REFERENCE else None
    if contract is None:
        raise SimulationError("contract", f"no contract {reference[:MAX_REFERENCE]!r} that may be simulated")
    return contract


def simulation_from_file(
    *,
    contract: Contract,
    file_name: str,
    content: bytes,
    first: str | None = None,
    last: str | None = None,
    what_ifs: Sequence[str] = (),
) -> Simulation:
    """Validate the inputs in the order a user reads them (the file, the months, the what-ifs)
    and simulate: :func:`proposed_terms`, :func:`simulation_range`, :func:`simulation_what_ifs`,
    :func:`simulate_terms`. Raises ``SimulationError`` from any of them."""
    terms = proposed_terms(contract=contract, file_name=file_name, content=content)
    since, to = simulation_range(contract=contract, first=first, last=last)
    changes = simulation_what_ifs(what_ifs)
    return simulate_terms(contract=contract, terms=terms, first=since, last=to, what_ifs=changes)
