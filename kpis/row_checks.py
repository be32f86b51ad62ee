"""Checks of a KPI file that look across its rows or at what they refer to: contract and KPI
references, dates inside the contract, the cells each KPI needs, bounds, duplicate rows and
ratio KPIs given as several plain values.

They run after the column checks (``kpis.column_checks``) on the same ``Column`` and ``Report``
objects, and are vectorised in the same way. Bounds are decided on exact decimals; floats
only pick the rows to decide (``candidates_near_bounds``).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Context, Decimal, localcontext

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .column_checks import Column, Report, to_numpy
from .file_format import MAX_RATIO, PERIOD_RE, ContractRef, KpiRef

# The float pre-filter's margin, relative to the bound and the number. A cell of at most 21
# significant digits (15 before the point, 6 after) becomes the nearest float, within 2**-53
# of it relatively; a ratio adds the roundings of the product and the quotient, and the
# bound its own: a few times 2**-53 (about 1.1e-16) in all. 1e-9 is millions of times more,
# so every row whose exact value is beyond a bound, or on it, is a candidate; rows further
# inside cannot be out of bounds and are not looked at again.
FLOAT_MARGIN = 1e-9
# Products of a numerator (21 digits), a scale and a bound (a 20-digit DecimalField) are exact
# in this context; Decimal's default 28 digits would round them.
_EXACT = Context(prec=100)


def check_references(
    text: dict[str, Column], report: Report, *, contract_id: np.ndarray, kpi_id: np.ndarray
) -> None:
    """Every row names a known contract (one the caller acts for) and a known KPI; ``-1`` in
    ``contract_id`` or ``kpi_id`` marks an unknown one."""
    contract, kpi = text["contract"], text["kpi"]
    report.add(contract_id < 0, "contract", lambda i: f"unknown contract {contract[i]!r}")
    report.add(kpi_id < 0, "kpi", lambda i: f"unknown KPI {kpi[i]!r}")


def check_sources(
    text: dict[str, Column],
    report: Report,
    *,
    contract_refs: list[ContractRef | None],
    kpi_refs: list[KpiRef | None],
) -> None:
    """A supplier submits only its own figures: a row of a KPI whose contract names the buyer
    as its source (``ContractRef.others_kpis``) is refused. Decided once per distinct
    (contract, KPI) pair of the file."""
    if not any(ref is not None and ref.others_kpis for ref in contract_refs):
        return
    contract, kpi = text["contract"], text["kpi"]
    # One spare row and column of False: a missing cell's code (-1) indexes them.
    forbidden = np.zeros((len(contract_refs) + 1, len(kpi_refs) + 1), dtype=bool)
    for i, contract_ref in enumerate(contract_refs):
        if contract_ref is not None and contract_ref.others_kpis:
            for j, kpi_ref in enumerate(kpi_refs):
                forbidden[i, j] = kpi_ref is not None and kpi_ref.id in contract_ref.others_kpis
    report.add(
        forbidden[contract.codes, kpi.codes],
        "kpi",
        lambda i: f"{kpi[i]} is the buyer's figure on contract {contract[i]}: only the buyer submits it",
    )


def _month(value: str) -> int:
    return int(value[:4]) * 12 + int(value[5:7])


def check_contract_dates(
    text: dict[str, Column],
    report: Report,
    *,
    contract_refs: list[ContractRef | None],
    has_date: np.ndarray,
    dates: list[date | None],
    good_period: np.ndarray,
) -> None:
    """A daily row's date, or a monthly row's period, is inside its contract (both ends
    included; an open-ended contract runs to 9999-12-31). ``contract_refs``: the contract of
    each distinct contract text; ``dates``: each distinct date text parsed (``None``: not a
    date); ``good_period``: rows whose period is well formed. Rows already reported as
    malformed or naming an unknown contract are not reported again."""
    day, given = text["date"], text["period"]
    known = np.array([ref is not None for ref in contract_refs] + [False])[text["contract"].codes]
    starts = [ref.start_date if ref else date.min for ref in contract_refs]
    ends = [(ref.end_date or date(9999, 12, 31)) if ref else date.max for ref in contract_refs]
    codes = text["contract"].codes

    def outside(i: int) -> str:
        start, end = starts[codes[i]], ends[codes[i]]
        shown = day[i] if has_date[i] else given[i]
        return f"{shown} is outside the contract ({start.isoformat()} to {end.isoformat()})"

    parsed = np.array([value is not None for value in dates], dtype=bool)[day.codes]
    ordinal = np.array([value.toordinal() if value else 0 for value in dates], dtype=np.int64)[day.codes]
    first = np.array([value.toordinal() for value in starts], dtype=np.int64)[codes]
    last = np.array([value.toordinal() for value in ends], dtype=np.int64)[codes]
    report.add(known & has_date & parsed & ((ordinal < first) | (ordinal > last)), "date", outside)
    month = given.per_value(lambda value: _month(value) if re.fullmatch(PERIOD_RE, value, re.ASCII) else 0)
    first_month = np.array([_month(value.isoformat()) for value in starts], dtype=np.int64)[codes]
    last_month = np.array([_month(value.isoformat()) for value in ends], dtype=np.int64)[codes]
    monthly = known & ~has_date & good_period
    report.add(monthly & ((month < first_month) | (month > last_month)), "period", outside)


def check_kpi_cells(
    text: dict[str, Column], report: Report, *, kpi_refs: list[KpiRef | None], present: dict[str, np.ndarray]
) -> np.ndarray:
    """The cells each KPI needs: a summed KPI a value only; a ratio KPI a numerator and a
    denominator, or one monthly value. Returns the rows of a ratio KPI with both a
    numerator and a denominator."""
    codes = text["kpi"].codes
    aggregation = np.array([ref.aggregation if ref else "" for ref in kpi_refs] + [""], dtype=object)[codes]
    has_value, has_num, has_den = present["value"], present["numerator"], present["denominator"]
    is_sum, is_ratio = aggregation == "sum", aggregation == "ratio"
    report.add(is_sum & ~has_value, "value", "is required for this KPI (it is summed)")
    report.add(
        is_sum & (has_num | has_den),
        "numerator",
        "this KPI is summed: give a value, not numerator/denominator",
    )
    report.add(
        is_ratio & has_value & (has_num | has_den),
        "value",
        "give a value or numerator and denominator, not both",
    )
    report.add(
        is_ratio & ~has_value & ~(has_num & has_den),
        "denominator",
        "a ratio KPI needs numerator and denominator (or one monthly value)",
    )
    report.add(
        is_ratio & has_value & text["date"].present(),
        "value",
        "a daily row of a ratio KPI needs numerator and denominator",
    )
    return has_num & has_den & is_ratio


def _approx(column: Column, present: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Each cell as a float (NaN when empty or not a number): only to pick candidate rows."""
    numbers = pc.cast(
        pc.if_else(pa.array(valid & present), column.array, pa.scalar(None, pa.large_string())), pa.float64()
    )
    return to_numpy(numbers).astype(np.float64)


