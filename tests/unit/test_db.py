"""The database layer on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

from hubcrawl.crawler.items import ArtifactItem
from hubcrawl.crawler.normalize import normalize_artifact
from hubcrawl.db import (
    add_run_counts,
    export_rows,
    find_artifacts,
    finish_run,
    get_artifact,
    get_run,
    interrupt_stale_runs,
    list_runs,
    mark_gone,
    open_db,
    open_readonly,
    rename_artifact,
    renamed_artifacts,
    save_artifacts,
    save_history,
    start_run,
    update_counters,
)
from tests.unit.conftest import record, store


def normalized(repo_id="acme/model") -> dict:
    item = ArtifactItem(
        kind="model", repo_id=repo_id, record={"id": repo_id, "downloads": 3}, fetched_at="2026-01-01T00:00:00Z"
    )
    return normalize_artifact(item).rows()


def test_a_write_waits_out_another_writer(tmp_path):
    path = tmp_path / "hub.db"
    db = open_db(path, create=True, busy_timeout=0.2)
    other = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    other.execute("begin immediate")  # another process's long write transaction
    threading.Timer(1.5, lambda: other.execute("commit")).start()
    started = time.monotonic()
    save_artifacts(db, [normalized()])  # fails on its first tries (locked), then gets through
    assert time.monotonic() - started >= 1.0
    assert db.execute("select downloads from artifacts where id = 'acme/model'").fetchone() == (3,)


def test_upserts_are_idempotent_and_readonly_cannot_write(tmp_path):
    path = tmp_path / "hub.db"
    db = open_db(path, create=True)
    for _ in range(3):
        save_artifacts(db, [normalized("a/b"), normalized("c/d")])
    assert db.execute("select count(*) from artifacts").fetchone() == (2,)
    reader = open_readonly(path)
    try:
        reader.execute("delete from artifacts")
        raise AssertionError("a read-only database accepted a write")
    except sqlite3.DatabaseError as exc:  # refused by the authorizer, before SQLite's own read-only check
        assert "not authorized" in str(exc)
    assert db.execute("select count(*) from artifacts").fetchone() == (2,)


def test_saving_again_replaces_an_artifacts_capabilities_and_evals_as_a_whole(memory_db):
    card = b"---\nlicense: mit\npipeline_tag: fill-mask\n---\n# M\n\nA masked-word model.\n\n## Limitations\n\nShort inputs only.\n"
    store(memory_db, "model", record("org/a"), card=card)
    first = memory_db.execute("select count(*) from capabilities").fetchone()[0]
    assert first > 0
    store(memory_db, "model", record("org/a"), card=card)
    assert memory_db.execute("select count(*) from capabilities").fetchone()[0] == first
    store(memory_db, "model", record("org/a"), card=b"# M\n")
    assert memory_db.execute("select count(*) from capabilities").fetchone()[0] < first


def test_json_columns_go_in_as_text_and_come_out_as_values(memory_db):
    files = [{"rfilename": f} for f in ("README.md", "model.safetensors", "model.onnx")]
    store(memory_db, "model", record("org/a", siblings=files))
    raw = memory_db.execute("select formats from artifacts").fetchone()[0]
    assert isinstance(raw, str) and json.loads(raw) == ["Safetensors", "ONNX"]
    (row,) = export_rows(memory_db, "artifacts", decode_json=True)
    assert row["formats"] == ["Safetensors", "ONNX"]


def test_a_bare_name_may_name_both_kinds_and_the_datasets_prefix_names_one(memory_db):
    store(memory_db, "model", record("org/same"))
    store(memory_db, "dataset", record("org/same"))
    assert [a["kind"] for a in find_artifacts(memory_db, "org/same")] == ["model", "dataset"]
    assert [a["id"] for a in find_artifacts(memory_db, "org/same", kind="dataset")] == ["datasets/org/same"]
    assert find_artifacts(memory_db, "org/other") == []


def test_a_rename_moves_the_artifact_and_everything_that_refers_to_it(memory_db):
    store(memory_db, "model", record("org/old"))
    save_history(memory_db, [{"artifact_id": "org/old", "run_id": 1, "seen_at": "t", "downloads": 5}])
    renamed = dict(get_artifact(memory_db, "org/old"), id="org/new", repo_id="org/new")
    assert renamed_artifacts(memory_db, [renamed]) == [("org/old", "org/new")]
    rename_artifact(memory_db, "org/old", "org/new", "org/new")
    moved = get_artifact(memory_db, "org/new")
    assert moved["repo_id"] == "org/new" and moved["previous_ids"] == ["org/old"]
    assert memory_db.execute("select artifact_id from counter_history").fetchall() == [("org/new",)]
    assert memory_db.execute("select artifact_id from cards").fetchall() == [("org/new",)]


def test_gone_repos_keep_their_row_dated_once_and_lose_the_date_when_back(memory_db):
    store(memory_db, "model", record("org/a"))
    mark_gone(memory_db, ["org/a"], [], "2026-01-01T00:00:00Z")
    mark_gone(memory_db, ["org/a"], [], "2026-02-01T00:00:00Z")
    assert get_artifact(memory_db, "org/a")["gone_at"] == "2026-01-01T00:00:00Z"
    mark_gone(memory_db, [], ["org/a"], "2026-03-01T00:00:00Z")
    assert get_artifact(memory_db, "org/a")["gone_at"] is None


def test_the_run_ledger_adds_counts_and_counts_distinct_repos(memory_db):
    run_id = start_run(memory_db, spiders=["models"], endpoint="http://hub.test", arguments={}, started_at="t0")
    store(memory_db, "model", record("org/a"))
    memory_db["artifacts"].update("org/a", {"run_id": run_id})
    add_run_counts(memory_db, run_id, {"requests": 3, "items": 99}, {"card_yaml": 1})
    add_run_counts(memory_db, run_id, {"requests": 2}, {"card_yaml": 1, "card_missing": 1})
    run = get_run(memory_db, run_id)
    assert (run["requests"], run["items"], run["errors"]) == (5, 1, 3)
    assert run["errors_by_kind"] == {"card_yaml": 2, "card_missing": 1}
    assert interrupt_stale_runs(memory_db, "t1") == 1
    assert get_run(memory_db, run_id)["status"] == "interrupted"
    finish_run(memory_db, run_id, status="finished", finished_at="t2")
    assert [r["status"] for r in list_runs(memory_db)] == ["finished"]


def test_counters_change_only_counters(memory_db):
    store(memory_db, "model", record("org/a"))
    before = get_artifact(memory_db, "org/a")
    update_counters(
        memory_db,
        [{"id": "org/a", "downloads": 7, "downloads_all_time": 70, "likes": 2, "trending_score": 1, "run_id": 9}],
    )
    after = get_artifact(memory_db, "org/a")
    assert (after["downloads"], after["likes"], after["run_id"]) == (7, 2, 9)
    assert {
        k: v
        for k, v in after.items()
        if k not in ("downloads", "downloads_all_time", "likes", "trending_score", "run_id")
    } == {
        k: v
        for k, v in before.items()
        if k not in ("downloads", "downloads_all_time", "likes", "trending_score", "run_id")
    }


def test_a_new_database_has_pages_that_fit_its_records(tmp_path):
    from hubcrawl.db import close_db, open_db
    from hubcrawl.db.connection import PAGE_SIZE

    db = open_db(tmp_path / "hub.db", create=True)
    assert db.execute("pragma page_size").fetchone()[0] == PAGE_SIZE == 8192
    close_db(db)
    again = open_db(tmp_path / "hub.db")  # an existing file keeps its pages: set only before the first table
    assert again.execute("pragma page_size").fetchone()[0] == PAGE_SIZE
    close_db(again)
