"""Reads: contracts active in a period, the terms version in force, pricing terms, a contract
as it stands now or stood at a moment, a terms version's component history."""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import moneyed
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from core.databases import database_path
from pricing.money import Rounding
from pricing.period import Period
from pricing.terms import ContractTerms

from .components import KpiCatalogue, KpiInfo, Wording, component_to_pricing
from .indexation import indexation_to_pricing
from .models import Component, Contract, Kpi, Organisation, SelfBillingAgreement, TermsVersion
from .schema import ComponentSpec


def kpi_catalogue() -> KpiCatalogue:
    """Unit, direction and aggregation of every catalogued KPI, by code (one query): what
    contract files and terms, which name KPIs by code, are checked against."""
    return {
        code: KpiInfo(unit, direction, aggregation)
        for code, unit, direction, aggregation in Kpi.objects.values_list(
            "code", "unit", "direction", "aggregation"
        )
    }


def kpi_names() -> dict[str, str]:
    """Each catalogued KPI's display name (``"All contacts handled"``), by code (one query):
    what statements' explanations call the KPIs their terms name by code."""
    return dict(Kpi.objects.values_list("code", "name"))


def kpi_default_sources() -> dict[str, str]:
    """Each catalogued KPI's authoritative party (``buyer`` or ``supplier``), by code (one query)."""
    return dict(Kpi.objects.values_list("code", "source"))


def kpi_sources_of(contract: Contract, defaults: dict[str, str] | None = None) -> dict[str, str]:
    """Every KPI's authoritative party on ``contract``: the catalogue's, unless the contract's
    ``kpi_sources`` names another."""
    sources = dict(kpi_default_sources() if defaults is None else defaults)
    sources.update({code: party for code, party in contract.kpi_sources.items() if code in sources})
    return sources


@functools.lru_cache(maxsize=64)
def currency_decimal_places(code: str) -> int:
    """The ISO 4217 minor unit: 2 for GBP, 0 for JPY, 3 for BHD."""
    return round(math.log10(moneyed.get_currency(code).sub_unit))


def contract_wording(contract: Contract) -> Wording:
    """How the rate cards of ``contract`` say money (its currency) and KPIs (the catalogue's
    names and directions): two queries of the catalogue. The admin's terms pages and the
    supplier portal's terms page both say a rate card with it."""
    currency = str(contract.currency)
    return Wording(
        currency=currency,
        decimal_places=currency_decimal_places(currency),
        kpi_names=dict(Kpi.objects.values_list("code", "name")),
        catalogue=kpi_catalogue(),
    )


def contracts_active_in_period(*, period: Period) -> QuerySet[Contract]:
    """Contracts with at least one day inside ``period`` (start and end dates inclusive)."""
    return Contract.objects.filter(start_date__lte=period.last_day).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=period.first_day)
    )


def _contract_terms(contract: Contract, components: tuple, indexation: dict | None = None) -> ContractTerms:
    return ContractTerms(
        currency=str(contract.currency),
        decimal_places=currency_decimal_places(str(contract.currency)),
        rounding=Rounding(contract.rounding),
        tax_rate=contract.tax_rate,
        start_date=contract.start_date,
        end_date=contract.end_date,
        components=components,
        indexation=None if indexation is None else indexation_to_pricing(indexation),
    )


def contract_pricing_terms(
    *, contract: Contract, components: tuple, indexation: dict | None = None
) -> ContractTerms:
    """The pricing terms of ``contract`` (its currency, rounding, tax rate and dates as stored)
    with ``components`` and the canonical ``indexation`` block in place of its stored ones: a
    proposal priced as the contract."""
    return _contract_terms(contract, components, indexation)


@dataclass(frozen=True)
class TermsInForce:
    """The terms version in force for a contract's month and its pricing terms."""

    version_id: int
    effective_from: str
    components: tuple[ComponentSpec, ...]  # in position order
    terms: ContractTerms
    indexation: dict | None = None  # the version's canonical indexation block, if any


# The latest version in force per contract, and its components in position order, in one query.
_TERMS_SQL = """
SELECT v.id, v.contract_id, v.effective_from, v.indexation::text, c.component_id, c.type, c.params::text
FROM (
    SELECT DISTINCT ON (contract_id) id, contract_id, effective_from, indexation
    FROM {versions}
    WHERE contract_id = ANY(%s::bigint[]) AND effective_from <= %s
    ORDER BY contract_id, effective_from DESC
) AS v
LEFT JOIN {components} AS c ON c.version_id = v.id
ORDER BY v.id, c.position, c.id
"""


