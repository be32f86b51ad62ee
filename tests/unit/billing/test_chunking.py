"""The chunk size of a fan-out: about four chunks per worker process, within the kind of
work's bounds, every item in exactly one chunk, in order."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.chunking import PDFS, PRICING, ChunkRule, chunk_size, chunked


@pytest.mark.parametrize(
    ("items", "workers", "rule", "size"),
    [
        # pricing: four chunks a worker while that stays between 100 and 1,000 contracts
        (10_000, 1, PRICING, 1000),
        (10_000, 2, PRICING, 1000),
        (10_000, 8, PRICING, 313),
        (100_000, 2, PRICING, 1000),
        (1_000, 2, PRICING, 125),
        # pricing: a small run is one chunk per 100 contracts, not four tiny ones a worker
        (1_000, 4, PRICING, 100),
        (30, 2, PRICING, 100),
        # PDFs: at most 50 statements a task, down to one each for a handful
        (10_000, 2, PDFS, 50),
        (200, 2, PDFS, 25),
        (3, 2, PDFS, 1),
        # nothing to do, or a nonsense worker count, still gives a usable size
        (0, 2, PRICING, 100),
        (500, 0, PDFS, 50),
    ],
)
def test_chunk_size_follows_the_rule(items, workers, rule, size):
    assert chunk_size(items=items, workers=workers, rule=rule) == size


@given(
    ids=st.lists(st.integers(), max_size=3000),
    workers=st.integers(min_value=1, max_value=16),
    minimum=st.integers(min_value=1, max_value=200),
    spread=st.integers(min_value=0, max_value=800),
)
def test_every_item_is_in_exactly_one_chunk_in_order_and_chunks_keep_within_bounds(
    ids, workers, minimum, spread
):
    rule = ChunkRule(minimum=minimum, maximum=minimum + spread)
    chunks = chunked(ids, workers=workers, rule=rule)
    assert [item for chunk in chunks for item in chunk] == ids
    assert all(len(chunk) <= rule.maximum for chunk in chunks)
    assert all(len(chunk) >= rule.minimum for chunk in chunks[:-1])  # only the last may be short
