"""The demo: a fresh SQLite database, the demo contracts, three months billed and issued,
and a late correction that becomes an adjustment document.

Run with ``make demo``. Every step is a management command a user could run by hand.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = ROOT / "demo.sqlite3"
ENV = {**os.environ, "DATABASE_URL": f"sqlite:///{DB}", "MEDIA_ROOT": str(ROOT / "media" / "demo")}
ENV.pop("CELERY_BROKER_URL", None)
MONTHS = [("2026-01", "2026-01.csv"), ("2026-02", "2026-02.csv"), ("2026-03", "2026-03.xlsx")]
# One supplier portal user per demo supplier organisation (its code in fixtures/contracts).
PORTAL_USERS = {"northwind": "NORTHWIND", "lumen": "LUMEN", "pennine": "PENNINE"}
PORTAL_PASSWORD = "demo-portal-2026"  # noqa: S105 (the demo database only)


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
    for period, name in MONTHS:
        manage("ingest_kpis", f"fixtures/kpis/{name}")
        manage("run_billing", "--period", period)
        manage("issue_statements", "--period", period)
    print("\nA late correction to February arrives after February was issued:", flush=True)
    manage("ingest_kpis", "fixtures/kpis/2026-02-correction.csv")
    manage("run_billing", "--period", "2026-02")
    manage("issue_statements", "--period", "2026-02")
    manage("export_statements", "--period", "2026-02", "--status", "issued")
    manage("write_pdfs", "--out", "out")
    manage("statement_table")
    for username, code in PORTAL_USERS.items():
        who = [f"--organisation={code}", f"--username={username}", f"--email={username}@example.com"]
        manage("set_supplier_user", *who, f"--password={PORTAL_PASSWORD}")
    print("\nThe bad demo file is refused with its error report, and nothing is ingested:", flush=True)
    bad = subprocess.run(
        [sys.executable, "manage.py", "ingest_kpis", "fixtures/kpis/bad/2026-03-bad.csv"], cwd=ROOT, env=ENV
    )
    assert bad.returncode != 0
    serve = f"DATABASE_URL=sqlite:///{DB.name} MEDIA_ROOT=media/demo python manage.py runserver"
    print(f"\nDemo database: {DB.name}. Try: {serve}")
    print(f"Supplier portal at /: log in as {', '.join(PORTAL_USERS)}, password {PORTAL_PASSWORD}")


if __name__ == "__main__":
    main()
