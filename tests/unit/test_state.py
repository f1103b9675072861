"""The incremental component on its own: where a pass stops, which cards are current, when the mark moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hubcrawl.crawler.runs import run_report
from hubcrawl.crawler.state import SETTLED_CARD_ERRORS, IncrementalState
from hubcrawl.db import get_watermark, open_db, save_watermark
from hubcrawl.spiders.models import ModelsSpider
from tests.unit.conftest import SHA, project_crawler, record, store

KEY = '["model", null, null, []]'
NEWEST = datetime(2026, 2, 1, tzinfo=UTC)


def state_for(db_file, **settings) -> IncrementalState:
    return IncrementalState(project_crawler(ModelsSpider, db_file, **settings))


def test_a_pass_stops_at_the_last_mark_less_the_overlap(tmp_path):
    state = state_for(tmp_path / "hub.db", HUBCRAWL_WATERMARK_OVERLAP=600)
    assert state.stop_mark(KEY) is None  # a first pass lists everything
    save_watermark(state.database(), KEY, "2026-01-01T00:10:00Z", 1, "2026-01-01T01:00:00Z")
    assert state.stop_mark(KEY) == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert state.stop_mark('["dataset", null, null, []]') is None  # each listing has its own mark
    state.close()


@pytest.mark.parametrize(
    ("listed", "stored", "current"),
    [
        ({"sha": SHA}, {"sha": SHA, "has_card": True, "fetch_errors": []}, True),
        ({"sha": "f" * 40}, {"sha": SHA, "has_card": True, "fetch_errors": []}, False),  # a new commit
        ({"sha": None}, {"sha": None, "has_card": True, "fetch_errors": []}, False),  # no commit to compare
        ({"sha": SHA}, None, False),  # never stored
        ({"sha": SHA}, {"sha": SHA, "has_card": False, "fetch_errors": [{"kind": "card_http_error"}]}, False),
        *[
            ({"sha": SHA}, {"sha": SHA, "has_card": False, "fetch_errors": [{"kind": kind}]}, True)
            for kind in sorted(SETTLED_CARD_ERRORS)
        ],
    ],
)
def test_a_card_is_current_while_its_commit_is_and_it_was_stored_or_settled(listed, stored, current):
    assert IncrementalState.card_is_current(listed, stored) is current


def test_stored_states_and_a_repo_listed_twice_in_one_run(tmp_path):
    db_file = tmp_path / "hub.db"
    crawler = project_crawler(ModelsSpider, db_file)
    state = IncrementalState(crawler)
    store(state.database(), "model", record("org/a"))
    state.database()["artifacts"].update("org/a", {"run_id": 7})
    stored = state.stored("model", ["org/a", "org/missing"])
    assert set(stored) == {"org/a"} and stored["org/a"]["sha"] == SHA and stored["org/a"]["has_card"]
    run_report(crawler).run_id = 7
    assert state.stored_this_run(stored["org/a"])
    run_report(crawler).run_id = 8
    assert not state.stored_this_run(stored["org/a"]) and not state.stored_this_run(None)
    state.close()


@pytest.mark.parametrize(
    ("reason", "complete", "blocker", "moves"),
    [
        ("finished", True, None, True),
        ("finished", False, None, False),  # stopped by --limit, or a listing page was lost
        ("shutdown", True, None, False),  # interrupted
        ("finished", True, "hubcrawl/errors/listing_http_error", False),
        ("finished", True, "hubcrawl/errors/unsaved", False),
        ("finished", True, "spider_exceptions/KeyError", False),
        ("finished", True, "hubcrawl/errors/card_yaml", True),  # a repo's own problem is no reason to list again
    ],
)
def test_the_mark_moves_only_after_a_complete_pass_that_lost_nothing(tmp_path, reason, complete, blocker, moves):
    crawler = project_crawler(ModelsSpider, tmp_path / "hub.db")
    state = IncrementalState(crawler)
    if blocker:
        crawler.stats.inc_value(blocker)
    state.finish_pass(KEY, NEWEST, complete=complete, reason=reason)
    assert (get_watermark(state.database(), KEY) == "2026-02-01T00:00:00.000Z") is moves
    state.close()


def test_due_pages_come_most_adopted_first_and_a_visited_unchanged_one_is_not_due(tmp_path):
    db_file = tmp_path / "hub.db"
    db = open_db(db_file, create=True)
    for name, downloads in (("org/a", 1), ("org/b", 100), ("org/c", 10)):
        store(db, "model", record(name, downloads=downloads))
    db["pages"].insert(
        {"artifact_id": "org/b", "url": "http://hub.test/org/b", "status": 200, "fetched_at": "2026-01-04T00:00:00Z"},
        alter=False,
    )
    db.close()
    state = state_for(db_file)
    assert state.pages_due(None, None, full=False) == [("model", "org/c"), ("model", "org/a")]
    assert state.pages_due(None, None, full=True) == [("model", "org/c"), ("model", "org/a"), ("model", "org/b")]
    assert state.pages_due("dataset", None, full=True) == []
    state.close()
