"""The write stage on its own: items in, rows in a real SQLite file out, batches, reused cards,
counters-only passes, failed fetches that keep what was stored, pages that re-derive their artifact."""

from __future__ import annotations

import asyncio

import pytest
import sqlite_utils
from scrapy.exceptions import CloseSpider

from hubcrawl.crawler.items import ArtifactItem, PageItem
from hubcrawl.crawler.pipelines import SQLitePipeline
from hubcrawl.crawler.runs import run_report
from hubcrawl.spiders.models import ModelsSpider
from tests.unit.conftest import ENDPOINT, SHA, project_crawler, record

CARD = b"---\nlicense: mit\npipeline_tag: fill-mask\n---\n# Model\n\nA small encoder for masked words.\n"


def item(repo_id: str, **changes) -> ArtifactItem:
    fields = dict(
        kind="model",
        repo_id=repo_id,
        record=record(repo_id),
        fetched_at="2026-01-03T00:00:00Z",
        card_url=f"{ENDPOINT}/{repo_id}/resolve/{SHA}/README.md",
        card_status=200,
        card_body=CARD,
    )
    fields.update(changes)
    return ArtifactItem(**fields)


def process(pipeline: SQLitePipeline, item):
    """One item through the pipeline, as Scrapy's engine awaits it."""
    return asyncio.run(pipeline.process_item(item))


def open_pipeline(db_file, run_id: int | None = 3, **settings) -> SQLitePipeline:
    settings.setdefault("HUBCRAWL_NORMALIZE_WORKERS", 0)  # in this process; one test below uses a worker
    crawler = project_crawler(ModelsSpider, db_file, **settings)
    run_report(crawler).run_id = run_id
    pipeline = SQLitePipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline


def stored_once(tmp_path):
    """A database file in which an earlier run (run 3) stored `org/a` with its card."""
    db_file = tmp_path / "hub.db"
    pipeline = open_pipeline(db_file)
    process(pipeline, item("org/a"))
    pipeline.close_spider()
    return db_file


def rows(db_file, sql: str) -> list[dict]:
    return [dict(r) for r in sqlite_utils.Database(db_file).query(sql)]


def test_items_are_written_in_batches_with_their_run_and_counted(tmp_path):
    db_file = tmp_path / "hub.db"
    pipeline = open_pipeline(db_file, HUBCRAWL_BATCH_SIZE=2)
    for name in ("org/a", "org/b", "org/c"):
        process(pipeline, item(name))
    assert len(rows(db_file, "select id from artifacts")) == 2  # one batch of two is written, one repo waits
    pipeline.close_spider()
    stored = rows(db_file, "select id, run_id, license, task from artifacts order by id")
    assert stored == [{"id": f"org/{n}", "run_id": 3, "license": "mit", "task": "fill-mask"} for n in ("a", "b", "c")]
    assert len(rows(db_file, "select artifact_id from cards")) == 3
    assert len(rows(db_file, "select artifact_id from counter_history")) == 3
    assert pipeline.stats.get_value("hubcrawl/artifacts_stored") == 3


def test_a_reused_card_comes_from_the_database_and_the_counters_from_the_listing(tmp_path):
    db_file = stored_once(tmp_path)
    pipeline = open_pipeline(db_file, run_id=4)
    relisted = item("org/a", record=record("org/a", downloads=999), card_url=None, card_status=None, card_body=None)
    relisted.mode = "reuse_card"
    process(pipeline, relisted)
    pipeline.close_spider()
    (row,) = rows(db_file, "select downloads, license, task, run_id from artifacts")
    assert row == {"downloads": 999, "license": "mit", "task": "fill-mask", "run_id": 4}


def test_a_failed_fetch_keeps_the_last_record_and_adds_the_failure(tmp_path):
    db_file = stored_once(tmp_path)
    pipeline = open_pipeline(db_file, run_id=4)
    failure = {"kind": "info_http_error", "detail": "HTTP 500"}
    process(
        pipeline, item("org/a", record=None, card_url=None, card_status=None, card_body=None, fetch_errors=[failure])
    )
    pipeline.close_spider()
    (row,) = rows(db_file, "select downloads, license, errors from artifacts")
    assert row["downloads"] == 10 and row["license"] == "mit"
    assert "info_http_error" in row["errors"]
    assert pipeline.stats.get_value("hubcrawl/errors/info_http_error") == 1


