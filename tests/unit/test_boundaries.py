"""The pricing core stays pure: it imports nothing of Django, the apps, pandas or I/O
libraries, and it never reads the clock (the period is always an argument)."""

import ast
from pathlib import Path

import pytest

PRICING = Path(__file__).resolve().parents[2] / "pricing"
PRICING_MODULES = sorted(PRICING.rglob("*.py"))
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
    "notifications",
    "portal",
    "config",
    "os",
    "pathlib",
    "io",
    "time",
}
# Every way the standard library tells the time, by its full name.
CLOCK_READS = {
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
    "time.time",
    "time.time_ns",
    "time.monotonic",
    "time.monotonic_ns",
    "time.perf_counter",
}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def clock_reads(source: str) -> list[tuple[int, str]]:
    """Each use of a name in ``CLOCK_READS`` as (line, full name), however it was imported:
    ``import datetime [as d]`` then ``d.datetime.now``, ``from datetime import datetime [as d]``
    then ``d.now``, ``import time`` then ``time.time``, ``from time import monotonic`` then
    ``monotonic``. A use is any reference, called or not (``clock = datetime.now`` counts)."""
    tree = ast.parse(source)
    full_names: dict[str, str] = {}  # a local name -> what it was imported as
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    full_names[alias.asname] = alias.name
                else:  # ``import a.b`` binds ``a``
                    top = alias.name.split(".")[0]
                    full_names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                full_names[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def full_name(node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return full_names.get(node.id)
        if isinstance(node, ast.Attribute) and (base := full_name(node.value)) is not None:
            return f"{base}.{node.attr}"
        return None

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute) and (name := full_name(node)) in CLOCK_READS:
            found.append((node.lineno, name))
    return sorted(found)


@pytest.mark.parametrize("path", PRICING_MODULES, ids=lambda p: str(p.relative_to(PRICING)))
def test_pricing_module_imports_only_the_standard_library_core(path):
    assert imported_modules(path) & FORBIDDEN == set()


@pytest.mark.parametrize("path", PRICING_MODULES, ids=lambda p: str(p.relative_to(PRICING)))
def test_pricing_module_never_reads_the_clock(path):
    assert clock_reads(path.read_text()) == []


def test_the_check_sees_a_forbidden_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from django.db import models\nimport pandas as pd\n")
    assert imported_modules(module) & FORBIDDEN == {"django", "pandas"}


# Each clock read, imported each way it can be: the checker reports it with its line.
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from datetime import datetime\nstamp = datetime.now()\n", [(2, "datetime.datetime.now")]),
        ("from datetime import datetime\ndatetime.utcnow()\n", [(2, "datetime.datetime.utcnow")]),
        ("from datetime import datetime as moment\nmoment.today()\n", [(2, "datetime.datetime.today")]),
        ("import datetime\ndatetime.datetime.now(tz=None)\n", [(2, "datetime.datetime.now")]),
        ("import datetime as dt\ndt.datetime.utcnow()\n", [(2, "datetime.datetime.utcnow")]),
        ("import datetime\nx = datetime.datetime.today()\n", [(2, "datetime.datetime.today")]),
        ("from datetime import date\ndate.today()\n", [(2, "datetime.date.today")]),
        ("import datetime\nday = datetime.date.today()\n", [(2, "datetime.date.today")]),
        ("import time\nstarted = time.time()\n", [(2, "time.time")]),
        ("import time\ntime.monotonic()\n", [(2, "time.monotonic")]),
        ("import time as clock\nclock.monotonic()\n", [(2, "time.monotonic")]),
        ("from time import time\ntime()\n", [(2, "time.time")]),
        ("from time import monotonic as tick\ndef f():\n    return tick()\n", [(3, "time.monotonic")]),
        ("from datetime import datetime\nclock = datetime.now\nclock()\n", [(2, "datetime.datetime.now")]),
        (
            "import datetime, time\ndef f():\n    return datetime.date.today(), time.time()\n",
            [(3, "datetime.date.today"), (3, "time.time")],
        ),
    ],
)
def test_the_check_sees_every_clock_read(source, expected):
    assert clock_reads(source) == expected


def test_the_check_leaves_dates_that_are_not_the_clock_alone():
    source = (
        "from datetime import date, datetime\n"
        "start = date(2026, 1, 1)\n"
        "end = datetime.fromisoformat('2026-01-31T00:00')\n"
        "def now():\n    return start\n"
        "today = now()\n"
    )
    assert clock_reads(source) == []


APPS_ROOT = PRICING.parent


def test_no_app_reads_a_model_through_the_app_registry():
    """``apps.get_model`` outside migrations hides a dependency from import-linter (the way
    ``contracts`` once read the KPI catalogue of ``kpis``): apps import the models they use."""
    found = []
    for app in ("core", "contracts", "kpis", "billing", "portal"):
        for path in (APPS_ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and node.attr == "get_model":
                    found.append(f"{path.relative_to(APPS_ROOT)}:{node.lineno}")
    assert found == []
