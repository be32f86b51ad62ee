"""What-if changes to a month's KPI values: ``csat=+2``, ``contacts_voice=*0.9``, ``service_level=85``.

A what-if names a KPI code and one operation on its value:

- ``CODE=+N`` / ``CODE=-N``: add / subtract ``N``;
- ``CODE=*F``: multiply by ``F`` (0 ≤ F ≤ ``MAX_FACTOR``);
- ``CODE=N``: set to ``N`` (a KPI that was not measured becomes measured).

Numbers are plain decimals: at most ``MAX_INTEGER_DIGITS`` digits before the point and
``MAX_DECIMAL_PLACES`` after it, no exponent. Adding to or multiplying a KPI that was not
measured leaves it not measured. The result is kept within the KPI's bounds (a percentage
stays within 0–100, a count or an amount does not go below 0) and a count is rounded to a
whole number, half up; other results are exact.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

MAX_WHAT_IFS = 20
MAX_TEXT = 80
MAX_INTEGER_DIGITS = 12
MAX_DECIMAL_PLACES = 6
MAX_FACTOR = Decimal(100)
_WHAT_IF_RE = re.compile(
    rf"^(?P<kpi>[a-z0-9_]{{1,40}})=(?P<op>[+\-*]?)"
    rf"(?P<number>[0-9]{{1,{MAX_INTEGER_DIGITS}}}(?:\.[0-9]{{1,{MAX_DECIMAL_PLACES}}})?)$"
)


class WhatIfError(ValueError):
    """A what-if that is not understood, names an unknown KPI, or repeats one."""


class Operation(StrEnum):
    ADD = "add"
    MULTIPLY = "multiply"
    SET = "set"


@dataclass(frozen=True, slots=True)
class WhatIf:
    """One change: ``operand`` is added (negative: subtracted), multiplied by, or set."""

    kpi: str
    operation: Operation
    operand: Decimal

    def __str__(self) -> str:
        if self.operation is Operation.ADD:
            return f"{self.kpi}={'-' if self.operand < 0 else '+'}{abs(self.operand)}"
        return f"{self.kpi}={'*' if self.operation is Operation.MULTIPLY else ''}{self.operand}"


@dataclass(frozen=True, slots=True)
class KpiBounds:
    """What a changed value is kept to: ``low``/``high`` inclusive (``None``: unbounded);
    ``whole`` rounds it to a whole number (counts)."""

    low: Decimal | None = None
    high: Decimal | None = None
    whole: bool = False


def parse_what_if(text: str, *, known: Collection[str]) -> WhatIf:
    """One what-if from its text (see the module docstring). Raises ``WhatIfError`` naming the
    text: longer than ``MAX_TEXT``, not ``CODE=EXPR``, a KPI code not in ``known``, a factor
    above ``MAX_FACTOR``."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise WhatIfError(f"a what-if is a text of at most {MAX_TEXT} characters")
    match = _WHAT_IF_RE.match(text.strip())
    if match is None:
        raise WhatIfError(
            f"{text!r}: expected CODE=+N, CODE=-N, CODE=*F or CODE=N "
            f"(at most {MAX_INTEGER_DIGITS} digits and {MAX_DECIMAL_PLACES} decimal places)"
        )
    kpi, op, number = match["kpi"], match["op"], Decimal(match["number"])
    if kpi not in known:
        raise WhatIfError(f"{text!r}: {kpi!r} is not a KPI code of the catalogue")
    if op == "*":
        if number > MAX_FACTOR:
            raise WhatIfError(f"{text!r}: a factor is at most {MAX_FACTOR}")
        return WhatIf(kpi, Operation.MULTIPLY, number)
    if op:
        return WhatIf(kpi, Operation.ADD, -number if op == "-" else number)
    return WhatIf(kpi, Operation.SET, number)


def parse_what_ifs(texts: Iterable[str], *, known: Collection[str]) -> tuple[WhatIf, ...]:
    """Every what-if of ``texts`` (see :func:`parse_what_if`); at most ``MAX_WHAT_IFS``, one per
    KPI. Raises ``WhatIfError`` for the first problem found."""
    texts = list(texts)
    if len(texts) > MAX_WHAT_IFS:
        raise WhatIfError(f"at most {MAX_WHAT_IFS} what-ifs, got {len(texts)}")
    what_ifs, seen = [], set()
    for text in texts:
        what_if = parse_what_if(text, known=known)
        if what_if.kpi in seen:
            raise WhatIfError(f"{text!r}: {what_if.kpi} is changed twice")
        seen.add(what_if.kpi)
        what_ifs.append(what_if)
    return tuple(what_ifs)


def _changed(value: Decimal | None, what_if: WhatIf) -> Decimal | None:
    if what_if.operation is Operation.SET:
        return what_if.operand
    if value is None:
        return None
    if what_if.operation is Operation.ADD:
        return value + what_if.operand
    return value * what_if.operand


def _bounded(value: Decimal, bounds: KpiBounds) -> Decimal:
    if bounds.whole:
        value = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if bounds.low is not None and value < bounds.low:
        return bounds.low
    if bounds.high is not None and value > bounds.high:
        return bounds.high
    return value


def apply_what_ifs(
    kpis: Mapping[str, Decimal | None], what_ifs: Iterable[WhatIf], *, bounds: Mapping[str, KpiBounds]
) -> dict[str, Decimal | None]:
    """A copy of one month's ``kpis`` with each what-if applied, each result kept within its
    KPI's ``bounds`` (none for a KPI not in ``bounds``). A KPI left not measured is absent."""
    changed = dict(kpis)
    for what_if in what_ifs:
        value = _changed(changed.get(what_if.kpi), what_if)
        if value is None:
            changed.pop(what_if.kpi, None)
        else:
            changed[what_if.kpi] = _bounded(value, bounds.get(what_if.kpi, KpiBounds()))
    return changed