def _versions_in_force_postgresql(
    contract_ids: list[int], period: Period
) -> tuple[dict[int, tuple[int, str, str | None]], list[tuple[int, str, str, str]]]:
    """One query with the ids as one array parameter (no per-id placeholders to build)."""
    latest: dict[int, tuple[int, str, str | None]] = {}
    sql = _TERMS_SQL.format(
        versions=connection.ops.quote_name(TermsVersion._meta.db_table),
        components=connection.ops.quote_name(Component._meta.db_table),
    )  # fixed table names, no user input
    components = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [contract_ids, str(period)])
        for (
            version_id,
            contract_id,
            effective_from,
            indexation,
            component_id,
            type_,
            params,
        ) in cursor.fetchall():
            latest[contract_id] = (version_id, effective_from, indexation)
            if component_id is not None:  # a version without components: no joined row
                components.append((version_id, component_id, type_, params))
    return latest, components


def _versions_in_force_portable(
    contract_ids: list[int], period: Period
) -> tuple[dict[int, tuple[int, str, str | None]], list[tuple[int, str, str, str]]]:
    """Two queries: the versions up to ``period``, then the latest ones' components."""
    latest: dict[int, tuple[int, str, str | None]] = {}
    for version_id, contract_id, effective_from, indexation in (
        TermsVersion.objects.filter(contract_id__in=contract_ids, effective_from__lte=str(period))
        .order_by("contract_id", "effective_from")
        .values_list("pk", "contract_id", "effective_from", Cast("indexation", TextField()))
    ):
        latest[contract_id] = (version_id, effective_from, indexation)
    return latest, _component_rows([version_id for version_id, *_ in latest.values()])


def _component_rows(version_ids: list[int]) -> list[tuple[int, str, str, str]]:
    """(version id, component id, type, parameters as JSON text) of the versions, in position order."""
    return list(
        Component.objects.filter(version_id__in=version_ids)
        .order_by("version_id", "position", "id")
        .values_list("version_id", "component_id", "type", Cast("params", TextField()))
    )


# The version in force per contract as (id, effective_from, indexation as JSON text or None),
# and the components of those
# versions as (version id, component id, type, parameters as JSON text) in position order.
versions_in_force = database_path(
    "contracts.terms_in_force", postgresql=_versions_in_force_postgresql, portable=_versions_in_force_portable
)


def terms_in_force_for_contracts(*, contracts: Iterable[Contract], period: Period) -> dict[int, TermsInForce]:
    """The latest version with ``effective_from`` ≤ ``period`` of each contract, with its
    pricing terms, in a constant number of queries whatever the number of contracts (on
    PostgreSQL two: versions with their components, KPI catalogue). Contracts with no version
    in force are left out.

    Components with the same id, type and parameters (contracts set up from one template)
    are parsed once and share their frozen ``pricing.terms`` object.
    """
    by_id = {contract.pk: contract for contract in contracts}
    latest, rows = versions_in_force(list(by_id), period)
    return _terms_of(by_id, latest, rows)


def terms_of_versions(
    *, contracts: Iterable[Contract], version_ids: dict[int, int]
) -> dict[int, TermsInForce]:
    """The terms version ``version_ids[contract id]`` of each contract (re-pricing an issued
    month on the version it was issued with), in three queries whatever the number of
    contracts (versions, components, KPI catalogue; none for no contract). A version that is not the contract's is
    left out, as is a contract not in ``version_ids``."""
    by_id = {contract.pk: contract for contract in contracts if contract.pk in version_ids}
    if not by_id:  # a chunk of drafts only: no query
        return {}
    latest = {
        contract_id: (version_id, effective_from, indexation)
        for version_id, contract_id, effective_from, indexation in TermsVersion.objects.filter(
            pk__in=[version_ids[contract_id] for contract_id in by_id], contract_id__in=list(by_id)
        ).values_list("pk", "contract_id", "effective_from", Cast("indexation", TextField()))
    }
    return _terms_of(by_id, latest, _component_rows([version_id for version_id, *_ in latest.values()]))


