"""The details pass against the stand-in: each model's config.json fetched once per commit, read into
architecture facts with the file as evidence, and what it costs in requests."""

from __future__ import annotations

import json
from collections import Counter

import sqlite_utils

from tests.conftest import hubcrawl
from tests.hubstub import StubHub, make_hub


def config_requests(hub, since: int = 0) -> Counter:
    """Config files answered (a redirect to a renamed repo's new name is one answer, not two)."""
    answers = [r for r in hub.requests()[since:] if r["status"] != 307]
    return Counter(r["path"] for r in answers if r["path"].split("?")[0].endswith("/config.json"))


def test_each_config_is_fetched_once_per_commit(db_file):
    with StubHub(make_hub(120, 10)) as hub:
        result = hubcrawl("crawl", "--skip", "pages", endpoint=hub.url, db=db_file)
        assert result.code == 0, result.stderr
        first = config_requests(hub)
        models = [r for r in hub.data.repos.values() if r.kind == "model" and "config.json" in r.files]
        # Every listed model with a config.json, once (the renamed repo's new name is not listed).
        assert len(first) == len([m for m in models if (m.kind, m.id) not in hub.data.unlisted])
        assert set(first.values()) == {1}
        assert all(
            f"/resolve/{hub.data.get('model', p.split('/resolve/')[0].lstrip('/')).record['sha']}/" in p for p in first
        )

        mark = len(hub.requests())
        assert hubcrawl("crawl", "--skip", "pages", endpoint=hub.url, db=db_file).code == 0
        assert config_requests(hub, mark) == Counter()  # commits unchanged: nothing asked again

        hub.touch("model", "org03/model-00003", "2026-11-01T00:00:00.000Z")
        mark = len(hub.requests())
        assert hubcrawl("crawl", "--skip", "pages", endpoint=hub.url, db=db_file).code == 0
        again = config_requests(hub, mark)
        new_sha = hub.data.get("model", "org03/model-00003").record["sha"]
        assert list(again) == [f"/org03/model-00003/resolve/{new_sha}/config.json"]

        mark = len(hub.requests())
        assert hubcrawl("crawl", "details", "--full", "--limit", "5", endpoint=hub.url, db=db_file).code == 0
        assert sum(config_requests(hub, mark).values()) == 5  # --full asks again, most downloaded first

    db = sqlite_utils.Database(db_file)
    stored = db.execute("select count(*) from repo_files where body is not null").fetchone()[0]
    assert stored >= 120


def test_architecture_facts_rest_on_the_config_file(db_file):
    with StubHub(make_hub(40, 0, awkward=False)) as hub:
        assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0
        result = hubcrawl("crawl", "details", endpoint=hub.url, db=db_file)
        assert result.code == 0, result.stderr
    db = sqlite_utils.Database(db_file)
    rows = list(db.query("select id, architecture, context_length, labels from artifacts"))
    assert all(r["architecture"] for r in rows)
    gqa = json.loads(db["artifacts"].get("org01/model-00001")["architecture"])  # the stand-in's decoder family
    assert (gqa["heads"]["value"], gqa["kv_heads"]["value"], gqa["sliding_window"]["value"]) == (32, 8, 4096)
    tagged = [r for r in rows if r["labels"]]
    assert tagged and all(json.loads(r["labels"]) for r in tagged)
    for cap in db.query(
        "select artifact_id, text, evidence from capabilities where aspect in ('architecture', 'labels')"
    ):
        facts = [e for e in json.loads(cap["evidence"]) if "fact" in e]  # besides, a quantized model's API count
        assert facts and all(e["source"] == "config.json" and "/config.json" in e["url"] for e in facts)
    record = hubcrawl(
        "compare", "org01/model-00001", "org02/model-00002", "--format", "json", endpoint=hub.url, db=db_file
    )
    assert record.code == 1  # no scores yet: the record needs `hubcrawl rank` first
    assert hubcrawl("rank", endpoint=hub.url, db=db_file).code == 0
    record = json.loads(
        hubcrawl(
            "compare", "org01/model-00001", "org02/model-00002", "--format", "json", endpoint=hub.url, db=db_file
        ).stdout
    )
    row = next(f for f in record["features"] if f["name"] == "Architecture")
    assert row["a"] == "32 layers, hidden 4,096, 32 heads, 8 KV heads, 32,768 positions"
    assert row["b"].startswith("6 layers, hidden 768, 12 heads")


def test_a_details_pass_with_nothing_to_do_ends_at_once(db_file):
    with StubHub(make_hub(3, 1, awkward=False)) as hub:
        assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0
        result = hubcrawl(
            "crawl", "details", "--ids", "datasets/org00/dataset-00000", endpoint=hub.url, db=db_file, timeout=60
        )
    assert result.code == 0 and "0 requests" in result.stdout, result.stderr


def test_requests_per_model_stay_at_two_besides_listing_and_pages(db_file):
    with StubHub(make_hub(300, 0, awkward=False)) as hub:
        assert hubcrawl("crawl", "--skip", "pages", endpoint=hub.url, db=db_file).code == 0
        log = hub.requests()
    listing = [r for r in log if r["path"].startswith("/api/")]
    per_model = (len(log) - len(listing)) / 300
    assert per_model <= 2.0, per_model
