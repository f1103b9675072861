"""Datasette serves the database with hubcrawl's metadata, and its search box uses our FTS5 index."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from datasette.app import Datasette

from tests.conftest import hubcrawl
from tests.hubstub import StubHub, make_hub


def test_datasette_serves_tables_with_descriptions_and_search(tmp_path: Path):
    db_file = tmp_path / "crawl-2026.db"  # any name: `hubcrawl metadata` keys the metadata by it
    with StubHub(make_hub(60, 15)) as hub:
        assert hubcrawl("crawl", "models", endpoint=hub.url, db=db_file).code == 0
        metadata = hubcrawl("metadata", endpoint=hub.url, db=db_file)
    assert metadata.code == 0
    ds = Datasette([str(db_file)], metadata=json.loads(metadata.stdout))

    async def fetch():
        tables = await ds.client.get("/crawl-2026.json")
        found = await ds.client.get("/crawl-2026/artifacts.json?_search=question+answering&_shape=objects")
        page = await ds.client.get("/crawl-2026/artifacts")
        return tables, found, page

    tables, found, page = asyncio.run(fetch())
    assert tables.status_code == 200
    assert {"artifacts", "capabilities", "cards"} <= {t["name"] for t in tables.json()["tables"]}
    rows = found.json()["rows"]
    assert rows and all(r["task"] == "question-answering" for r in rows)
    assert page.status_code == 200
    assert "One row per repo" in page.text  # the table's description from the metadata
    assert 'name="_search"' in page.text  # Datasette found the FTS index: a search box