def _terms_of(
    by_id: dict[int, Contract],
    latest: dict[int, tuple[int, str, str | None]],
    rows: list[tuple[int, str, str, str]],
) -> dict[int, TermsInForce]:
    """Each contract's ``TermsInForce`` from its version (``latest``) and the versions'
    component rows. Components with the same id, type and parameters (contracts set up from
    one template) are parsed once and share their frozen ``pricing.terms`` object."""
    catalogue = kpi_catalogue()
    parsed: dict[tuple[str, str, str], tuple[ComponentSpec, object]] = {}
    by_version: dict[int, list[tuple[ComponentSpec, object]]] = defaultdict(list)
    for version_id, component_id, type_, params_text in rows:
        key = (component_id, type_, params_text)
        if key not in parsed:
            params = json.loads(params_text)
            pricing = component_to_pricing(
                component_id=component_id, type_=type_, params=params, catalogue=catalogue
            )
            parsed[key] = (ComponentSpec(component_id, type_, params), pricing)
        by_version[version_id].append(parsed[key])
    result = {}
    for contract_id, (version_id, effective_from, indexation_text) in latest.items():
        components = by_version.get(version_id, [])
        indexation = _indexation_of(indexation_text)
        result[contract_id] = TermsInForce(
            version_id=version_id,
            effective_from=effective_from,
            components=tuple(stored for stored, _ in components),
            terms=_contract_terms(
                by_id[contract_id], tuple(pricing for _, pricing in components), indexation
            ),
            indexation=indexation,
        )
    return result


def _indexation_of(text: str | None) -> dict | None:
    """A stored indexation block from its JSON text (SQL ``NULL`` and JSON ``null`` alike: none)."""
    return None if text is None else json.loads(text)


def self_billing_problem(contract: Contract, issue_date) -> str | None:
    """Why a self-billed statement of ``contract`` may not be issued on ``issue_date``, or None.

    HMRC VAT Notice 700/62: the buyer self-bills only under an agreement with the supplier in
    force on the issue date, and only while the supplier's VAT number is the one agreed. None
    for a contract that is not self-billed."""
    if not contract.self_billing:
        return None
    agreements = contract.self_billing_agreements.filter(start_date__lte=issue_date, end_date__gte=issue_date)
    agreement = agreements.order_by("-start_date", "-pk").first()
    if agreement is None:
        return (
            f"{contract.reference} is self-billed and no self-billing agreement with the supplier covers "
            f"{issue_date}: record the agreement (start, end and the supplier's VAT number) before issuing"
        )
    current = contract.supplier.vat_number
    if current != agreement.supplier_vat_number:
        return (
            f"{contract.reference} is self-billed and the supplier's VAT number changed since the "
            f"self-billing agreement of {agreement.start_date} (agreed {agreement.supplier_vat_number or 'none'}, "
            f"now {current or 'none'}): record a new agreement with the current VAT number before issuing"
        )
    return None


# A terms version as a contract file states it: its month and its components in position
# order, each as (component id, type, parameters).
StoredComponent = tuple[str, str, dict]
StoredVersion = tuple[str, tuple[StoredComponent, ...]]


@dataclass(frozen=True)
class ContractRecord:
    """What a contract file holds of a contract: the contract, its two parties, its terms
    versions in month order and the self-billing agreement the file states (the latest
    recorded), now or as they stood at a moment. The contract and parties are model instances
    (at a moment: rebuilt from their history, not saved)."""

    contract: Contract
    buyer: Organisation
    supplier: Organisation
    versions: tuple[StoredVersion, ...]
    agreement: SelfBillingAgreement | None
    indexations: dict[str, dict] = field(default_factory=dict)  # by effective_from, indexed versions only


def stored_components(version: TermsVersion) -> tuple[StoredComponent, ...]:
    """The components of ``version`` as (id, type, parameters), in position order."""
    return tuple((c.component_id, c.type, c.params) for c in version.components.order_by("position", "id"))


def _latest_agreement(contract: Contract, moment: datetime | None = None) -> SelfBillingAgreement | None:
    agreements = contract.self_billing_agreements.all()
    if moment is not None:  # agreements are recorded, never changed: those recorded by then
        agreements = agreements.filter(recorded_at__lte=moment)
    return agreements.order_by("-start_date", "-pk").first()


def contract_record(*, contract: Contract) -> ContractRecord:
    """``contract`` as it is now."""
    versions = list(contract.versions.order_by("effective_from"))
    return ContractRecord(
        contract=contract,
        buyer=contract.buyer,
        supplier=contract.supplier,
        versions=tuple((version.effective_from, stored_components(version)) for version in versions),
        agreement=_latest_agreement(contract),
        indexations={v.effective_from: v.indexation for v in versions if v.indexation is not None},
    )


class HistoryGap(Exception):
    """The history kept does not reach back to the moment asked for (rows older than the
    history, migration 0004, have none until they next change)."""


def _as_of(model, moment: datetime, pk: int, what: str):
    try:
        return model.history.as_of(moment).get(pk=pk)
    except ObjectDoesNotExist:
        raise HistoryGap(f"the history of {what} does not reach back to {moment:%Y-%m-%d %H:%M}") from None


