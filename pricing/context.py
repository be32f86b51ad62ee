"""The month being priced: KPI look-ups, proration and rounding in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from .errors import PricingError
from .money import round_money
from .result import Flag, FlagCode
from .text import in_sentence, money_text, number_text

if TYPE_CHECKING:
    # Only a type here: pricing.terms re-exports the component modules, which import this one.
    from .terms import PricingInput


@dataclass
class Month:
    """Helpers shared by the component pricers for one ``PricingInput``.

    ``active_days / days`` is the proration factor for fixed money amounts; it is 1 for a
    whole month. Flags raised while pricing are collected in ``flags`` (deduplicated).
    """

    inp: PricingInput
    active_days: int
    days: int
    flags: list[Flag] = field(default_factory=list)

    @classmethod
    def of(cls, inp: PricingInput) -> Month:
        """Raises ``PricingError`` when the contract is not active on any day of the period."""
        terms = inp.terms
        active = inp.period.active_days(terms.start_date, terms.end_date)
        if active == 0:
            raise PricingError(
                f"the contract is not active in {inp.period} "
                f"(start {terms.start_date}, end {terms.end_date or 'open'})"
            )
        return cls(inp=inp, active_days=active, days=inp.period.days)

    @property
    def places(self) -> int:
        return self.inp.terms.decimal_places

    @property
    def prorated(self) -> bool:
        return self.active_days != self.days

    def round(self, amount: Decimal) -> Decimal:
        """Round a line amount once, to the currency's minor unit, with the contract's mode."""
        return round_money(amount, decimal_places=self.places, rounding=self.inp.terms.rounding)

    def money(self, amount: Decimal) -> str:
        return money_text(amount, self.places)

    def price(self, price: Decimal) -> str:
        """A unit price: with the currency's places, or more when the price has more."""
        if -price.as_tuple().exponent <= self.places:
            return self.money(price)
        return number_text(price)

    def prorate(self, amount: Decimal) -> Decimal:
        """A fixed monthly money amount × active days / days in month (exact)."""
        if not self.prorated:
            return amount
        return amount * self.active_days / self.days

    def prorate_text(self, amount: Decimal) -> str:
        """``"60,000.00"`` or ``"60,000.00 × 22/31 days = 42,580.65"`` for a prorated month."""
        if not self.prorated:
            return self.money(amount)
        prorated = self.prorate(amount)
        return f"{self.money(amount)} × {self.active_days}/{self.days} days = {self.money(prorated)}"

    def kpi_name(self, code: str) -> str:
        """The KPI's display name (``inp.kpi_names``), or ``code`` when it has none."""
        return self.inp.kpi_names.get(code) or code

    def kpi_phrase(self, code: str) -> str:
        """The KPI's display name as it reads inside a sentence (:func:`~pricing.text.in_sentence`)."""
        return in_sentence(self.kpi_name(code))

    def kpi(self, code: str, *, component_id: str | None = None) -> Decimal | None:
        """The month's value of ``code``; ``None`` (and a not-measured flag) when absent."""
        value = self.inp.kpis.get(code)
        if value is None:
            self.flag(
                FlagCode.KPI_NOT_MEASURED,
                f"{code} was not measured in {self.inp.period}",
                component_id=component_id,
                kpi=code,
            )
        return value

    def flag(self, code: FlagCode, message: str, *, component_id: str | None = None, kpi: str | None = None):
        flag = Flag(code=code, message=message, component_id=component_id, kpi=kpi)
        if flag not in self.flags:
            self.flags.append(flag)
