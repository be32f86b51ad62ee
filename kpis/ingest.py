"""Reading and checking KPI files: the public entry.

A file is read as text (``kpis.reading``: CSV or XLSX, every cell a string, so no value is ever
a float), then every row is checked (``kpis.column_checks``: the header and each cell's type,
length and format; ``kpis.row_checks``: references, dates inside the contract, bounds,
duplicates) and every problem is reported with its row number as a spreadsheet shows it (the
header is row 1) and its column; a file with any problem is refused whole. Values leave as
the exact text they were given, to be stored as exact decimals (``CheckedRows``).

pandas is imported only by the reading and checking modules (an import-linter contract).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .checked_rows import CheckedRows
from .column_checks import Column, Report, check_number_formats, check_periods, check_text
from .file_format import (
    BOUNDED_NUMBER_RE,
    CONTROL_RE,
    DATE_RE,
    EXPONENT_RE,
    MAX_CHARS,
    MAX_DECIMALS,
    MAX_INTEGER_DIGITS,
    MAX_LINE_BYTES,
    MAX_RATIO,
    MAX_REPORTED,
    NUMBER_RE,
    OPTIONAL,
    PERIOD_RE,
    REQUIRED,
    ContractRef,
    KpiFileRejected,
    KpiRef,
    RowError,
)
from .reading import CHUNK_ROWS, Scan, read_kpi_chunks, read_kpi_file, scan_kpi_file, size_problem
from .row_checks import (
    check_bounds,
    check_contract_dates,
    check_duplicates,
    check_kpi_cells,
    check_ratio_value_rows,
    check_references,
    check_sources,
)

__all__ = [
    "BOUNDED_NUMBER_RE",
    "CHUNK_ROWS",
    "CONTROL_RE",
    "DATE_RE",
    "EXPONENT_RE",
    "MAX_CHARS",
    "MAX_DECIMALS",
    "MAX_INTEGER_DIGITS",
    "MAX_LINE_BYTES",
    "MAX_RATIO",
    "MAX_REPORTED",
    "NUMBER_RE",
    "OPTIONAL",
    "PERIOD_RE",
    "REQUIRED",
    "CheckedRows",
    "ContractRef",
    "FileCheck",
    "KpiFileRejected",
    "KpiRef",
    "RowError",
    "Scan",
    "check_file",
    "read_kpi_chunks",
    "read_kpi_file",
    "scan_kpi_file",
    "size_problem",
]


def check_file(
    frame: pd.DataFrame, *, contracts: Mapping[str, ContractRef], kpis: Mapping[str, KpiRef]
) -> CheckedRows:
    """Check every row of ``frame`` (as ``read_kpi_file`` gives it); return the rows ready to
    store. Raises ``KpiFileRejected`` listing every bad row (the first ``MAX_REPORTED``, with
    the count of all)."""
    check = FileCheck(frame, contracts=contracts, kpis=kpis)
    check.verify()
    return check.rows


class FileCheck:
    """A file's rows in two steps. Building it looks up the ids and derives each row's
    period: enough to start storing ``rows``, which are not yet checked. ``verify()`` then
    makes every check and raises ``KpiFileRejected`` for a bad file (the same exception
    each time it is called)."""

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        contracts: Mapping[str, ContractRef],
        kpis: Mapping[str, KpiRef],
        across_rows: bool = True,
    ):
        # ``across_rows=False``: the frame is one chunk of a file, and the checks across rows
        # (duplicates, ratio rows given as values) are left to ``kpis.whole_file.WholeFile``.
        self.across_rows = across_rows
        self.size = len(frame)
        self.source_rows = frame.attrs.get("source_rows")
        if self.source_rows is None or len(self.source_rows) != self.size:
            self.source_rows = np.arange(2, self.size + 2, dtype=np.int64)
        text = self.text = {name: Column(frame[name]) for name in (*REQUIRED, *OPTIONAL)}
        self.contract_refs = [contracts.get(reference) for reference in text["contract"].uniques]
        self.kpi_refs = [kpis.get(code) for code in text["kpi"].uniques]
        self.contract_id = _ids(self.contract_refs, text["contract"].codes)
        self.kpi_id = _ids(self.kpi_refs, text["kpi"].codes)
        self.has_date = text["date"].present()
        self.month_of_day = pa.array([value[:7] for value in text["date"].uniques], pa.large_string()).take(
            text["date"].codes
        )
        self.period = Column(pc.if_else(pa.array(self.has_date), self.month_of_day, text["period"].array))
        self.present = {name: text[name].present() for name in ("value", "numerator", "denominator")}
        self._outcome: KpiFileRejected | bool | None = False  # False: not verified yet

        def blank(name: str, has: np.ndarray) -> pa.Array:  # an empty cell is stored as null
            return pc.if_else(pa.array(has), text[name].array, pa.scalar(None, pa.large_string()))

        self.rows = CheckedRows(
            pa.table(
                {
                    "contract_id": pa.array(self.contract_id),
                    "kpi_id": pa.array(self.kpi_id),
                    "period": self.period.array,
                    "date": blank("date", self.has_date),
                    "value": blank("value", self.present["value"]),
                    "numerator": blank("numerator", self.present["numerator"]),
                    "denominator": blank("denominator", self.present["denominator"]),
                    "channel": text["channel"].array,
                    "site": text["site"].array,
                    "source_row": pa.array(self.source_rows),
                }
            )
        )

    def names_unknown_contracts(self) -> bool:
        """Whether some row names a contract that is unknown (or not the caller's)."""
        return bool((self.contract_id < 0).any())

    def verify(self) -> None:
        """Make every check once; raises ``KpiFileRejected`` (the same one on every call) for a
        bad file."""
        if self._outcome is False:
            self._outcome = self._check()
        if self._outcome is not None:
            raise self._outcome

    def problems(self) -> tuple[list[RowError], int]:
        """Every check once: the first ``MAX_REPORTED`` problems sorted by row and column,
        and the count of all (0: none)."""
        try:
            self.verify()
        except KpiFileRejected as rejected:
            return rejected.errors, rejected.error_count
        return [], 0

    def _check(self) -> KpiFileRejected | None:
        # The order of the checks is the order of the report's first MAX_REPORTED problems.
        text, report, present = self.text, Report(self.source_rows), self.present
        check_text(text, report)
        check_references(text, report, contract_id=self.contract_id, kpi_id=self.kpi_id)
        check_sources(text, report, contract_refs=self.contract_refs, kpi_refs=self.kpi_refs)
        dates, good_period = check_periods(
            text, report, has_date=self.has_date, month_of_day=self.month_of_day
        )
        check_contract_dates(
            text,
            report,
            contract_refs=self.contract_refs,
            has_date=self.has_date,
            dates=dates,
            good_period=good_period,
        )
        valid = check_number_formats(text, report, present)
        has_ratio = check_kpi_cells(text, report, kpi_refs=self.kpi_refs, present=present)
        check_bounds(text, report, kpi_refs=self.kpi_refs, present=present, valid=valid, has_ratio=has_ratio)
        if self.across_rows:
            check_duplicates(text, report, period=self.period)
            check_ratio_value_rows(text, report, period=self.period, kpi_refs=self.kpi_refs)
        if report.count:
            return KpiFileRejected(sorted(report.errors, key=lambda e: (e.row, e.column)), report.count)
        return None


def _ids(refs: list, codes: np.ndarray) -> np.ndarray:
    """Each row's id, -1 where the reference is unknown."""
    return np.array([-1 if ref is None else ref.id for ref in refs], dtype=np.int64)[codes]
