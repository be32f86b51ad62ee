"""What the incentive-alignment check reports: verdicts, steps, sensitivities, traps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ..components import Direction
from ..period import Period


class Verdict(StrEnum):
    ALIGNED = "aligned"  # the supplier earns more when the KPI gets better for the buyer
    MISALIGNED = "misaligned"  # the supplier earns less
    INDIFFERENT = "indifferent"  # the step does not change its pay


@dataclass(frozen=True, slots=True)
class KpiFacts:
    """One KPI as the check needs it. ``better``: the direction better for the *buyer*;
    ``unit``: ``count``, ``money``, ``percent``, ``seconds`` or ``score``; ``min_value`` and
    ``max_value``: inclusive bounds a step never crosses (``None``: unbounded); ``volume``: a
    contact volume (what the "pay rises with volume" trap looks at)."""

    better: Direction
    unit: str
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    volume: bool = False


@dataclass(frozen=True, slots=True)
class KpiStep:
    """One KPI moved one step: ``reference`` → ``moved`` (``step = moved − reference``, signed),
    ``rule`` the step rule in words; ``moved_with``: the parts or total moved along, as
    ``(code, reference, moved)``."""

    kpi: str
    reference: Decimal
    moved: Decimal
    rule: str
    moved_with: tuple[tuple[str, Decimal, Decimal], ...] = ()

    @property
    def step(self) -> Decimal:
        return self.moved - self.reference


@dataclass(frozen=True, slots=True)
class Sensitivity:
    """The month priced with one KPI moved: the nets before and after (rounded, currency units)."""

    step: KpiStep
    reference_net: Decimal
    moved_net: Decimal

    @property
    def pay_change(self) -> Decimal:
        return self.moved_net - self.reference_net

    @property
    def verdict(self) -> Verdict:
        change = self.pay_change
        if change > 0:
            return Verdict.ALIGNED
        return Verdict.MISALIGNED if change < 0 else Verdict.INDIFFERENT


@dataclass(frozen=True, slots=True)
class Unchecked:
    """A KPI the terms use that could not be moved, and why."""

    kpi: str
    reason: str


@dataclass(frozen=True, slots=True)
class Trap:
    """A classic incentive trap: ``code`` (stable), ``message`` (one sentence with the
    numbers), ``numbers`` (the same figures as strings, for JSON)."""

    code: str
    message: str
    numbers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class AlignmentReport:
    period: Period
    reference_net: Decimal
    sensitivities: tuple[Sensitivity, ...]
    unchecked: tuple[Unchecked, ...]
    traps: tuple[Trap, ...]
