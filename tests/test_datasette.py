"""Datasette serves the database with hubcrawl's metadata, and its search box uses our FTS5 index."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from datasette.app import Datasette

from hubcrawl.db.schema import SCHEMA, datasette_metadata
from tests.conftest import REPO_ROOT, hubcrawl
from tests.hubstub import StubHub, make_hub


def test_every_table_and_column_says_what_it_holds():
    metadata = datasette_metadata("hub")["databases"]["hub"]["tables"]
    assert set(metadata) == set(SCHEMA)
    for name, spec in SCHEMA.items():
        assert metadata[name]["description"], name
        assert set(metadata[name]["columns"]) == set(spec["columns"]), name
        assert all(metadata[name]["columns"].values()), f"{name}: a column without a description"


def test_the_readmes_tables_name_only_columns_that_exist():
    readme = (REPO_ROOT / "README.md").read_text()
    tables = readme.split("### Tables", 1)[1].split("\n\n", 2)[1]
    rows = [line for line in tables.splitlines() if line.startswith("| `")]
    assert {re.match(r"\| `(\w+)`", row).group(1) for row in rows} == set(SCHEMA)
    for row in rows:
        table, _, notable = row.strip("|").split("|")[:3]
        # Parentheses hold values and explanations (`_id`, `trained_on` …), not column names.
        named = set(re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", notable)))
        columns = set(SCHEMA[table.strip().strip("`")]["columns"])
        assert named <= columns, (table, named - columns)


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
