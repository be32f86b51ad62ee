"""Hostile files through the management commands: peak memory and time of each, in its own process.

    python bench/hostile.py [--rows 1000000] [--max-upload] [--limit N]

Every file of tests/hostile/kpis/ goes through ``manage.py ingest_kpis`` and every file of
tests/hostile/contracts/ (if that folder has any) through ``manage.py import_contracts``, each
in a fresh process on a fresh copy of a throwaway SQLite database (migrated once, with the
contract the KPI files name). Each line gives the file, the exit status, the wall time, the
process's peak resident memory (``wait4``'s ``ru_maxrss``) and the first line of its report.
Then the same for a generated KPI file of ``--rows`` daily rows (the ingestion benchmark's
file), and with ``--max-upload`` for one as close to ``KPI_FILE_MAX_BYTES`` as rows allow:
the memory any admitted file may need. ``--limit`` takes only the first N files of each
corpus (the smoke test).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT

OUT = ROOT / "bench" / "out"
CORPORA = {"kpis": "ingest_kpis", "contracts": "import_contracts"}
SKIP = {".py", ".pyc", ".md"}


def corpus(name: str, limit: int | None) -> list[Path]:
    """The corpus's files, sorted; none when the folder is absent or empty."""
    folder = ROOT / "tests" / "hostile" / name
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix not in SKIP)
    return files[:limit] if limit is not None else files


def run(command: list[str], database: Path, env_extra: dict | None = None) -> dict:
    """``command`` in a fresh process on ``database``; its status, time, peak memory, report."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("CELERY_BROKER_URL", None)
    env.setdefault("SECRET_KEY", "bench-only-not-secret")  # settings refuse to start without one
    env.update(env_extra or {})
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        out.seek(0)
        report = out.read().decode("utf-8", "replace")
    first = next((line for line in report.splitlines() if line.strip()), "")
    return {
        "status": child.returncode,
        "seconds": seconds,
        "peak_mib": usage.ru_maxrss / 1024,
        "report": first,
    }


def template_database(work: Path) -> Path:
    """A migrated SQLite database with the hostile KPI files' contract and the bench contracts."""
    path = work / "template.sqlite3"
    setup = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "from datetime import date\n"
        "from contracts.models import Contract, Organisation\n"
        "from bench.ingest import create_contracts\n"
        "b = Organisation.objects.create(name='Hostile Buyer', code='HB', country='GB')\n"
        "s = Organisation.objects.create(name='Hostile Supplier', code='HS', country='GB')\n"
        "Contract.objects.create(reference='HOSTILE-001', title='x', buyer=b, supplier=s, tax_rate=20,"
        " start_date=date(2026, 1, 1))\n"
        "create_contracts(200)\n"
    )
    result = run([sys.executable, "-c", setup], path)
    if result["status"] != 0:
        raise SystemExit(f"could not set up the database: {result['report']}")
    return path


def fresh_copy(template: Path) -> Path:
    copy = template.with_name("run.sqlite3")
    shutil.copyfile(template, copy)
    return copy


def show(label: str, result: dict) -> None:
    report = result["report"][:110]
    print(
        f"  {label:<34} exit {result['status']:>2}  {result['seconds']:6.2f} s  "
        f"{result['peak_mib']:7.0f} MiB  {report}"
    )


def generate_file(path: Path, rows: int) -> int:
    """The ingestion benchmark's file of ``rows`` rows, written by a child process: held in
    this one, its lines would count in every later child's peak memory (a forked child's
    ``ru_maxrss`` starts from its parent's resident size)."""
    code = f"from bench.ingest import generate; from pathlib import Path; generate(Path({str(path)!r}), {rows}, 200)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return path.stat().st_size


def ingest_generated(template: Path, path: Path, label: str) -> dict:
    rows = sum(1 for _ in path.open("rb")) - 1
    result = run([sys.executable, "manage.py", "ingest_kpis", str(path)], fresh_copy(template))
    show(f"{label} ({rows:,} rows, {path.stat().st_size / 2**20:.0f} MiB)", result)
    path.unlink()
    return result


def largest_admitted(work: Path, limit: int) -> Path:
    """A generated file just under ``limit`` bytes (its rows grow longer as sites are added)."""
    path, rows = work / "upload-limit.csv", int(limit / 56)
    while (size := generate_file(path, rows)) > limit:
        rows = int(rows * limit / size * 0.998)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated file (0: none)")
    parser.add_argument("--max-upload", action="store_true", help="also a file as large as the upload limit")
    parser.add_argument("--limit", type=int, default=None, help="only the first N files of each corpus")
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)  # always SQLite
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT) as work:  # runs side by side never share files
        measure(args, Path(work))


def measure(args, work: Path) -> None:
    template = template_database(work)
    worst = {"peak_mib": 0.0, "seconds": 0.0}
    for name, command in CORPORA.items():
        files = corpus(name, args.limit)
        print(f"tests/hostile/{name}/: {len(files)} files through manage.py {command}")
        for path in files:
            result = run([sys.executable, "manage.py", command, str(path)], fresh_copy(template))
            show(path.name, result)
            if result["status"] not in (0, 1):
                print(f"    !! {path.name}: exit {result['status']} (a crash, not a refusal)")
            worst = {key: max(worst[key], result[key]) for key in worst}
    print(f"worst hostile file: peak {worst['peak_mib']:.0f} MiB, {worst['seconds']:.2f} s")
    if args.rows:
        print("generated KPI files through manage.py ingest_kpis:")
        generate_file(work / "daily.csv", args.rows)
        ingest_generated(template, work / "daily.csv", "daily rows")
    if args.max_upload:
        limit = int(os.environ.get("KPI_FILE_MAX_BYTES", 512 * 2**20))
        ingest_generated(template, largest_admitted(work, limit), "as large as the upload limit")


if __name__ == "__main__":
    main()
