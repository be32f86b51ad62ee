"""Database-specific paths, fenced: one named interface per concern.

Some reads and writes have a PostgreSQL-only form that is much faster (raw SQL with the ids
as one array parameter, ``COPY``). Each such concern is one ``DatabasePath``: its name, the
PostgreSQL function and, beside it, the portable function that gives the same result on any
database Django supports. Callers call the path; the connection chooses which function runs.
A test runs both functions on PostgreSQL for every registered path and compares their
results (``tests/integration/test_database_paths.py``), and a boundary test keeps every
other module from asking which database it is on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

P = ParamSpec("P")
R = TypeVar("R")

PATHS: dict[str, DatabasePath] = {}


def is_postgresql(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the connection ``using`` is PostgreSQL (the only place that asks)."""
    return connections[using].vendor == "postgresql"


@dataclass(frozen=True)
class DatabasePath(Generic[P, R]):
    """One concern with two implementations of the same signature and the same result."""

    name: str
    postgresql: Callable[P, R]
    portable: Callable[P, R]

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        chosen = self.postgresql if is_postgresql() else self.portable
        return chosen(*args, **kwargs)


def database_path(name: str, *, postgresql: Callable[P, R], portable: Callable[P, R]) -> DatabasePath[P, R]:
    """Register and return the path ``name`` (a dotted name, e.g. ``"kpis.month_sums"``)."""
    if name in PATHS:
        raise ValueError(f"database path {name!r} is registered twice")
    PATHS[name] = path = DatabasePath(name, postgresql, portable)
    return path
