"""`hubcrawl search`: FTS5 over names and capability text, best first, kept in sync as rows change."""

from __future__ import annotations

import json

import sqlite_utils

from hubcrawl.crawler.capabilities import EVIDENCE_SOURCES
from tests.conftest import hubcrawl
from tests.hubstub import StubHub, make_hub


def test_search_ranks_the_task_first_and_follows_changes(db_file):
    with StubHub(make_hub(120, 30)) as hub:
        assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0
        assert hubcrawl("crawl", "datasets", endpoint=hub.url, db=db_file).code == 0
        result = hubcrawl(
            "search", "extractive question answering", "--format", "json", "--limit", "10", endpoint=hub.url, db=db_file
        )
    assert result.code == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 10 and all(set(h) >= {"kind", "repo_id", "score", "snippet"} for h in hits)
    db = sqlite_utils.Database(db_file)
    tasks = {r["repo_id"]: r["task"] for r in db.query("select repo_id, task from artifacts")}
    assert all(tasks[h["repo_id"]] == "question-answering" for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert "[question]" in hits[0]["snippet"]

    # Ranked, a search reads its matches in score order and weighs the score: the most adopted model of
    # the task comes first.
    assert hubcrawl("rank", endpoint="http://x", db=db_file).code == 0
    assert db["search_order"].count == db["scores"].count > 0
    ranked = json.loads(
        hubcrawl(
            "search",
            "extractive question answering",
            "--format",
            "json",
            "--limit",
            "10",
            endpoint="http://x",
            db=db_file,
        ).stdout
    )
    assert all(tasks[h["repo_id"]] == "question-answering" for h in ranked)
    downloads = {r["repo_id"]: r["downloads"] for r in db.query("select repo_id, downloads from artifacts")}
    most_adopted = max((r for r in tasks if tasks[r] == "question-answering"), key=lambda r: downloads[r] or 0)
    assert ranked[0]["repo_id"] == most_adopted
    assert [h["score"] for h in ranked] == sorted((h["score"] for h in ranked), reverse=True)

    datasets = json.loads(
        hubcrawl("search", "question", "--kind", "dataset", "--format", "json", endpoint="http://x", db=db_file).stdout
    )
    assert datasets and all(h["kind"] == "dataset" for h in datasets)

    # The index follows the rows: a re-derived artifact is found by its new text, not its old (though
    # the search order still holds its old text until the next rank).
    with db.conn:
        db.execute("update artifacts set capability_text = 'zanzibar quokka' where repo_id = 'org01/model-00001'")
    found = json.loads(hubcrawl("search", "quokka", "--format", "json", endpoint="http://x", db=db_file).stdout)
    assert [h["repo_id"] for h in found] == ["org01/model-00001"]
    odd = hubcrawl("search", 'weird "quotes" AND (', endpoint="http://x", db=db_file)
    assert odd.code == 0 and "Traceback" not in odd.stderr
    nothing = hubcrawl("search", "C++ zyxwvut", endpoint="http://x", db=db_file)
    assert nothing.code == 0 and nothing.stdout == ""
    assert nothing.stderr.strip() == "no artifact holds every word of 'C++ zyxwvut'"  # said, not silent


def test_export_jsonl_and_csv(db_file):
    import csv
    import io

    with StubHub(make_hub(20, 5)) as hub:
        assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0
        lines = hubcrawl("export", "capabilities", endpoint=hub.url, db=db_file).stdout.splitlines()
        table = hubcrawl("export", "artifacts", "--format", "csv", endpoint=hub.url, db=db_file).stdout
    db = sqlite_utils.Database(db_file)
    assert len(lines) == db.execute("select count(*) from capabilities").fetchone()[0]
    first = json.loads(lines[0])
    assert isinstance(first["evidence"], list) and first["evidence"][0]["source"] in EVIDENCE_SOURCES
    rows = list(csv.DictReader(io.StringIO(table)))
    assert {r["id"] for r in rows} == {r["id"] for r in db["artifacts"].rows}
    assert json.loads(rows[0]["formats"]) == json.loads(db["artifacts"].get(rows[0]["id"])["formats"])