def candidates_near_bounds(number: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Rows whose float ``number`` is beyond, on, or within ``FLOAT_MARGIN`` (relative to the
    bound and the number) of its bound ``low`` or ``high``; NaN stands for no number or no
    bound and is never a candidate. A superset of the rows whose exact value is out of
    bounds, whatever the rounding of the floats (see ``FLOAT_MARGIN``)."""
    with np.errstate(all="ignore"):
        below = number <= low + FLOAT_MARGIN * (np.abs(low) + np.abs(number))
        above = number >= high - FLOAT_MARGIN * (np.abs(high) + np.abs(number))
    return below | above


def check_bounds(
    text: dict[str, Column],
    report: Report,
    *,
    kpi_refs: list[KpiRef | None],
    present: dict[str, np.ndarray],
    valid: dict[str, np.ndarray],
    has_ratio: np.ndarray,
) -> None:
    """Values within the KPI's bounds (inclusive); numerator × scale / denominator within them
    too and at most ``MAX_RATIO`` in size, with a denominator that is not negative, and 0 only
    with a numerator of 0. ``valid``: rows whose cell is a bounded number (the only ones
    read); ``has_ratio``: rows of a ratio KPI with a numerator and a denominator.

    Floats only pick the candidate rows (``candidates_near_bounds``); every verdict is made on
    exact decimals, so a row is refused exactly when its exact value is out of bounds.
    """
    codes = text["kpi"].codes
    low_of = [ref.min_value if ref else None for ref in kpi_refs] + [None]
    high_of = [ref.max_value if ref else None for ref in kpi_refs] + [None]
    scale_of = [ref.scale if ref else 1 for ref in kpi_refs] + [1]
    as_float = lambda bounds: np.array([np.nan if b is None else float(b) for b in bounds])[codes]  # noqa: E731
    low_f, high_f = as_float(low_of), as_float(high_of)
    scales = np.array(scale_of, dtype=np.int64)[codes]
    value, numerator, denominator = (
        _approx(text[name], present[name], valid[name]) for name in ("value", "numerator", "denominator")
    )
    kpi = text["kpi"]

    def out_of_bounds(i: int) -> str | None:
        number, low, high = Decimal(text["value"][i]), low_of[codes[i]], high_of[codes[i]]
        if low is not None and number < low:
            return f"{number} is below the minimum {low.normalize():f} for {kpi[i]}"
        if high is not None and number > high:
            return f"{number} is above the maximum {high.normalize():f} for {kpi[i]}"
        return None

    candidates = present["value"] & candidates_near_bounds(value, low_f, high_f)
    _exact(report, candidates, "value", out_of_bounds)
    # The float of a number keeps its sign, and is 0 only for 0: these two are exact.
    report.add(has_ratio & (denominator < 0), "denominator", "must not be negative")
    report.add(
        has_ratio & (denominator == 0) & (numerator != 0), "denominator", "is 0 but the numerator is not"
    )

    def ratio_out_of_bounds(i: int) -> str | None:
        num, den = Decimal(text["numerator"][i]), Decimal(text["denominator"][i])
        low, high, scale = low_of[codes[i]], high_of[codes[i]], int(scales[i])
        if den <= 0:
            return None
        with localcontext(_EXACT):
            if abs(num) * scale > MAX_RATIO * den:
                return f"numerator {num} / denominator {den} is above {MAX_RATIO:,}"
            if low is not None and num * scale < low * den:
                return f"numerator {num} / denominator {den} is below the minimum {low.normalize():f}"
            if high is not None and num * scale > high * den:
                if scale == 100 and high == 100:
                    return f"numerator {num} is greater than denominator {den}"
                return f"numerator {num} / denominator {den} is above the maximum {high.normalize():f}"
        return None

    with np.errstate(all="ignore"):
        ratio = numerator * scales / np.where(denominator > 0, denominator, np.nan)
        near_limit = np.abs(ratio) >= float(MAX_RATIO) * 0.99
    candidates = has_ratio & ~np.isnan(ratio) & (candidates_near_bounds(ratio, low_f, high_f) | near_limit)
    _exact(report, candidates, "numerator", ratio_out_of_bounds)


def _exact(report: Report, candidates, column: str, verdict) -> None:
    """Report the ``candidates`` for which ``verdict(row)`` gives a problem (``None``: none)."""
    indexes = np.flatnonzero(np.asarray(candidates, dtype=bool))
    messages = {int(i): verdict(int(i)) for i in indexes}
    bad = np.zeros(len(report.rows), dtype=bool)
    for i, message in messages.items():
        bad[i] = message is not None
    report.add(bad, column, lambda i: messages[int(i)])


def group_keys(columns: list[np.ndarray]) -> np.ndarray:
    """One integer per row, equal for rows that agree on every column of codes."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1
    for codes in columns:
        size = int(codes.max()) + 1 if len(codes) else 1
        if span * size >= 2**62:  # too many combinations for one integer: number them
            key = pd.factorize(pd.MultiIndex.from_arrays([key, codes]))[0].astype(np.int64)
            span = int(key.max()) + 1
        else:
            key = key * size + codes
            span *= size
    return key


def check_duplicates(text: dict[str, Column], report: Report, *, period: Column) -> None:
    """No two rows share contract, date, KPI, channel, site and period; every repeat after
    the first is reported."""
    names = ("contract", "date", "kpi", "channel", "site")
    key = group_keys([text[name].codes.astype(np.int64) for name in names] + [period.codes.astype(np.int64)])
    report.add(
        pd.Series(key).duplicated(keep="first").to_numpy(),
        "",
        "duplicate row: the same contract, period or date, KPI, channel and site appear earlier",
    )


def check_ratio_value_rows(
    text: dict[str, Column], report: Report, *, period: Column, kpi_refs: list[KpiRef | None]
) -> None:
    """A ratio KPI given as a plain value must be one monthly row for the contract and month."""
    is_ratio = np.array([bool(ref) and ref.aggregation == "ratio" for ref in kpi_refs] + [False])[
        text["kpi"].codes
    ]
    value_rows = is_ratio & text["value"].present()
    if not value_rows.any():
        return
    key = group_keys([c.astype(np.int64) for c in (text["contract"].codes, period.codes, text["kpi"].codes)])
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    per_key_rows = counts[inverse]
    kpi = text["kpi"]
    report.add(
        value_rows & (per_key_rows > 1),
        "value",
        lambda i: (
            f"{kpi[i]} has several rows for {period[i]}: ratio rows need numerator and "
            "denominator so they can be added up"
        ),
    )
