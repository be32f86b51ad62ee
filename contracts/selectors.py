"""Reads: contracts active in a period, the terms version in force, pricing terms."""

from __future__ import annotations

import math
from collections.abc import Iterable

import moneyed
from django.db.models import Prefetch, Q, QuerySet

from kpis.models import Kpi
from pricing.money import Rounding
from pricing.period import Period
from pricing.terms import ContractTerms

from .components import KpiCatalogue, KpiInfo, component_to_pricing
from .models import Component, Contract, TermsVersion


def kpi_catalogue() -> KpiCatalogue:
    """Unit, direction and aggregation of every catalogued KPI, by code."""
    return {
        code: KpiInfo(unit, direction, aggregation)
        for code, unit, direction, aggregation in Kpi.objects.values_list(
            "code", "unit", "direction", "aggregation"
        )
    }


def currency_decimal_places(code: str) -> int:
    """The ISO 4217 minor unit: 2 for GBP, 0 for JPY, 3 for BHD."""
    return round(math.log10(moneyed.get_currency(code).sub_unit))


def contracts_active_in_period(*, period: Period) -> QuerySet[Contract]:
    """Contracts with at least one day inside ``period`` (start and end dates inclusive)."""
    return Contract.objects.filter(start_date__lte=period.last_day).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=period.first_day)
    )


def terms_version_for_period(*, contract: Contract, period: Period) -> TermsVersion | None:
    """The latest version with ``effective_from`` ≤ ``period``, or ``None``."""
    return contract.versions.filter(effective_from__lte=str(period)).order_by("-effective_from").first()


def _pricing_terms(
    contract: Contract, components: Iterable[Component], catalogue: KpiCatalogue
) -> ContractTerms:
    return ContractTerms(
        currency=str(contract.currency),
        decimal_places=currency_decimal_places(str(contract.currency)),
        rounding=Rounding(contract.rounding),
        tax_rate=contract.tax_rate,
        start_date=contract.start_date,
        end_date=contract.end_date,
        components=tuple(
            component_to_pricing(
                component_id=c.component_id, type_=c.type, params=c.params, catalogue=catalogue
            )
            for c in components
        ),
    )


def contract_terms_for_period(
    *, contract: Contract, period: Period, version: TermsVersion | None = None
) -> ContractTerms | None:
    """The pricing terms of ``contract`` for ``period`` (or of the given ``version``).

    Returns ``None`` when no version is in force yet.
    """
    version = version or terms_version_for_period(contract=contract, period=period)
    if version is None:
        return None
    return _pricing_terms(contract, version.components.order_by("position", "id"), kpi_catalogue())


def contract_terms_for_contracts(
    *, contract_ids: Iterable[int], period: Period
) -> dict[int, tuple[TermsVersion, ContractTerms]]:
    """Terms in force for many contracts with a constant number of queries.

    Contracts with no version in force for ``period`` are left out.
    """
    catalogue = kpi_catalogue()
    versions = TermsVersion.objects.filter(
        contract_id__in=list(contract_ids), effective_from__lte=str(period)
    )
    latest: dict[int, TermsVersion] = {}
    for version in (
        versions.select_related("contract")
        .prefetch_related(Prefetch("components", queryset=Component.objects.order_by("position", "id")))
        .order_by("contract_id", "effective_from")
    ):
        latest[version.contract_id] = version
    return {
        contract_id: (version, _pricing_terms(version.contract, version.components.all(), catalogue))
        for contract_id, version in latest.items()
    }
