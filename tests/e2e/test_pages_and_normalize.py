"""The pages spider and `hubcrawl normalize`, end to end against the Hub stand-in."""

from __future__ import annotations

import json
import sys

import pytest
import sqlite_utils

from tests.conftest import hubcrawl, run_command
from tests.hubstub import StubHub, make_hub


@pytest.fixture(scope="module")
def hub():
    with StubHub(make_hub(60, 15)) as hub:
        yield hub


def rows(db_file, sql, params=()):
    return [dict(r) for r in sqlite_utils.Database(db_file).query(sql, params)]


def test_pages_spider_visits_the_most_adopted_first_and_stops_at_the_limit(hub, db_file):
    assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0
    result = run_command(
        [sys.executable, "-m", "scrapy", "crawl", "pages", "-a", "limit=5"], endpoint=hub.url, db=db_file
    )
    assert result.code == 0, result.stderr
    visited = {r["artifact_id"] for r in rows(db_file, "select artifact_id from pages")}
    top = {r["id"] for r in rows(db_file, "select id from artifacts order by downloads desc, likes desc, id limit 5")}
    assert visited == top
    assert [r["spiders"] for r in rows(db_file, "select spiders from crawl_runs order by id")] == ["models", "pages"]

    # A second visit takes the next ones: visited pages are not due again until their repo changes.
    assert (
        run_command(
            [sys.executable, "-m", "scrapy", "crawl", "pages", "-a", "limit=5"], endpoint=hub.url, db=db_file
        ).code
        == 0
    )
    assert len(rows(db_file, "select * from pages")) == 10


def test_gated_repo_page_gives_its_card_as_evidence(hub, db_file):
    assert hubcrawl("crawl", "models", "--ids", "stub-faults/gated-model", endpoint=hub.url, db=db_file).code == 0
    before = rows(db_file, "select count(*) as n from capabilities")[0]["n"]
    result = hubcrawl("crawl", "pages", "--ids", "stub-faults/gated-model", endpoint=hub.url, db=db_file)
    assert result.code == 0, result.stderr
    [artifact] = rows(db_file, "select * from artifacts")
    assert [e["kind"] for e in json.loads(artifact["errors"])] == ["card_gated"]  # still true: the card was refused
    assert artifact["discussions"] == 3
    caps = rows(db_file, "select * from capabilities where artifact_id = 'stub-faults/gated-model'")
    page_quotes = [
        e for c in caps for e in json.loads(c["evidence"]) if e.get("url") == f"{hub.url}/stub-faults/gated-model"
    ]
    assert page_quotes and len(caps) > before


def test_page_without_props_is_recorded_and_the_run_goes_on(hub, db_file):
    assert (
        hubcrawl(
            "crawl", "models", "--ids", "stub-faults/page-without-props,org01/model-00001", endpoint=hub.url, db=db_file
        ).code
        == 0
    )
    result = hubcrawl("crawl", "pages", endpoint=hub.url, db=db_file)
    assert result.code == 0, result.stderr
    errors = {
        r["id"]: [e["kind"] for e in json.loads(r["errors"])] for r in rows(db_file, "select id, errors from artifacts")
    }
    assert errors == {"stub-faults/page-without-props": ["page_no_props"], "org01/model-00001": []}
    assert "page_no_props 1" in result.stdout
    assert rows(db_file, "select pages from crawl_runs order by id desc limit 1")[0]["pages"] == 2


def test_dataset_page_adds_viewer_rows(hub, db_file):
    assert hubcrawl("crawl", "datasets", "--ids", "org01/dataset-00001", endpoint=hub.url, db=db_file).code == 0
    assert hubcrawl("crawl", "pages", endpoint=hub.url, db=db_file).code == 0
    [a] = rows(db_file, "select * from artifacts")
    assert a["provenance_rows"] == "page (dataset viewer)" and a["rows"] > 0
    assert "pandas" in json.loads(a["libraries"])


def test_normalize_rederives_everything_without_a_crawl(hub, db_file):
    assert hubcrawl("crawl", endpoint=hub.url, db=db_file).code == 0
    snapshot_sql = "select id, license, pricing, task, parameters, formats, languages, card_sections, rows, errors from artifacts order by id"
    caps_sql = "select artifact_id, position, title, text, evidence from capabilities order by artifact_id, position"
    artifacts, caps = rows(db_file, snapshot_sql), rows(db_file, caps_sql)
    evals = rows(db_file, "select artifact_id, metric, value from eval_results order by id")
    assert caps
    db = sqlite_utils.Database(db_file)
    with db.conn:
        db.execute("update artifacts set license = null, pricing = null, formats = '[]', task = null")
        db.execute("delete from capabilities")
        db.execute("delete from eval_results")

    result = hubcrawl("normalize", endpoint=hub.url, db=db_file)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(f"normalized {len(artifacts)} artifacts")
    assert rows(db_file, snapshot_sql) == artifacts
    assert rows(db_file, caps_sql) == caps
    assert rows(db_file, "select artifact_id, metric, value from eval_results order by id") == evals


def test_an_interrupted_normalize_resumes_after_its_last_saved_batch(hub, db_file):
    assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0
    ids = [r["id"] for r in rows(db_file, "select id from artifacts order by id")]
    middle = ids[len(ids) // 2]
    db = sqlite_utils.Database(db_file)
    with db.conn:  # what a pass killed after saving the batch ending at `middle` leaves behind
        db.execute("update artifacts set license = null")
        db.execute("insert into crawl_state (key, high_water) values ('normalize', ?)", [middle])

    result = hubcrawl("normalize", "--workers", "2", endpoint=hub.url, db=db_file)
    assert result.code == 0, result.stderr
    assert f"resuming after {middle}" in result.stderr
    licensed = {r["id"] for r in rows(db_file, "select id from artifacts where license is not null")}
    assert licensed and all(i > middle for i in licensed)  # the saved half is not derived again
    assert not rows(db_file, "select * from crawl_state where key = 'normalize'")  # a finished pass leaves no mark

    assert hubcrawl("normalize", "--restart", endpoint=hub.url, db=db_file).code == 0
    assert len(rows(db_file, "select id from artifacts where license is not null")) > len(licensed)


def test_show_json_has_capabilities_with_evidence(hub, db_file):
    assert hubcrawl("crawl", "datasets", endpoint=hub.url, db=db_file).code == 0
    shown = json.loads(
        hubcrawl("show", "datasets/org02/dataset-00002", "--format", "json", endpoint=hub.url, db=db_file).stdout
    )
    assert shown["type"] == "Dataset" and shown["capabilities"]
    assert all(c["evidence"] for c in shown["capabilities"])
    assert {"title", "text", "evidence"} <= set(shown["capabilities"][0])