def contract_record_as_of(*, contract: Contract, moment: datetime) -> ContractRecord | None:
    """``contract`` as it stood at ``moment`` (aware; inclusive), rebuilt from the history of
    the contract, its parties, terms versions and components (django-simple-history's
    ``as_of``: the latest record of each row at or before ``moment``, deleted rows left out),
    and the agreements recorded by then. ``None`` when the contract had not been created by
    then; raises ``HistoryGap`` when it had, but its history or a party's does not go back so
    far. Six queries whatever the number of versions."""
    if contract.created_at > moment:
        return None
    then = _as_of(Contract, moment, contract.pk, contract.reference)
    versions = sorted(
        TermsVersion.history.as_of(moment).filter(contract_id=contract.pk), key=lambda v: v.effective_from
    )
    components: dict[int, list[Component]] = defaultdict(list)
    for component in Component.history.as_of(moment).filter(version_id__in=[v.pk for v in versions]):
        components[component.version_id].append(component)
    return ContractRecord(
        contract=then,
        buyer=_as_of(Organisation, moment, then.buyer_id, f"{contract.reference}'s buyer"),
        supplier=_as_of(Organisation, moment, then.supplier_id, f"{contract.reference}'s supplier"),
        versions=tuple(
            (
                version.effective_from,
                tuple(
                    (c.component_id, c.type, c.params)
                    for c in sorted(components[version.pk], key=lambda c: (c.position, c.pk))
                ),
            )
            for version in versions
        ),
        agreement=_latest_agreement(contract, moment),
        indexations={v.effective_from: v.indexation for v in versions if v.indexation is not None},
    )


# Most component records a terms version's History page lists (newest first): a version's
# components change a few times a year; a longer story is cut, and says so.
COMPONENT_HISTORY_LIMIT = 500
# Longest value a change shows before and after (a band list of 50 bands is about 2,500).
SHOWN_VALUE_CHARS = 4000


@dataclass(frozen=True)
class ComponentChange:
    """One recorded change of a component of a terms version: who, when, what it did
    (added, changed, removed, added again) and each field or parameter changed, with its
    value before and after as text (``""``: absent)."""

    at: datetime
    author: object  # the user, or None (a command run without --user)
    component_id: str
    action: str
    fields: tuple[tuple[str, str, str], ...]


def _shown_value(value) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= SHOWN_VALUE_CHARS else f"{text[:SHOWN_VALUE_CHARS]}… ({len(text)} characters)"


def _component_fields(before: dict | None, after: dict) -> tuple[tuple[str, str, str], ...]:
    """(name, before, after) of each field that differs; parameters one key at a time."""
    before = before or {"position": None, "type": None, "params": {}}
    changed = [
        (name, _shown_value(before[name]), _shown_value(after[name]))
        for name in ("type", "position")
        if before[name] != after[name]
    ]
    old, new = before["params"] or {}, after["params"] or {}
    for key in [*old, *(key for key in new if key not in old)]:
        if old.get(key) != new.get(key):
            changed.append((f"params.{key}", _shown_value(old.get(key)), _shown_value(new.get(key))))
    return tuple(changed)


def component_history(*, version: TermsVersion) -> tuple[list[ComponentChange], bool]:
    """The recorded changes of ``version``'s components, newest first, each compared with the
    component of the same id as it was before (whatever its row: an import before migration
    0007 replaced a version's components by new rows, so the same component continued on a
    new row). Returns the latest ``COMPONENT_HISTORY_LIMIT`` changes and whether older ones
    were left out. A record that changed nothing (a form saved as it was) is left out. One
    query."""
    records = (
        Component.history.filter(version_id=version.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    current: dict[str, dict] = {}
    removed: dict[str, dict] = {}
    changes: list[ComponentChange] = []
    for record in records.iterator():
        state = {"type": record.type, "position": record.position, "params": record.params}
        cid = record.component_id
        if record.history_type == "-":
            action, fields = "removed", ()
            removed[cid] = current.pop(cid, state)
        elif cid in current:
            action, fields = "changed", _component_fields(current[cid], state)
            current[cid] = state
            if not fields:
                continue
        else:
            action = "added again" if cid in removed else "added"
            fields = _component_fields(removed.pop(cid, None), state)
            current[cid] = state
        changes.append(ComponentChange(record.history_date, record.history_user, cid, action, fields))
    changes.reverse()
    return changes[:COMPONENT_HISTORY_LIMIT], len(changes) > COMPONENT_HISTORY_LIMIT
