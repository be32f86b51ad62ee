"""``updated_since`` is read as a moment in UTC, whatever offset ISO 8601 lets a client give."""

from datetime import UTC, datetime

import pytest

from billing.feed import FeedError, updated_since_parse


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        # An ordinary offset and Z: the same moment in UTC.
        ("2026-03-01T01:00:00+01:00", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T00:00:00Z", datetime(2026, 3, 1, tzinfo=UTC)),
        # An offset PostgreSQL refuses (over 15:59) is converted before the database sees it.
        ("1866-11-13T10:46:08.007+23:44", datetime(1866, 11, 12, 11, 2, 8, 7000, tzinfo=UTC)),
    ],
)
def test_the_moment_is_given_in_utc(text, moment):
    parsed = updated_since_parse(text)
    assert parsed == moment and parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+23:00", "2026-03-01T00:00:00", "yesterday"])
def test_a_moment_without_an_offset_or_out_of_range_is_refused(text):
    with pytest.raises(FeedError):
        updated_since_parse(text)
