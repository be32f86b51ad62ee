"""Reading and checking KPI files: the only module that imports pandas.

A file (CSV in UTF-8, or an XLSX workbook) is read with every cell as text, so no value is
ever a float. The whole file is checked before anything is written; every problem is
reported with its row number as a spreadsheet shows it (the header is row 1) and its column.
Values leave this module as the exact text they were given, to be stored as exact decimals.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

REQUIRED = ("contract", "kpi")
OPTIONAL = ("period", "date", "value", "numerator", "denominator", "channel", "site")
NUMBER_RE = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
PERIOD_RE = r"\d{4}-(?:0[1-9]|1[0-2])"
DATE_RE = r"\d{4}-\d{2}-\d{2}"
MAX_REPORTED = 1000


@dataclass(frozen=True)
class RowError:
    row: int  # 0 for a problem with the whole file
    column: str
    problem: str

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row else ""
        return f"{where}{self.column}: {self.problem}" if self.column else f"{where}{self.problem}"


@dataclass(frozen=True)
class ContractRef:
    id: int
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class KpiRef:
    id: int
    aggregation: str  # "sum" | "ratio"
    scale: int
    min_value: Decimal | None
    max_value: Decimal | None


class KpiFileRejected(Exception):
    """The file cannot be ingested; ``errors`` lists every problem (capped), ``error_count`` all."""

    def __init__(self, errors: list[RowError], error_count: int | None = None):
        self.errors = errors
        self.error_count = error_count if error_count is not None else len(errors)
        super().__init__(f"{self.error_count} problem(s)")


def read_kpi_file(*, file_name: str, content: bytes, max_bytes: int) -> pd.DataFrame:
    """The file as a frame of stripped text cells. Raises ``KpiFileRejected`` for a file that
    is too large, empty, not UTF-8, not a real workbook, or missing required columns."""
    if len(content) > max_bytes:
        raise KpiFileRejected(
            [RowError(0, "", f"the file is {len(content):,} bytes; the limit is {max_bytes:,}")]
        )
    if not content.strip():
        raise KpiFileRejected([RowError(0, "", "the file is empty")])
    frame = _read_excel(content) if file_name.lower().endswith((".xlsx", ".xlsm")) else _read_csv(content)
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    _check_columns(frame)
    if frame.empty:
        raise KpiFileRejected([RowError(0, "", "the file has a header but no rows")])
    for column in frame.columns:
        frame[column] = frame[column].astype(str).str.strip()
    for column in OPTIONAL:
        if column not in frame:
            frame[column] = ""
    return frame


def _read_csv(content: bytes) -> pd.DataFrame:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise KpiFileRejected(
            [RowError(0, "", f"the file is not UTF-8 text (byte {error.start:,}); save it as CSV UTF-8")]
        ) from None
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise KpiFileRejected([RowError(0, "", f"not a readable CSV file: {str(error).strip()}")]) from None


def _read_excel(content: bytes) -> pd.DataFrame:
    if not content.startswith(b"PK\x03\x04"):
        raise KpiFileRejected([RowError(0, "", "not a real Excel workbook (.xlsx); was a CSV file renamed?")])
    try:
        frame = pd.read_excel(
            io.BytesIO(content), dtype=str, keep_default_na=False, na_filter=False, engine="openpyxl"
        )
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise KpiFileRejected([RowError(0, "", f"not a readable Excel workbook: {error}")]) from None
    return frame.fillna("")


def _check_columns(frame: pd.DataFrame) -> None:
    columns = set(frame.columns)
    problems = [RowError(0, name, "required column is missing") for name in REQUIRED if name not in columns]
    if not columns & {"period", "date"}:
        problems.append(
            RowError(0, "period", "the file needs a period (YYYY-MM) or a date (YYYY-MM-DD) column")
        )
    if "value" not in columns and not {"numerator", "denominator"} <= columns:
        problems.append(
            RowError(0, "value", "the file needs a value column, or numerator and denominator columns")
        )
    unknown = sorted(columns - set(REQUIRED) - set(OPTIONAL))
    problems += [RowError(0, name, "unknown column") for name in unknown]
    if problems:
        raise KpiFileRejected(problems)


def lookup(series: pd.Series, mapping: Mapping, *, default=None) -> pd.Series:
    """``series.map(mapping)`` for columns with few distinct values (contracts, KPI codes):
    each distinct value is looked up once, then spread with integer indexing."""
    codes, uniques = pd.factorize(series)
    values = np.array([mapping.get(value, default) for value in uniques] + [default], dtype=object)
    return pd.Series(values[codes], index=series.index, dtype=object)


class _Report:
    """Collects row errors from boolean masks, keeping the first ``MAX_REPORTED``."""

    def __init__(self, frame: pd.DataFrame):
        self.rows = np.arange(2, len(frame) + 2)
        self.errors: list[RowError] = []
        self.count = 0

    def add(self, mask, column: str, problem) -> None:
        mask = np.asarray(mask, dtype=bool)
        hits = int(mask.sum())
        if not hits:
            return
        self.count += hits
        room = MAX_REPORTED - len(self.errors)
        if room <= 0:
            return
        for index in np.flatnonzero(mask)[:room]:
            text = problem(index) if callable(problem) else problem
            self.errors.append(RowError(int(self.rows[index]), column, text))


def check_rows(
    frame: pd.DataFrame, *, contracts: Mapping[str, ContractRef], kpis: Mapping[str, KpiRef]
) -> pd.DataFrame:
    """Check every row; return the rows ready to store (contract_id, kpi_id, period, date,
    value, numerator, denominator, channel, site, source_row). Raises ``KpiFileRejected``
    listing every bad row."""
    report = _Report(frame)
    contract = lookup(frame["contract"], {ref: c.id for ref, c in contracts.items()})
    report.add(contract.isna(), "contract", lambda i: f"unknown contract {frame['contract'].iat[i]!r}")
    kpi = lookup(frame["kpi"], {code: k.id for code, k in kpis.items()})
    report.add(kpi.isna(), "kpi", lambda i: f"unknown KPI {frame['kpi'].iat[i]!r}")
    period = _check_dates(frame, report, contracts)
    _check_numbers(frame, report, kpis)
    keys = [frame["contract"], period, frame["date"], frame["kpi"], frame["channel"], frame["site"]]
    key_frame = pd.concat(keys, axis=1, keys=["c", "p", "d", "k", "ch", "s"])
    first = key_frame.groupby(list(key_frame.columns), sort=False).cumcount()
    report.add(
        first > 0,
        "",
        "duplicate row: the same contract, period or date, KPI, channel and site appear earlier",
    )
    _check_ratio_value_rows(frame, report, period, kpis)
    if report.count:
        raise KpiFileRejected(sorted(report.errors, key=lambda e: (e.row, e.column)), report.count)

    def blank(column: str) -> pd.Series:  # empty cells become None (never NaN) for the database
        return pd.Series([text or None for text in frame[column].tolist()], index=frame.index, dtype=object)

    return pd.DataFrame(
        {
            "contract_id": contract.astype("int64"),
            "kpi_id": kpi.astype("int64"),
            "period": period,
            "date": blank("date"),
            "value": blank("value"),
            "numerator": blank("numerator"),
            "denominator": blank("denominator"),
            "channel": frame["channel"],
            "site": frame["site"],
            "source_row": report.rows,
        }
    )


def _check_dates(frame, report: _Report, contracts: Mapping[str, ContractRef]) -> pd.Series:
    has_date, has_period = frame["date"] != "", frame["period"] != ""
    report.add(~has_date & ~has_period, "period", "give a period (YYYY-MM) or a date (YYYY-MM-DD)")
    good_period = frame["period"].str.fullmatch(PERIOD_RE)
    report.add(
        has_period & ~good_period, "period", lambda i: f"not a period YYYY-MM: {frame['period'].iat[i]!r}"
    )
    parsed = pd.to_datetime(
        frame["date"].where(frame["date"].str.fullmatch(DATE_RE), None), format="%Y-%m-%d", errors="coerce"
    )
    report.add(has_date & parsed.isna(), "date", lambda i: f"not a date YYYY-MM-DD: {frame['date'].iat[i]!r}")
    period = frame["period"].where(~has_date, frame["date"].str.slice(0, 7))
    report.add(
        has_date & has_period & (frame["period"] != frame["date"].str.slice(0, 7)),
        "date",
        lambda i: f"{frame['date'].iat[i]} is not in period {frame['period'].iat[i]}",
    )
    start = lookup(
        frame["contract"], {ref: c.start_date.isoformat() for ref, c in contracts.items()}, default=""
    )
    last = {ref: c.end_date.isoformat() if c.end_date else "9999-12-31" for ref, c in contracts.items()}
    end = lookup(frame["contract"], last, default="")
    known = frame["contract"].isin(list(contracts))
    day = frame["date"]
    report.add(
        known & has_date & parsed.notna() & ((day < start) | (day > end)),
        "date",
        lambda i: f"{day.iat[i]} is outside the contract ({start.iat[i]} to {end.iat[i]})",
    )
    monthly = known & ~has_date & good_period
    report.add(
        monthly & ((period < start.str.slice(0, 7)) | (period > end.str.slice(0, 7))),
        "period",
        lambda i: f"{period.iat[i]} is outside the contract ({start.iat[i]} to {end.iat[i]})",
    )
    return period


def _check_numbers(frame, report: _Report, kpis: Mapping[str, KpiRef]) -> None:
    present = {name: frame[name] != "" for name in ("value", "numerator", "denominator")}
    for name, has in present.items():
        report.add(
            has & ~frame[name].str.fullmatch(NUMBER_RE),
            name,
            lambda i, n=name: f"not a number: {frame[n].iat[i]!r}",
        )
    aggregation = lookup(frame["kpi"], {code: k.aggregation for code, k in kpis.items()})
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
        is_ratio & has_value & (frame["date"] != ""),
        "value",
        "a daily row of a ratio KPI needs numerator and denominator",
    )
    _check_bounds(frame, report, kpis, has_value, has_num & has_den & is_ratio)


def _decimal(text: str) -> Decimal:
    return Decimal(text)


def _check_bounds(frame, report: _Report, kpis: Mapping[str, KpiRef], has_value, has_ratio) -> None:
    """Values within the KPI's bounds; numerator/denominator × scale within them too.

    Floats only pick the candidate rows; every verdict is made on exact decimals.
    """
    lows = lookup(frame["kpi"], {code: k.min_value for code, k in kpis.items()})
    highs = lookup(frame["kpi"], {code: k.max_value for code, k in kpis.items()})
    scales = lookup(frame["kpi"], {code: k.scale for code, k in kpis.items()}, default=1).astype("int64")
    approx = lambda column: pd.to_numeric(frame[column].where(frame[column] != "", None), errors="coerce")  # noqa: E731
    value, numerator, denominator = approx("value"), approx("numerator"), approx("denominator")
    low_f, high_f = lows.astype("float64"), highs.astype("float64")

    def out_of_bounds(i: int) -> str | None:
        number, low, high = _decimal(frame["value"].iat[i]), lows.iat[i], highs.iat[i]
        if low is not None and low == low and number < low:
            return f"{number} is below the minimum {low.normalize():f} for {frame['kpi'].iat[i]}"
        if high is not None and high == high and number > high:
            return f"{number} is above the maximum {high.normalize():f} for {frame['kpi'].iat[i]}"
        return None

    candidates = has_value & value.notna() & ((value <= low_f) | (value >= high_f))
    _exact(report, candidates, "value", out_of_bounds)
    report.add(has_ratio & (denominator < 0), "denominator", "must not be negative")
    report.add(
        has_ratio & (denominator == 0) & (numerator != 0), "denominator", "is 0 but the numerator is not"
    )

    def ratio_out_of_bounds(i: int) -> str | None:
        num, den = _decimal(frame["numerator"].iat[i]), _decimal(frame["denominator"].iat[i])
        low, high, scale = lows.iat[i], highs.iat[i], int(scales.iat[i])
        if den <= 0:
            return None
        if low is not None and low == low and num * scale < low * den:
            return f"numerator {num} / denominator {den} is below the minimum {low.normalize():f}"
        if high is not None and high == high and num * scale > high * den:
            if scale == 100 and high == 100:
                return f"numerator {num} is greater than denominator {den}"
            return f"numerator {num} / denominator {den} is above the maximum {high.normalize():f}"
        return None

    ratio = numerator * scales / denominator.where(denominator > 0)
    candidates = has_ratio & ratio.notna() & ((ratio <= low_f) | (ratio >= high_f))
    _exact(report, candidates, "numerator", ratio_out_of_bounds)


def _exact(report: _Report, candidates, column: str, verdict) -> None:
    indexes = np.flatnonzero(np.asarray(candidates, dtype=bool))
    messages = {int(i): verdict(int(i)) for i in indexes}
    bad = np.zeros(len(report.rows), dtype=bool)
    for i, message in messages.items():
        bad[i] = message is not None
    report.add(bad, column, lambda i: messages[int(i)])


def _check_ratio_value_rows(frame, report: _Report, period: pd.Series, kpis: Mapping[str, KpiRef]) -> None:
    """A ratio KPI given as a plain value must be one monthly row for the contract and month."""
    is_ratio = lookup(frame["kpi"], {code: k.aggregation for code, k in kpis.items()}) == "ratio"
    value_rows = is_ratio & (frame["value"] != "")
    if not value_rows.any():
        return
    keys = pd.concat([frame["contract"], period, frame["kpi"]], axis=1, keys=["c", "p", "k"])
    per_key_values = value_rows.groupby([keys["c"], keys["p"], keys["k"]]).transform("sum")
    per_key_rows = is_ratio.groupby([keys["c"], keys["p"], keys["k"]]).transform("size")
    report.add(
        value_rows & (per_key_rows > 1),
        "value",
        lambda i: (
            f"{frame['kpi'].iat[i]} has several rows for {period.iat[i]}: ratio rows need numerator and "
            "denominator so they can be added up"
            if per_key_values.iat[i] > 1 or per_key_rows.iat[i] > 1
            else ""
        ),
    )
