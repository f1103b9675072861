"""Datasette serves the database with hubcrawl's metadata: every column described, facets, canned queries, the
slim artifact list, and a search box on our FTS5 index. Through Datasette's own test client."""

from __future__ import annotations

import asyncio
import json

import pytest
import sqlite_utils
from datasette.app import Datasette

from tests.conftest import hubcrawl
from tests.e2e.test_scheduled import now
from tests.hubstub import StubHub, make_hub

# SQLite's own tables behind an FTS5 index: internals Datasette hides, not data.
FTS_SHADOW = ("_data", "_idx", "_docsize", "_config", "_content")
CHANGED = "org03/model-00003"
GROWN = "org05/model-00005"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Two runs over the stand-in (a repo committed to and a repo's downloads grown between them), ranked,
    served by Datasette with `hubcrawl metadata`."""
    db_file = tmp_path_factory.mktemp("datasette") / "crawl-2026.db"  # any name: the metadata is keyed by it
    with StubHub(make_hub(60, 15)) as hub:
        assert hubcrawl("crawl", endpoint=hub.url, db=db_file).code == 0
        hub.touch("model", CHANGED, now())
        hub.data.get("model", GROWN).record["downloads"] += 10_000_000
        assert hubcrawl("crawl", "--full", endpoint=hub.url, db=db_file).code == 0
        assert hubcrawl("rank", endpoint=hub.url, db=db_file).code == 0
        metadata = hubcrawl("metadata", endpoint=hub.url, db=db_file)
    assert metadata.code == 0
    return db_file, Datasette([str(db_file)], metadata=json.loads(metadata.stdout))


def get(ds: Datasette, path: str):
    async def fetch():
        return await ds.client.get(path)

    response = asyncio.run(fetch())
    assert response.status_code == 200, (path, response.text[:500])
    return response


def rows(ds: Datasette, path: str) -> list[dict]:
    return get(ds, path + ("&" if "?" in path else "?") + "_shape=objects&_size=max").json()["rows"]


def test_every_column_of_every_table_and_view_is_described(served):
    db_file, ds = served
    described = ds.metadata()["databases"]["crawl-2026"]["tables"]
    db = sqlite_utils.Database(db_file)
    names = [n for n in db.table_names() + db.view_names() if not n.endswith(FTS_SHADOW)]
    assert {"artifacts", "artifact_list", "comparison_records", "artifacts_fts", "search_fts"} <= set(names)
    for name in names:
        columns = [c.name for c in db[name].columns]
        assert name in described and described[name]["description"], name
        assert set(described[name]["columns"]) == set(columns), name  # every column, and only those
        assert all(described[name]["columns"].values()), name
    assert set(described) <= set(names)  # and nothing described that the database does not have


def test_tables_page_describes_and_searches(served):
    _, ds = served
    tables = get(ds, "/crawl-2026.json").json()
    assert {"artifacts", "capabilities", "cards"} <= {t["name"] for t in tables["tables"]}
    found = rows(ds, "/crawl-2026/artifacts.json?_search=question+answering")
    assert found and all(r["task"] == "question-answering" for r in found)
    page = get(ds, "/crawl-2026/artifacts")
    assert "One row per repo" in page.text  # the table's description from the metadata
    assert 'name="_search"' in page.text  # Datasette found the FTS index: a search box


def test_artifact_list_is_slim_and_faceted(served):
    db_file, ds = served
    listing = get(ds, "/crawl-2026/artifact_list.json?_shape=objects&_size=max").json()
    total = sqlite_utils.Database(db_file)["artifacts"].count
    assert len(listing["rows"]) == total
    assert "record" not in listing["rows"][0] and "overall" in listing["rows"][0]
    assert [r["downloads"] for r in listing["rows"]] == sorted((r["downloads"] for r in listing["rows"]), reverse=True)
    facets = listing["facet_results"]
    assert {"kind", "task", "license", "pricing"} <= set(facets)
    kinds = {f["value"]: f["count"] for f in facets["kind"]["results"]}
    assert kinds["model"] + kinds["dataset"] == total
    assert {"kind", "task", "license", "pricing"} <= set(get(ds, "/crawl-2026/artifacts.json").json()["facet_results"])


def test_top_of_task_is_the_task_by_score(served):
    _, ds = served
    top = rows(ds, "/crawl-2026/top_of_task.json?task=question-answering")
    assert len(top) >= 3
    scores = [r["overall"] for r in top]
    assert scores == sorted(scores, reverse=True)
    every = rows(ds, "/crawl-2026/artifact_list.json?task=question-answering")
    assert {r["id"] for r in top} == {r["id"] for r in every if r["overall"] is not None and r["gone_at"] is None}


def test_changed_since_last_run_is_what_the_last_run_saw_change(served):
    _, ds = served
    changed = rows(ds, "/crawl-2026/changed_since_last_run.json")
    assert CHANGED in {r["id"] for r in changed}
    assert GROWN not in {r["id"] for r in changed}  # more downloads is not a commit
    assert len(changed) < 10  # the stand-in's other repos were last committed to long before


def test_fastest_growing_puts_the_grown_repo_first(served):
    _, ds = served
    growing = rows(ds, "/crawl-2026/fastest_growing.json")
    assert growing[0]["artifact_id"] == GROWN
    assert growing[0]["gained"] == 10_000_000
    assert growing[0]["last_downloads"] == growing[0]["first_downloads"] + 10_000_000


def test_trained_on_finds_models_by_declared_or_resolved_dataset(served):
    db_file, ds = served
    db = sqlite_utils.Database(db_file)
    declared = [
        (r["id"], json.loads(r["datasets"]))
        for r in db.query("select id, datasets from artifacts where kind = 'model' and datasets like '[\"%'")
    ]
    assert declared
    dataset = declared[0][1][0]
    expected = {i for i, names in declared if dataset in names}
    for asked in (dataset, f"datasets/{dataset}"):
        found = rows(ds, f"/crawl-2026/trained_on.json?dataset={asked}")
        assert {r["id"] for r in found} >= expected, asked
        assert all(
            r["id"] in expected or db["edges"].count_where("source = ? and kind = 'trained_on'", [r["id"]])
            for r in found
        )
