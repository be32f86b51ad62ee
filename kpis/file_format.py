"""What a KPI file is allowed to hold, and how a refusal is reported.

The columns, the patterns and limits every cell is checked against, the references a file's
rows are checked against (``ContractRef``, ``KpiRef``), and ``KpiFileRejected`` with its
``RowError`` list. Shared by reading (``kpis.reading``), the column checks
(``kpis.column_checks``) and the row checks (``kpis.row_checks``); nothing here imports
pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

REQUIRED = ("contract", "kpi")
OPTIONAL = ("period", "date", "value", "numerator", "denominator", "channel", "site")
NUMBER_RE = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
PERIOD_RE = r"\d{4}-(?:0[1-9]|1[0-2])"
DATE_RE = r"\d{4}-\d{2}-\d{2}"
MAX_REPORTED = 1000
# Each column's longest text, as the database stores it (kpis.models.KpiResult, contracts.Contract.reference,
# Kpi.code); numbers are bounded by MAX_INTEGER_DIGITS and MAX_DECIMALS instead.
MAX_CHARS = {
    "contract": 50,
    "kpi": 40,
    "period": 7,
    "date": 10,
    "value": None,
    "numerator": None,
    "denominator": None,
    "channel": 40,
    "site": 40,
}
CONTROL_RE = "[\\x00-\\x1f\\x7f-\\x9f]"
# A value, numerator or denominator has at most 15 digits before the point and 6 after: a
# month's sums then stay within the 28 digits of Python's decimal context when priced and
# rounded, and within the statements' 20-digit amounts.
MAX_INTEGER_DIGITS = 15
MAX_DECIMALS = 6
MAX_RATIO = Decimal(10) ** MAX_INTEGER_DIGITS  # numerator × scale / denominator of one row
BOUNDED_NUMBER_RE = (
    rf"[+-]?0*(?:\d{{1,{MAX_INTEGER_DIGITS}}}(?:\.\d{{0,{MAX_DECIMALS}}})?|\.\d{{1,{MAX_DECIMALS}}})"
)
EXPONENT_RE = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d+"
MAX_LINE_BYTES = 64 * 1024  # a KPI row is about 60 bytes; no cell may exceed 1,000 characters


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
    # The KPIs (ids) the submitter may not submit here: for a supplier, the buyer's figures.
    others_kpis: frozenset[int] = frozenset()


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


def refused(problem: str) -> KpiFileRejected:
    """A refusal of the whole file. The file's name is not part of the problem: every entry
    point reports the name beside its problems (``FILE:ROW:COLUMN: problem`` on the command
    line, ``file_name`` in the API's body and the admin's report)."""
    return KpiFileRejected([RowError(0, "", problem)])
