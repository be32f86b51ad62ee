"""The demo's index series (fixtures/indices/cpi.csv), imported before the demo contracts that
name it, as bin/demo.py does: an indexed contract file names a series that must exist."""

from pathlib import Path

CPI_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "indices" / "cpi.csv"


def import_demo_index() -> None:
    """Create the CPI series and import its values (idempotent)."""
    from contracts.index_import import index_series_create, index_values_import

    index_series_create(code="CPI", name="Consumer prices index", unit="2015=100")
    index_values_import(file_name=CPI_FILE.name, content=CPI_FILE.read_bytes())
