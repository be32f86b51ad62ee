"""The checks of a KPI file read in chunks that need the whole file, and its aggregates.

Each chunk is checked on its own (``kpis.ingest.FileCheck`` with ``across_rows=False``);
``WholeFile`` gathers their problems and makes the two checks that look across every row of
the file: no row repeats an earlier one (contract, period or date, KPI, channel, site), and a
ratio KPI given as a plain value is the only row of its contract and month. It keeps 8 bytes a
row for the first (a 64-bit keyed BLAKE2 hash of the row's key; a collision between two
different keys, about 1 in 10^7 for a file of 20 million rows, would refuse the file with a
false "duplicate row", never store a wrong one) and one entry per (contract, period, ratio
KPI) for the second, at most ``MAX_RATIO_KEYS``. Nothing here imports pandas.
"""

from __future__ import annotations

import hashlib
import secrets

import numpy as np

from .column_checks import Column
from .file_format import MAX_REPORTED, KpiFileRejected, RowError, refused

MAX_RATIO_KEYS = 500_000  # distinct (contract, period, KPI) of ratio KPIs in one file
BUCKET_BITS = 4  # the duplicate search sorts one sixteenth of the hashes at a time
DUPLICATE = "duplicate row: the same contract, period or date, KPI, channel and site appear earlier"


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every bit of ``x`` reaches every bit of the result."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class WholeFile:
    """A file's chunks, added in file order (``add``), then ``finish`` for the verdict."""

    def __init__(self):
        self._key = secrets.token_bytes(16)  # a key per file: no one can aim for a collision
        self.errors: list[RowError] = []
        self.error_count = 0
        self.rows = 0
        self.pairs: set[tuple[int, str]] = set()  # (contract id, period), while no problem
        self._hashes: list[np.ndarray] = []
        self._offsets: list[int] = []
        self._source_rows: list[np.ndarray | None] = []  # None: the rows offset + 2 onwards
        self._ratio: dict[int, list] = {}  # key → [rows, value rows, first value rows, KPI, period]

    def add(self, check) -> None:
        """Add the ``kpis.ingest.FileCheck`` of the next chunk (made with ``across_rows=False``)."""
        errors, count = check.problems()
        self._report(errors, count)
        if not self.error_count:
            self.pairs.update(check.rows.pairs())
        text, period = check.text, check.period
        self._offsets.append(self.rows)
        plain = np.array_equal(check.source_rows, np.arange(self.rows + 2, self.rows + 2 + check.size))
        self._source_rows.append(None if plain else np.asarray(check.source_rows, dtype=np.int64))
        names = ("contract", "date", "kpi", "channel", "site")
        self._hashes.append(self._key_hash([*(text[name] for name in names), period], (*names, "period")))
        self._add_ratio_rows(check)
        self.rows += check.size

    def finish(self) -> None:
        """The checks across chunks; raises ``KpiFileRejected`` for a file with any problem
        (the first ``MAX_REPORTED`` by row and column, with the count of all)."""
        self._report(*self._duplicates())
        self._report(*self._ratio_value_rows())
        self._hashes.clear()
        if self.error_count:
            raise KpiFileRejected(self.errors, self.error_count)

    def _report(self, errors: list[RowError], count: int) -> None:
        self.error_count += count
        if errors:
            self.errors = sorted(self.errors + errors, key=lambda e: (e.row, e.column))[:MAX_REPORTED]

    def _row(self, position: int) -> int:
        chunk = int(np.searchsorted(self._offsets, position, side="right")) - 1
        rows, offset = self._source_rows[chunk], self._offsets[chunk]
        return position + 2 if rows is None else int(rows[position - offset])

    def _key_hash(self, columns: list[Column], names: tuple[str, ...]) -> np.ndarray:
        """Each row's 64-bit hash of its cells in ``columns``; one BLAKE2 per distinct text."""
        combined = np.zeros(len(columns[0].codes), dtype=np.uint64)
        for column, name in zip(columns, names, strict=True):
            salt = name.encode()[:16]
            per_value = np.array(
                [
                    int.from_bytes(
                        hashlib.blake2b(
                            value.encode("utf-8", "surrogatepass"), digest_size=8, key=self._key, salt=salt
                        ).digest(),
                        "little",
                    )
                    for value in column.uniques
                ],
                dtype=np.uint64,
            )
            combined = _mix(combined ^ per_value[column.codes])
        return combined

    def _duplicates(self) -> tuple[list[RowError], int]:
        """Every row whose key an earlier row has: the hashes are sorted a bucket (by their top
        bits) at a time, stably, so the first of equal keys stays first."""
        shift = np.uint64(64 - BUCKET_BITS)
        repeats = []
        for bucket in range(2**BUCKET_BITS):
            positions = [
                offset + np.flatnonzero((hashes >> shift) == bucket)
                for offset, hashes in zip(self._offsets, self._hashes, strict=True)
            ]
            keys = np.concatenate(
                [
                    hashes[p - offset]
                    for p, offset, hashes in zip(positions, self._offsets, self._hashes, strict=True)
                ]
                or [np.zeros(0, dtype=np.uint64)]
            )
            where = np.concatenate(positions or [np.zeros(0, dtype=np.int64)])
            order = np.argsort(keys, kind="stable")
            ordered = keys[order]
            repeats.append(where[order[1:][ordered[1:] == ordered[:-1]]])
        found = np.sort(np.concatenate(repeats))
        return [RowError(self._row(int(p)), "", DUPLICATE) for p in found[:MAX_REPORTED]], len(found)

    def _add_ratio_rows(self, check) -> None:
        refs = check.kpi_refs
        kpi = check.text["kpi"]
        is_ratio = np.array([bool(ref) and ref.aggregation == "ratio" for ref in refs] + [False])[kpi.codes]
        if not is_ratio.any():
            return
        where = np.flatnonzero(is_ratio)
        keys = self._key_hash([check.text["contract"], check.period, kpi], ("contract", "period", "kpi"))[
            where
        ]
        values = check.text["value"].present()[where]
        distinct, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        value_counts = np.bincount(inverse, weights=values, minlength=len(distinct)).astype(np.int64)
        first_value = np.full(len(distinct), -1, dtype=np.int64)
        value_rows = where[values]
        if value_rows.size:
            with_values, first = np.unique(inverse[values], return_index=True)
            first_value[with_values] = value_rows[first]
        for index, key in enumerate(distinct.tolist()):
            entry = self._ratio.get(key)
            if entry is None:
                if len(self._ratio) >= MAX_RATIO_KEYS:
                    raise refused(
                        f"the file has more than {MAX_RATIO_KEYS:,} contract, period and ratio KPI "
                        "combinations; split it"
                    )
                entry = self._ratio[key] = [0, 0, [], "", ""]
            entry[0] += int(counts[index])
            entry[1] += int(value_counts[index])
            if value_counts[index] and not entry[3]:
                i = int(first_value[index])
                entry[3], entry[4] = kpi[i], check.period[i]
        if value_rows.size:
            self._keep_value_rows(check, keys[values], value_rows)

    def _keep_value_rows(self, check, keys: np.ndarray, positions: np.ndarray) -> None:
        """The source rows of each key's first ``MAX_REPORTED`` value rows, for the report."""
        for key, position in zip(keys.tolist(), positions.tolist(), strict=True):
            kept = self._ratio[key][2]
            if len(kept) < MAX_REPORTED:
                kept.append(int(check.source_rows[position]))

    def _ratio_value_rows(self) -> tuple[list[RowError], int]:
        errors, count = [], 0
        for rows, value_rows, kept, kpi, period in self._ratio.values():
            if rows > 1 and value_rows:
                count += value_rows
                message = (
                    f"{kpi} has several rows for {period}: ratio rows need numerator and "
                    "denominator so they can be added up"
                )
                errors += [RowError(row, "value", message) for row in kept]
        errors.sort(key=lambda e: (e.row, e.column))
        return errors[:MAX_REPORTED], count
