"""How work is cut into tasks for the workers: the chunk size chosen from the work's size and
the number of worker processes.

The rule: about ``CHUNKS_PER_WORKER`` chunks per worker process, so the work spreads evenly
(a worker that finishes early takes another chunk, and the last chunk's tail is short), and
the size held between a floor and a ceiling of its own per kind of work: the floor keeps the
per-task cost (the broker's round trip, the chunk's shared loads and its commit, tens of ms on
a loaded machine) a small share of each task; the ceiling bounds a task's memory and the work
redone when a worker dies mid-chunk. ``WORKER_PROCESSES`` (a setting) says how many processes
take the tasks: the sum of every worker's ``--concurrency``; 1 when tasks run in-process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings

CHUNKS_PER_WORKER = 4


@dataclass(frozen=True)
class ChunkRule:
    """Bounds on a chunk, in items (contracts, statements), both inclusive."""

    minimum: int
    maximum: int


# Pricing: 100 contracts is where the bulk loads and inserts already pay off (a chunk of 100
# costs 55-100 ms of work against 30-45 ms of fan-out); 1,000 contracts' inputs and drafts are
# a few tens of MiB.
PRICING = ChunkRule(minimum=100, maximum=1000)
# PDFs: each render takes 100-300 ms, so even one statement a task is mostly work; 50 keeps a
# task under a minute and lets a month of 10,000 spread over hundreds of tasks.
PDFS = ChunkRule(minimum=1, maximum=50)


def worker_processes() -> int:
    """How many processes take the tasks: 1 when tasks run eagerly, else ``WORKER_PROCESSES``
    (at least 1)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return 1
    return max(1, settings.WORKER_PROCESSES)


def chunk_size(*, items: int, workers: int, rule: ChunkRule) -> int:
    """Items per chunk for ``items`` items over ``workers`` processes:
    ``ceil(items / (workers × CHUNKS_PER_WORKER))`` held within ``rule``'s bounds (inclusive).
    E.g. pricing 10,000 contracts: 1,000 with 1 or 2 workers, 313 with 8; 1,000 contracts: 125
    with 2 workers, 100 with 4 or more."""
    wanted = math.ceil(max(items, 1) / (max(workers, 1) * CHUNKS_PER_WORKER))
    return min(rule.maximum, max(rule.minimum, wanted))


def chunked(ids: list[int], *, workers: int, rule: ChunkRule) -> list[list[int]]:
    """``ids`` in order, cut into chunks of :func:`chunk_size` (the last one shorter)."""
    size = chunk_size(items=len(ids), workers=workers, rule=rule)
    return [ids[start : start + size] for start in range(0, len(ids), size)]
