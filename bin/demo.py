"""The demo: a fresh SQLite database, the demo contracts and three months of KPI files.

Run with ``make demo``. Every step is a management command a user could run by hand.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = ROOT / "demo.sqlite3"
ENV = {**os.environ, "DATABASE_URL": f"sqlite:///{DB}"}
ENV.pop("CELERY_BROKER_URL", None)
KPI_FILES = ["2026-01.csv", "2026-02.csv", "2026-03.xlsx", "2026-02-correction.csv"]


def manage(*args: str) -> None:
    print(f"$ python manage.py {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, env=ENV)


def main() -> None:
    DB.unlink(missing_ok=True)
    manage("migrate", "--verbosity", "0")
    manage(
        "import_contracts",
        *sorted(f"fixtures/contracts/{p.name}" for p in (ROOT / "fixtures" / "contracts").glob("*.yaml")),
    )
    for name in KPI_FILES:
        manage("ingest_kpis", f"fixtures/kpis/{name}")
    print("\nThe bad demo file is refused with its error report, and nothing is ingested:", flush=True)
    bad = subprocess.run(
        [sys.executable, "manage.py", "ingest_kpis", "fixtures/kpis/bad/2026-03-bad.csv"], cwd=ROOT, env=ENV
    )
    assert bad.returncode != 0
    print(f"\nDemo database: {DB.name}. Try: DATABASE_URL=sqlite:///{DB.name} python manage.py runserver")


if __name__ == "__main__":
    main()
