"""The registry of component types and the checks their parameters share.

Each component type is one :class:`ComponentType` entry: its name in the contract file, its
keys in canonical order, its validation and its conversion to the pricing core's dataclass.
The family modules of this package declare the entries with :func:`register`; the package
imports them all, so :data:`COMPONENT_TYPES` is complete once ``contracts.components`` is
imported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from pricing.terms import Direction, KpiRounding, KpiRoundingMode

from ..checks import Checker, Length, NumberLiteral, is_text, shown

if TYPE_CHECKING:
    from .wording import Wording

MAX_BANDS = 50
# Keys every component may have besides its type's own, in canonical order before them:
# ``title``, the name statements show for its lines (the id when absent); ``gl_code`` and
# ``cost_centre``, the accounts its lines are booked to in the journal (billing.journal).
COMMON_OPTIONAL = ("title", "gl_code", "cost_centre")
COMPONENT_TITLE = Length(80)
# A general-ledger account or cost-centre code: what accounting systems accept as a key. It
# starts with a letter or digit, so a spreadsheet never reads it as a negative number.
ACCOUNT_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,29}")
MAX_SCORECARD_KPIS = 20
# ``round: {decimals, mode}`` on a KPI use: at most as many places as a KPI value holds.
KPI_ROUNDING_DECIMALS = (0, 4)
KPI_ROUNDING_MODES = ("half_up", "half_even", "down", "up")


class KpiInfo(NamedTuple):
    unit: str
    direction: str
    aggregation: str


KpiCatalogue = Mapping[str, KpiInfo]


@dataclass(frozen=True)
class ComponentType:
    """Everything the contracts layer knows of one component type.

    ``validate(validator, params, path)`` returns the cleaned value of every key (``None``
    for a key that is absent or wrong, the error recorded on ``validator.check``), each as
    canonical parameters hold it. ``to_pricing(component_id, params, catalogue)`` builds
    ``terms``, the pricing dataclass, from canonical parameters, by keyword.
    ``describe(params, wording)`` says canonical parameters as short lines of a rate card
    (:mod:`.wording`); every registered type needs one (a test enumerates the registry), but
    it is optional here so that a type can be tried out before it is worded.
    """

    name: str
    terms: type
    required: tuple[str, ...]
    optional: tuple[str, ...]
    validate: Callable[[ComponentValidator, dict, str], dict]
    to_pricing: Callable[[str, dict, KpiCatalogue], Any]
    describe: Callable[[dict, Wording], list[str]] | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key, in canonical order: the common ones (``COMMON_OPTIONAL``) first."""
        return COMMON_OPTIONAL + self.required + self.optional


# In the order the types were registered: the order unknown-type messages list them in.
COMPONENT_TYPES: dict[str, ComponentType] = {}


def register(entry: ComponentType) -> ComponentType:
    """Add ``entry`` to :data:`COMPONENT_TYPES`. Raises ``ValueError`` for a name taken."""
    if entry.name in COMPONENT_TYPES:
        raise ValueError(f"component type {entry.name!r} is registered twice")
    COMPONENT_TYPES[entry.name] = entry
    return entry


def decimal_or_none(value: Any) -> Decimal | None:
    """A canonical decimal string (or ``None``) as a ``Decimal``."""
    return None if value is None else Decimal(value)


# Members by value, looked up rather than called: ``Direction(value)`` costs about twenty
# times a dict look-up, and a conversion runs for every distinct component a chunk loads.
DIRECTIONS = {direction.value: direction for direction in Direction}


def direction_of(code: str, catalogue: KpiCatalogue) -> Direction:
    """Raises ``KeyError`` for a KPI code the catalogue does not hold."""
    return DIRECTIONS[catalogue[code].direction]


def kpi_rounding_of(value: dict | None) -> KpiRounding | None:
    """Canonical ``round`` parameters as the pricing core's ``KpiRounding``."""
    if value is None:
        return None
    return KpiRounding(decimals=value["decimals"], mode=KpiRoundingMode(value["mode"]))


def as_text(value: Decimal | None) -> str | None:
    """A checked decimal as canonical parameters hold it: its exact string (or ``None``)."""
    return None if value is None else str(value)


