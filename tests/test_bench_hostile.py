"""The hostile-file benchmark still runs end to end at a tiny size (its figures belong in
docs/performance.md); each file it runs is refused by its command, never crashes it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_hostile_benchmark_runs_each_file_in_its_own_process_and_measures_it():
    result = subprocess.run(
        [sys.executable, "bench/hostile.py", "--limit", "3", "--rows", "2000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "tests/hostile/kpis/: 3 files through manage.py ingest_kpis" in out
    assert "MiB" in out and "worst hostile file: peak" in out
    assert "(a crash, not a refusal)" not in out
    assert "daily rows (2,000 rows" in out and "exit  0" in out
