"""The demo's index series (fixtures/indices/cpi.csv), imported before the demo contracts that
name it, as bin/demo.py does: an indexed contract file names a series that must exist."""

from pathlib import Path

INDICES = Path(__file__).resolve().parent.parent / "fixtures" / "indices"


def import_demo_index() -> None:
    """Create the CPI series and import its values, January 2026 included (idempotent)."""
    from contracts.index_import import index_series_create, index_values_import

    index_series_create(code="CPI", name="Consumer prices index", unit="2015=100")
    for path in (INDICES / "cpi.csv", INDICES / "cpi-2026-01.csv"):
        index_values_import(file_name=path.name, content=path.read_bytes())
