"""A database written by an earlier hubcrawl opens and is brought up to date in place.

`fixtures/databases/schema-1.db` was written by hubcrawl at commit 47de200 (before schema versions:
user_version 0, no application_id, no `artifacts.run_id`): 16 repos crawled, ranked and compared.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import sqlite_utils

from hubcrawl.db import APPLICATION_ID, SCHEMA_VERSION
from tests.conftest import REPO_ROOT, hubcrawl
from tests.hubstub import StubHub, make_hub

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "databases" / "schema-1.db"
NOWHERE = "http://127.0.0.1:9"


def test_an_older_database_is_refused_by_readers_and_migrated_in_place(tmp_path):
    db_file = tmp_path / "hub.db"
    shutil.copy(FIXTURE, db_file)
    refused = hubcrawl("show", "org01/model-00001", endpoint=NOWHERE, db=db_file)
    assert refused.code == 1 and "hubcrawl migrate" in refused.stderr
    migrated = hubcrawl("migrate", endpoint=NOWHERE, db=db_file)
    assert migrated.code == 0 and f"schema version {SCHEMA_VERSION}" in migrated.stdout
    db = sqlite_utils.Database(db_file)
    assert db.execute("pragma application_id").fetchone()[0] == APPLICATION_ID
    assert "run_id" in db["artifacts"].columns_dict
    assert db.execute("select count(*) from artifacts").fetchone()[0] == 16
    assert db.execute("select count(*) from comparisons").fetchone()[0] == 3  # nothing lost on the way
    # Step 4: each record stored once, its sides' lines in comparison_sides, read back whole from the view.
    assert "markdown" not in db["comparisons"].columns_dict
    whole = [json.loads(r[0]) for r in db.execute("select record from comparison_records")]
    assert len(whole) == 3 and all(r["capabilities"]["a"] and r["capabilities"]["b"] for r in whole)
    assert all("capabilities" not in json.loads(r[0]) for r in db.execute("select record from comparisons"))
    shown = hubcrawl("show", "org01/model-00001", "--format", "json", endpoint=NOWHERE, db=db_file)
    assert shown.code == 0 and '"repo_id": "org01/model-00001"' in shown.stdout
    assert hubcrawl("search", "model", endpoint=NOWHERE, db=db_file).code == 0


def test_a_writer_migrates_an_older_database_on_its_own(tmp_path):
    db_file = tmp_path / "hub.db"
    shutil.copy(FIXTURE, db_file)
    with StubHub(make_hub(12, 4, awkward=False)) as hub:
        crawled = hubcrawl("crawl", "models", "--full", endpoint=hub.url, db=db_file)
    assert crawled.code == 0, crawled.stderr
    assert hubcrawl("rank", endpoint=NOWHERE, db=db_file).code == 0
    db = sqlite3.connect(db_file)
    assert db.execute("pragma user_version").fetchone()[0] == SCHEMA_VERSION
    runs = db.execute("select id, status, items from crawl_runs order by id").fetchall()
    assert runs == [(1, "finished", 16), (2, "finished", 12)]  # the old ledger kept, the new run counted


def test_records_made_before_feature_keys_still_render(tmp_path):
    db_file = tmp_path / "hub.db"
    shutil.copy(FIXTURE, db_file)
    assert hubcrawl("migrate", endpoint=NOWHERE, db=db_file).code == 0
    site = hubcrawl("site", str(tmp_path / "site"), endpoint=NOWHERE, db=db_file)
    assert site.code == 0, site.stderr
    assert len(list((tmp_path / "site" / "compare").iterdir())) == 3
