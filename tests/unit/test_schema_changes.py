"""The schema changes in place: numbered migrations for what the additive sync cannot do, and search
indexes rebuilt when their columns change."""

from __future__ import annotations

import sqlite_utils

from hubcrawl.db import SCHEMA_VERSION, ensure_schema
from hubcrawl.db.migrations import MIGRATIONS, migrate
from hubcrawl.db.schema import FTS_COLUMNS
from tests.unit.conftest import record, store


def version(db) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def test_a_new_file_needs_no_step_and_gets_the_current_version():
    db = sqlite_utils.Database(memory=True)
    assert migrate(db) == []
    ensure_schema(db)
    assert version(db) == SCHEMA_VERSION == max(MIGRATIONS)


def test_an_older_file_runs_each_missing_step_once_in_order():
    db = sqlite_utils.Database(memory=True)
    db["artifacts"].create({"id": str, "kind": str, "repo_id": str}, pk="id")  # as version 1 had it, in part
    db.execute("PRAGMA user_version = 1")
    assert migrate(db) == sorted(MIGRATIONS)
    assert "run_id" in db["artifacts"].columns_dict and version(db) == SCHEMA_VERSION
    assert migrate(db) == []  # nothing runs twice


def test_a_search_index_whose_columns_changed_is_rebuilt_from_the_rows(memory_db):
    store(memory_db, "model", record("org/reader", pipeline_tag="question-answering"))
    memory_db["artifacts"].disable_fts()
    memory_db["artifacts"].enable_fts(["repo_id"], fts_version="FTS5", create_triggers=True)  # an older index
    ensure_schema(memory_db)
    assert [c.name for c in memory_db["artifacts_fts"].columns] == FTS_COLUMNS["artifacts"]
    assert [r["rowid"] for r in memory_db.query("select rowid from artifacts_fts where artifacts_fts match 'question'")]
    store(memory_db, "model", record("org/other", pipeline_tag="translation"))  # the triggers keep it current
    assert len(list(memory_db.query("select rowid from artifacts_fts where artifacts_fts match 'translation'"))) == 1
