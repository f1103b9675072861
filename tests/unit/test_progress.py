"""The plain progress line: what is done, of how much when the spider knows, and how long is left."""

from __future__ import annotations

from hubcrawl.crawler.extensions import duration, progress_line


def stats(**values) -> dict:
    return {"item_scraped_count": 0, "hubcrawl/repos_listed": 0} | values


def test_a_known_amount_gives_a_share_and_the_time_left():
    line = progress_line("details", stats(item_scraped_count=250, **{"hubcrawl/expected": 1000}), 50.0, False)
    assert line.startswith("[details] 250 of 1000 done (25%, about 2m30s left), ")
    assert line.endswith(", 5.0 repos/s")
    final = progress_line("details", stats(item_scraped_count=1000, **{"hubcrawl/expected": 1000}), 200.0, True)
    assert final.startswith("[details] finished: 1000 of 1000 done, ")


def test_an_unknown_amount_gives_counts_only():
    line = progress_line("models", stats(item_scraped_count=7, **{"hubcrawl/repos_listed": 9}), 2.0, False)
    assert line.startswith("[models] 7 done, 9 listed, 0 cards") and "%" not in line


def test_durations_read_as_hours_minutes_or_seconds():
    assert [duration(s) for s in (9.6, 75, 3 * 3600 + 5 * 60)] == ["9s", "1m15s", "3h05m"]
