"""The database layer on a real SQLite file."""

from __future__ import annotations

import sqlite3
import threading
import time

from hubcrawl.crawler.items import ArtifactItem
from hubcrawl.crawler.normalize import normalize_artifact
from hubcrawl.db import open_db, open_readonly, save_artifacts


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
