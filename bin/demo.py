"""The demo: a fresh SQLite database, the demo contracts, and what the month produces.

Run with ``make demo``. Every step is a management command a user could run by hand.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = ROOT / "demo.sqlite3"


def manage(*args: str) -> None:
    print(f"$ python manage.py {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, env=ENV)


ENV = {**os.environ, "DATABASE_URL": f"sqlite:///{DB}"}
ENV.pop("CELERY_BROKER_URL", None)


def main() -> None:
    DB.unlink(missing_ok=True)
    manage("migrate", "--verbosity", "0")
    manage("import_contracts", *sorted(str(p) for p in (ROOT / "fixtures" / "contracts").glob("*.yaml")))


if __name__ == "__main__":
    main()
