"""The schema is the one place tables and columns are stated: Datasette metadata and the README agree with it."""

from __future__ import annotations

import re

from hubcrawl.db.schema import FTS_DESCRIPTIONS, SCHEMA, VIEWS, datasette_metadata
from tests.conftest import REPO_ROOT


def test_every_table_and_column_says_what_it_holds():
    metadata = datasette_metadata("hub")["databases"]["hub"]["tables"]
    assert set(metadata) == set(SCHEMA) | set(VIEWS) | set(FTS_DESCRIPTIONS)
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
