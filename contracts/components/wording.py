"""How a rate card says numbers, money and KPIs: the shared vocabulary of the describers.

Each component type's ``describe(params, wording)`` (its :class:`~.base.ComponentType` entry)
turns canonical parameters into short lines of text for procurement to read instead of the
JSON a ``Component`` row stores. The describers read canonical parameters only, so they never
validate: a row that does not validate any more is shown by :func:`~contracts.components.
component_rate_card` as its raw keys rather than failing the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from pricing.text import money_text, number_text

from .base import KpiCatalogue


@dataclass(frozen=True)
class Wording:
    """The contract's currency (ISO code and minor unit) and the KPI catalogue's names and
    directions, by code; a code the catalogue does not hold is shown as the code."""

    currency: str
    decimal_places: int
    kpi_names: Mapping[str, str] = field(default_factory=dict)
    catalogue: KpiCatalogue = field(default_factory=dict)

    def money(self, value: str) -> str:
        """``"3.5"`` → ``"GBP 3.50"``: at least the currency's places, more when the contract
        gives them (a price of ``"0.125"`` is shown as it is, never rounded for display)."""
        amount = Decimal(value)
        places = max(self.decimal_places, -amount.normalize().as_tuple().exponent)
        return f"{self.currency} {money_text(amount, places)}"

    def number(self, value: str) -> str:
        """``"10000"`` → ``"10,000"``, ``"5.20"`` → ``"5.2"``."""
        return number_text(Decimal(value))

    def percent(self, value: str) -> str:
        """``"12.50"`` → ``"12.5 %"``."""
        return f"{self.number(value)} %"

    def kpi(self, code: str) -> str:
        """The KPI's catalogue name (``"Voice contacts handled"``), or its code if unknown."""
        return self.kpi_names.get(code, code)

    def kpi_rounding(self, rounding: dict | None) -> str:
        """``"; the value first rounded half up to a whole number"`` for a KPI use with
        ``round`` (``""`` without)."""
        if rounding is None:
            return ""
        mode = rounding["mode"].replace("_", " ")
        decimals = rounding["decimals"]
        places = {0: "a whole number", 1: "1 decimal"}.get(decimals, f"{decimals} decimals")
        return f"; the value first rounded {mode} to {places}"

    def lower_is_better(self, code: str) -> bool:
        info = self.catalogue.get(code)
        return info is not None and info.direction == "lower_is_better"

    def bands(self, bands: list, limit_key: str, each, limit_text=None) -> str:
        """``"3.00 each up to 10,000; 2.00 each above 10,000"``: ``each(band)`` says a band's
        value, ``limit_key`` holds its inclusive upper limit (``None`` on the open last band),
        ``limit_text`` says a limit (a number by default)."""
        limit_text = limit_text or self.number
        parts, previous = [], None
        for band in bands:
            limit = band[limit_key]
            if limit is not None:
                parts.append(f"{each(band)} up to {limit_text(limit)}")
            elif previous is None:
                parts.append(each(band))
            else:
                parts.append(f"{each(band)} above {limit_text(previous)}")
            previous = limit
        return "; ".join(parts)
