"""The pricing core stays pure: it imports nothing of Django, the apps, pandas or I/O libraries."""

import ast
from pathlib import Path

import pytest

PRICING = Path(__file__).resolve().parents[2] / "pricing"
FORBIDDEN = {
    "django",
    "rest_framework",
    "djmoney",
    "moneyed",
    "pandas",
    "celery",
    "weasyprint",
    "openpyxl",
    "yaml",
    "psycopg",
    "requests",
    "contracts",
    "kpis",
    "billing",
    "portal",
    "config",
    "os",
    "pathlib",
    "io",
    "time",
    "datetime.datetime",
}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(PRICING.rglob("*.py")), ids=lambda p: str(p.relative_to(PRICING)))
def test_pricing_module_imports_only_the_standard_library_core(path):
    assert imported_modules(path) & FORBIDDEN == set()


def test_the_check_sees_a_forbidden_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from django.db import models\nimport pandas as pd\n")
    assert imported_modules(module) & FORBIDDEN == {"django", "pandas"}
