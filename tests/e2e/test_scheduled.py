"""Scheduled runs: incremental by default, resumable after SIGKILL, one at a time, readable meanwhile,
and faithful about repos that disappear or move. Each against the stand-in, in real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import sqlite_utils

from hubcrawl.crawler.items import artifact_key
from tests.conftest import REPO_ROOT, hubcrawl, stand_in_env, start_crawl
from tests.hubstub import Faults, StubHub, make_hub


def query(db_file, sql, params=()):
    return [dict(r) for r in sqlite_utils.Database(db_file).query(sql, params)]


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def api_and_cards(hub, since: int = 0) -> list[dict]:
    return [r for r in hub.requests()[since:] if r["bucket"] != "pages"]


def test_incremental_runs_cost_what_changed(db_file):
    with StubHub(make_hub(400, 100)) as hub:
        assert hubcrawl("crawl", endpoint=hub.url, db=db_file).code == 0
        mark = len(hub.requests())
        result = hubcrawl("crawl", endpoint=hub.url, db=db_file)
        assert result.code == 0, result.stderr
        unchanged = hub.requests()[mark:]
        assert len(unchanged) <= 3, unchanged  # one listing page per kind, no card, no page

        changed = [("model", f"org{i % 50:02d}/model-{i:05d}") for i in range(0, 300, 20)]
        changed += [("dataset", f"org{i % 50:02d}/dataset-{i:05d}") for i in range(0, 100, 20)]
        for kind, repo_id in changed:
            hub.touch(kind, repo_id, now())
        mark = len(hub.requests())
        assert hubcrawl("crawl", endpoint=hub.url, db=db_file).code == 0
        second = api_and_cards(hub, mark)
        # One listing page per kind, then a card per changed repo and a config.json per changed model.
        assert len(changed) == 20 and len(second) <= 2 + 20 + 15 + 3, len(second)
        configs = [r for r in second if r["path"].split("?")[0].endswith("/config.json")]
        assert len(configs) == 15  # the changed models' new commits; no other model's config is asked again
        assert {r["path"].split("/resolve/")[0].lstrip("/") for r in second if r["bucket"] == "resolvers"} == {
            artifact_key(k, i) for k, i in changed
        }
    bodies = {r["artifact_id"]: r["body"] for r in query(db_file, "select artifact_id, body from cards")}
    assert all("## Changelog" in bodies[artifact_key(k, i)] for k, i in changed)

    # Counters are kept per run for the repos a run lists: a changed repo was listed by runs 1 and 3,
    # an unchanged one by run 1 only (the incremental runs stopped before it).
    def history(i):
        return [
            r["run_id"]
            for r in query(db_file, "select run_id from counter_history where artifact_id = ? order by run_id", [i])
        ]

    assert history("org00/model-00000") == [1, 3]
    assert history("org01/model-00001") == [1]


def test_full_refetches_and_counters_only_lists(db_file):
    with StubHub(make_hub(50, 0, awkward=False)) as hub:
        assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0
        mark = len(hub.requests())
        assert hubcrawl("crawl", "models", "--full", endpoint=hub.url, db=db_file).code == 0
        assert len([r for r in hub.requests()[mark:] if r["bucket"] == "resolvers"]) == 50
        hub.data.get("model", "org01/model-00001").record["downloads"] = 123456789
        mark = len(hub.requests())
        result = hubcrawl("crawl", "--counters", endpoint=hub.url, db=db_file)
        assert result.code == 0, result.stderr
        assert {r["bucket"] for r in hub.requests()[mark:]} == {"api"}
    assert query(db_file, "select downloads from artifacts where id = 'org01/model-00001'")[0]["downloads"] == 123456789
    history = query(
        db_file, "select downloads from counter_history where artifact_id = 'org01/model-00001' order by run_id"
    )
    assert len(history) == 3 and history[-1]["downloads"] == 123456789


def wait_for(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_killed_run_loses_nothing_its_ledger_shows_what_it_stored_and_the_next_run_finishes_it(tmp_path):
    killed_db, clean_db = tmp_path / "killed.db", tmp_path / "clean.db"
    with StubHub(make_hub(700, 0, awkward=False), card_delay=0.01) as hub:
        # An ad-hoc `scrapy crawl` (as scrapyd runs it) owns its ledger row; it reports every half second.
        proc = subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "models", "-s", "HUBCRAWL_LEDGER_INTERVAL=0.5"],
            cwd=REPO_ROOT,
            env=stand_in_env(hub.url, killed_db),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: ledger(killed_db)["items"] >= 200)
        os.kill(proc.pid, signal.SIGKILL)  # no handler runs
        proc.wait()
        reported = ledger(killed_db)
        stored_cards = {r["artifact_id"] for r in query(killed_db, "select artifact_id from cards")}
        assert 200 <= reported["items"] <= len(stored_cards) < 700  # killed halfway: consistent and partial
        assert reported["requests"] >= reported["items"] and reported["status"] == "running"

        mark = len(hub.requests())
        result = hubcrawl("crawl", "models", endpoint=hub.url, db=killed_db)
        assert result.code == 0, result.stderr
        fetched_again = {
            r["path"].split("/resolve/")[0].lstrip("/") for r in hub.requests()[mark:] if r["bucket"] == "resolvers"
        }
        assert fetched_again and not (fetched_again & stored_cards)  # no card stored before the kill was fetched again
        assert hubcrawl("crawl", "models", endpoint=hub.url, db=clean_db).code == 0

    columns = "id, sha, license, pricing, task, parameters, formats, languages, capability_text"
    assert query(killed_db, f"select {columns} from artifacts order by id") == query(
        clean_db, f"select {columns} from artifacts order by id"
    )
    assert query(killed_db, "select artifact_id, body from cards order by artifact_id") == query(
        clean_db, "select artifact_id, body from cards order by artifact_id"
    )
    assert [r["status"] for r in query(killed_db, "select status from crawl_runs order by id")] == [
        "interrupted",
        "finished",
    ]


def ledger(db_file) -> dict:
    try:
        return query(db_file, "select items, requests, status from crawl_runs")[0]
    except Exception:  # the file or its first run row may not exist yet
        return {"items": 0}


def running(db_file) -> bool:
    try:
        return bool(query(db_file, "select 1 from crawl_runs where status = 'running'"))
    except Exception:  # not created yet
        return False


def test_runs_never_overlap_and_readers_work_meanwhile(db_file):
    with StubHub(make_hub(600, 0, awkward=False), card_delay=0.05) as hub:
        first = start_crawl(hub.url, db_file, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: running(db_file))
        second = hubcrawl("crawl", "models", endpoint=hub.url, db=db_file)
        assert second.code == 1
        assert second.stderr.strip() == "Error: another crawl is running on this database; use --wait to wait for it"
        reader = hubcrawl(
            "query", "select count(*) as n from artifacts", "--format", "json", endpoint=hub.url, db=db_file
        )
        assert reader.code == 0, reader.stderr  # no "database is locked" while the crawl writes
        assert isinstance(json.loads(reader.stdout)[0]["n"], int)
        waiting = start_crawl(hub.url, db_file, "--wait", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert first.wait(timeout=120) == 0
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, err
        assert err.splitlines()[0] == f"waiting for the crawl that holds {db_file} to finish…"  # not silent
    assert [r["status"] for r in query(db_file, "select status from crawl_runs order by id")] == [
        "finished",
        "finished",
    ]


def test_faults_and_a_rate_limit_lose_nothing(db_file):
    faults = Faults(error_rate=0.10, truncate_rate=0.02, attempts=2, seed=11)
    limits = {"resolvers": (400, 1), "api": (20, 1)}
    with StubHub(make_hub(900, 100, awkward=False), faults=faults, rate_limits=limits) as hub:
        result = hubcrawl("crawl", "models", endpoint=hub.url, db=db_file, env={"HUBCRAWL_BUDGETS": ""})
        assert result.code == 0, result.stderr
        assert hubcrawl("crawl", "datasets", endpoint=hub.url, db=db_file, env={"HUBCRAWL_BUDGETS": ""}).code == 0
        statuses = {}
        for r in hub.requests():
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    assert statuses.get(503, 0) > 50
    rows = query(db_file, "select id, errors from artifacts")
    assert len(rows) == len({r["id"] for r in rows}) == 1000
    assert all(json.loads(r["errors"]) == [] for r in rows)
    assert query(db_file, "select count(*) as n from cards")[0]["n"] == 1000


def test_gone_repos_stay_and_renamed_repos_keep_their_history(db_file):
    with StubHub(make_hub(5, 0)) as hub:
        assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0
        hub.data.repos.pop(("model", "org01/model-00001"))
        assert (
            hubcrawl(
                "crawl", "models", "--ids", "org01/model-00001,stub-faults/renamed-old", endpoint=hub.url, db=db_file
            ).code
            == 0
        )
    [gone] = query(db_file, "select * from artifacts where id = 'org01/model-00001'")
    assert gone["gone_at"] and json.loads(gone["record"])["id"] == "org01/model-00001"  # kept, with its last record
    assert [e["kind"] for e in json.loads(gone["errors"])] == ["repo_not_found"]
    assert query(db_file, "select count(*) as n from artifacts where id = 'stub-faults/renamed-old'")[0]["n"] == 0
    [moved] = query(db_file, "select * from artifacts where id = 'stub-faults/renamed-new'")
    assert json.loads(moved["previous_ids"]) == ["stub-faults/renamed-old"]
    history = query(
        db_file, "select run_id from counter_history where artifact_id = 'stub-faults/renamed-new' order by run_id"
    )
    assert [h["run_id"] for h in history] == [1, 2]  # the history from before the rename came along
    assert query(db_file, "select count(*) as n from cards where artifact_id = 'stub-faults/renamed-new'")[0]["n"] == 1