class ComponentValidator:
    """Validates one component's parameters at ``path``, recording errors on ``checker``.

    Besides :meth:`validate`, it holds the checks that several component types share; each
    type's own rules are its entry's ``validate``.
    """

    def __init__(self, checker: Checker, catalogue: KpiCatalogue):
        self.check = checker
        self.catalogue = catalogue

    def validate(self, type_: str, params: dict, path: str) -> dict | None:
        """Canonical parameters, or ``None`` if anything is wrong (errors recorded).

        Raises ``KeyError`` for a type with no entry in :data:`COMPONENT_TYPES`.
        """
        entry = COMPONENT_TYPES[type_]
        before = len(self.check.errors)
        self.check.mapping(params, path, required=entry.required, optional=COMMON_OPTIONAL + entry.optional)
        canonical = entry.validate(self, params, path)
        if isinstance(params, dict):
            canonical["title"] = self.title(params.get("title"), f"{path}.title")
            for key in ("gl_code", "cost_centre"):
                canonical[key] = self.account_code(params.get(key), f"{path}.{key}")
        if len(self.check.errors) > before:
            return None
        order = entry.keys
        return {
            key: canonical[key] for key in sorted(canonical, key=order.index) if canonical[key] is not None
        }

    def title(self, value, path: str) -> str | None:
        """A component's ``title``: absent or null is ``None``; otherwise text of 1–80
        characters once stripped, without control characters (the error recorded)."""
        if value is None:
            return None
        return self.check.text(value, path, COMPONENT_TITLE)

    def account_code(self, value, path: str) -> str | None:
        """A ``gl_code`` or ``cost_centre``: absent or null is ``None``; otherwise 1–30 ASCII
        letters, digits, ``.``, ``_`` or ``-``, the first a letter or digit
        (:data:`ACCOUNT_CODE_RE`), kept as text exactly
        as written: digits without quotes (``6100``) are that text (the error recorded)."""
        if value is None:
            return None
        if isinstance(value, int | NumberLiteral) and not isinstance(value, bool):
            value = str(value)
        if not (is_text(value) and ACCOUNT_CODE_RE.fullmatch(value)):
            self.check.error(
                path,
                f"expected 1–30 letters, digits, '.', '_' or '-' (first a letter or digit), got {shown(value)}",
            )
            return None
        return value

    def kpi(
        self, params: dict, key: str, path: str, *, aggregation: str | None = None, units=()
    ) -> str | None:
        code = params.get(key)
        if code is None:
            return None
        where = f"{path}.{key}"
        info = self.catalogue.get(code) if is_text(code) else None
        if info is None:
            self.check.error(where, f"unknown KPI code {shown(code)}")
            return None
        if aggregation and info.aggregation != aggregation:
            self.check.error(where, f"{code} is a {info.aggregation} KPI; this needs a {aggregation} KPI")
        if units and info.unit not in units:
            self.check.error(where, f"{code} is measured in {info.unit}; this needs {' or '.join(units)}")
        return code

    def optional(self, params: dict, key: str, path: str, check) -> str | None:
        return as_text(check(params[key], f"{path}.{key}")) if params.get(key) is not None else None

    def one_of(self, params: dict, path: str, first: str, second: str) -> None:
        if (params.get(first) is None) == (params.get(second) is None):
            self.check.error(path, f"give exactly one of {first} and {second}")

    def kpi_rounding(self, value, path: str) -> dict | None:
        """A ``round`` key: ``{decimals: 0–4, mode: half_up|half_even|down|up}`` (``mode``
        defaults to ``half_up``), canonical with both keys; ``None`` when absent or wrong."""
        if value is None:
            return None
        if self.check.mapping(value, path, required=("decimals",), optional=("mode",)) is None:
            return None
        low, high = KPI_ROUNDING_DECIMALS
        decimals = (
            self.check.integer(value["decimals"], f"{path}.decimals", minimum=low, maximum=high)
            if "decimals" in value
            else None
        )
        mode = self.check.choice(value.get("mode", "half_up"), f"{path}.mode", KPI_ROUNDING_MODES)
        if decimals is None or mode is None:
            return None
        return {"decimals": decimals, "mode": mode}

    def bands(
        self,
        bands: list,
        path: str,
        limit_key: str,
        value_key: str,
        check_limit,
        check_value,
        *,
        optional: Mapping[str, Callable] | None = None,
    ) -> list:
        """Ascending bands with an inclusive upper limit each; only the last is open (null).

        At most ``MAX_BANDS`` bands. ``optional``: further keys a band may have, each with its
        check; a band's canonical form holds them only when given.
        """
        optional = optional or {}
        cleaned, previous = [], None
        for i, band in enumerate(self.check.items(bands, path, max_items=MAX_BANDS)):
            where = f"{path}[{i}]"
            if (
                self.check.mapping(band, where, required=(limit_key, value_key), optional=tuple(optional))
                is None
            ):
                continue
            last = i == len(bands) - 1
            limit = band.get(limit_key)
            if limit is None and not last:
                self.check.error(f"{where}.{limit_key}", "only the last band may be open-ended (null)")
            elif limit is not None and last:
                self.check.error(f"{where}.{limit_key}", "the last band must be open-ended (null)")
            elif limit is not None:
                limit = check_limit(limit, f"{where}.{limit_key}")
                if limit is not None and previous is not None and limit <= previous:
                    self.check.error(
                        f"{where}.{limit_key}",
                        f"bands must ascend without overlap: {limit} is not above {previous}",
                    )
                previous = limit if limit is not None else previous
            value = check_value(band.get(value_key), f"{where}.{value_key}")
            row = {limit_key: as_text(limit), value_key: as_text(value)}
            for key, check in optional.items():
                if band.get(key) is not None:
                    row[key] = as_text(check(band[key], f"{where}.{key}"))
            cleaned.append(row)
        return cleaned
