"""A KPI file's rows as they are stored: Arrow columns, and the forms the database takes them
in (``COPY`` data on PostgreSQL, tuples for ``executemany`` on SQLite)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .column_checks import to_numpy


@dataclass
class CheckedRows:
    """A file's rows as they are stored, in Arrow columns: contract_id, kpi_id (int64, -1 for
    an unknown reference), period, date, value, numerator, denominator (text; null for an
    empty cell), channel, site (text) and source_row (int64). Only a verified file's rows are
    ever committed (see ``kpis.ingest.FileCheck``)."""

    table: pa.Table
    order: np.ndarray | None = field(default=None, repr=False)  # rows in storing order

    def __len__(self) -> int:
        return self.table.num_rows

    def pairs(self) -> list[tuple[int, str]]:
        """The distinct (contract id, period) pairs, sorted."""
        keys = self.table.select(["contract_id", "period"]).group_by(["contract_id", "period"]).aggregate([])
        return sorted(zip(keys["contract_id"].to_pylist(), keys["period"].to_pylist(), strict=True))

    def stored_order(self) -> CheckedRows:
        """The rows ordered by (contract, period), the order of the table's index: each index
        page is then filled by consecutive rows instead of being revisited at random."""
        order = np.lexsort(
            (
                to_numpy(pc.dictionary_encode(self.table["period"]).combine_chunks().indices),
                self.table["contract_id"].to_numpy(),
            )
        )
        if (np.diff(order) > 0).all():
            return self
        return CheckedRows(self.table, order)

    def _chunk(self, start: int, stop: int) -> pa.Table:
        if self.order is None:
            return self.table.slice(start, stop - start)
        return self.table.take(self.order[start:stop])

    def copy_text(self, batch_id: int, columns: tuple[str, ...], start: int, stop: int) -> tuple[bytes, str]:
        """Rows ``start:stop`` as ``COPY`` data and its format: PostgreSQL's text format (tab
        separated, ``\\N`` for null) unless some text holds a character that format would
        need escaped, then CSV."""
        chunk = self._chunk(start, stop)
        chunk = chunk.append_column("batch_id", pa.array(np.full(chunk.num_rows, batch_id, dtype=np.int64)))
        chunk = chunk.select(list(columns))
        if self._plain_text():
            options = pacsv.WriteOptions(
                include_header=False,
                delimiter="\t",
                null_string="\\N",
                quoting_style="none",
                batch_size=65536,
            )
            form = "text"
        else:
            options = pacsv.WriteOptions(include_header=False, batch_size=65536)
            form = "csv"
        buffer = pa.BufferOutputStream()
        pacsv.write_csv(chunk, buffer, options)
        return buffer.getvalue().to_pybytes(), form

    def _plain_text(self) -> bool:
        """Whether no text holds a character the text format would need escaped (the rows
        may not be checked yet, so every text column is looked at, not only channel and site)."""
        if not hasattr(self, "_plain"):
            special = '[\\t\\n\\r\\\\"]'
            self._plain = not any(
                pc.any(pc.match_substring_regex(column.unique(), special)).as_py()
                for column in self.table.columns
                if pa.types.is_large_string(column.type)
            )
        return self._plain

    def tuples(self, batch_id: int, columns: tuple[str, ...], start: int, stop: int) -> list[tuple]:
        """Rows ``start:stop`` as tuples of ``columns`` (None for null) for ``executemany``."""
        chunk = self._chunk(start, stop)

        def values(name: str):
            if name == "batch_id":
                return itertools.repeat(batch_id, chunk.num_rows)
            column = chunk[name].combine_chunks()
            if pa.types.is_integer(column.type):
                return column.to_numpy().tolist()
            # each distinct text becomes one Python string, shared by its rows
            encoded = pc.dictionary_encode(column, null_encoding="encode")
            return np.array(encoded.dictionary.to_pylist(), dtype=object)[to_numpy(encoded.indices)].tolist()

        return list(zip(*(values(name) for name in columns), strict=True))
