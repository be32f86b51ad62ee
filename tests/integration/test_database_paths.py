"""Database-specific paths stay fenced (``core.databases``).

Every registered path has a test marked ``database_path(name)`` that runs its PostgreSQL and
its portable function on PostgreSQL and compares their results; no module outside
``core.databases`` asks which database it is on (migrations and settings aside).
"""

import ast
import re
from pathlib import Path

from django.apps import apps

from core.databases import PATHS

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "contracts", "kpis", "billing", "portal")
MARKER = re.compile(r"database_path\(\s*[\"']([\w.]+)[\"']\s*\)")


def _compared_paths() -> set[str]:
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        names |= set(MARKER.findall(path.read_text()))
    return names


def test_every_database_path_has_a_test_comparing_its_two_implementations():
    assert apps.ready  # every app's modules, and so every path, are imported
    import billing.bulk, billing.inputs, billing.serializers, contracts.selectors, kpis.selectors, kpis.services  # noqa: E401, F401, I001

    registered = set(PATHS)
    assert registered, "no database path registered"
    compared = _compared_paths() - {"name"}
    assert registered - compared == set(), "paths with no comparing test"
    assert compared - registered == set(), "comparing tests of paths that are not registered"


def _vendor_checks(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and node.attr == "vendor") or (
            isinstance(node, ast.Constant) and node.value == "postgresql"
        ):
            lines.append(node.lineno)
    return lines


def test_only_core_databases_asks_which_database_it_is_on():
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or relative == Path("core/databases.py"):
                continue
            lines = _vendor_checks(path.read_text())
            if lines:
                found[str(relative)] = lines
    assert found == {}