def test_a_counters_pass_changes_counters_only(tmp_path):
    db_file = stored_once(tmp_path)
    pipeline = open_pipeline(db_file, run_id=5)
    counted = item("org/a", record={"id": "org/a", "downloads": 42, "likes": 9}, card_body=None)
    counted.mode = "counters"
    process(pipeline, counted)
    pipeline.close_spider()
    (row,) = rows(db_file, "select downloads, likes, license, sha from artifacts")
    assert row == {"downloads": 42, "likes": 9, "license": "mit", "sha": SHA}
    assert [r["downloads"] for r in rows(db_file, "select downloads from counter_history order by rowid")] == [10, 42]


def test_a_page_is_stored_and_its_artifact_derived_again(tmp_path):
    db_file = tmp_path / "hub.db"
    pipeline = open_pipeline(db_file)
    process(pipeline, item("org/a"))
    page = PageItem(
        "model", "org/a", f"{ENDPOINT}/org/a", "2026-01-04T00:00:00Z", 200, "<html><body>no props</body></html>"
    )
    process(pipeline, page)
    pipeline.close_spider()
    (stored,) = rows(db_file, "select artifact_id, status, errors from pages")
    assert stored["artifact_id"] == "org/a" and stored["status"] == 200
    assert "page_" in stored["errors"]  # a page without its header props is recorded as such
    (artifact,) = rows(db_file, "select errors from artifacts")
    assert "page_" in artifact["errors"]  # the artifact was derived again with the page's problem


def test_a_file_that_is_not_a_hubcrawl_database_stops_the_spider_once_with_the_reason(tmp_path):
    db_file = tmp_path / "notes.db"
    sqlite_utils.Database(db_file)["notes"].insert({"text": "mine"})
    crawler = project_crawler(ModelsSpider, db_file)
    pipeline = SQLitePipeline.from_crawler(crawler)
    with pytest.raises(CloseSpider):
        pipeline.open_spider()
    assert "not a hubcrawl database" in run_report(crawler).fatal
    assert process(pipeline, item("org/a")) is not None  # nothing is written, nothing raises
    assert rows(db_file, "select name from sqlite_master where type = 'table'") == [{"name": "notes"}]


def test_a_worker_process_normalizes_side_by_side_into_the_same_rows(tmp_path):
    inline_file, pooled_file = tmp_path / "inline.db", tmp_path / "pooled.db"
    names = [f"org/m{i}" for i in range(6)]
    inline = open_pipeline(inline_file, HUBCRAWL_BATCH_SIZE=4)
    for name in names:
        process(inline, item(name))
    inline.close_spider()

    pooled = open_pipeline(
        pooled_file, HUBCRAWL_BATCH_SIZE=4, HUBCRAWL_NORMALIZE_WORKERS=1, HUBCRAWL_NORMALIZE_WORKERS_AFTER=0
    )

    async def side_by_side():  # as the engine does with several responses at once
        await asyncio.gather(*(pooled.process_item(item(name)) for name in names))
        page = PageItem(
            kind="model", repo_id="org/m5", url=f"{ENDPOINT}/org/m5", fetched_at="t", status=200, html="<html></html>"
        )
        await pooled.process_item(page)  # waits for the artifacts still in the worker

    asyncio.run(side_by_side())
    assert pooled.pool is not None  # it did run in a worker
    pooled.close_spider()
    sql = "select id, task, license, capability_count, capability_text, errors from artifacts where id != 'org/m5' order by id"
    assert rows(pooled_file, sql) == rows(inline_file, sql) and len(rows(inline_file, sql)) == 5
    assert rows(pooled_file, "select count(*) as n from capabilities") == rows(
        inline_file, "select count(*) as n from capabilities"
    )
    (page,) = rows(pooled_file, "select artifact_id from pages")
    assert page["artifact_id"] == "org/m5"
    assert pooled.stats.get_value("hubcrawl/artifacts_stored") == 6


def test_workers_start_once_normalizing_here_has_cost_what_they_cost_to_start(tmp_path):
    small = open_pipeline(tmp_path / "small.db", HUBCRAWL_NORMALIZE_WORKERS=1, HUBCRAWL_NORMALIZE_WORKERS_AFTER=60)
    for name in ("org/a", "org/b", "org/c"):
        process(small, item(name))
    assert small.pool is None and small.normalized_here > 0  # a small crawl never starts one
    small.close_spider()

    growing = open_pipeline(
        tmp_path / "growing.db", HUBCRAWL_NORMALIZE_WORKERS=1, HUBCRAWL_NORMALIZE_WORKERS_AFTER=1e-9
    )
    assert growing.pool is None
    process(growing, item("org/a"))  # normalized here, and that was already enough
    assert growing.pool is not None
    process(growing, item("org/b"))  # in the worker
    growing.close_spider()
    assert [r["id"] for r in rows(tmp_path / "growing.db", "select id from artifacts order by id")] == [
        "org/a",
        "org/b",
    ]
