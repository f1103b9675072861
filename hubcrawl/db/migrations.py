"""Numbered migrations: the schema changes the additive sync (`ensure_schema`: new tables, columns,
indexes, search indexes whose columns changed) cannot make by itself.

A database records its number in PRAGMA user_version. A writer opening an older one runs every step
numbered above it, in order, each in one transaction together with its new number; then the sync.
A step, once released, never changes: a new change is the next number, and SCHEMA_VERSION with it.
"""

from __future__ import annotations

import json

import sqlite_utils

from hubcrawl.db.schema import SCHEMA_VERSION


def step_2(db: sqlite_utils.Database) -> None:
    """`artifacts.run_id`: the run that stored each row. Rows stored before it keep none."""
    if "run_id" not in db["artifacts"].columns_dict:
        db["artifacts"].add_column("run_id", int)


def step_3(db: sqlite_utils.Database) -> None:
    """The details pass: `repo_files` and the architecture columns, all new (the sync makes them).
    Nothing to move: artifacts get their facts when the pass first fetches their config."""


def step_4(db: sqlite_utils.Database) -> None:
    """Comparisons stored once: each record's two capability lists move to `comparison_sides` (one row per
    artifact, the newest record's lines kept), and the stored Markdown goes (rendered from the record)."""
    if not db["comparisons"].exists():
        return
    sides: dict[str, tuple] = {}
    rewritten = []
    for row in db.query("select id, record, method_version, created_at from comparisons order by created_at"):
        record = json.loads(row["record"])
        for side, caps in (record.pop("capabilities", None) or {}).items():
            sides[record[side]["id"]] = (json.dumps(caps, ensure_ascii=False), row["method_version"], row["created_at"])
        rewritten.append({"id": row["id"], "record": json.dumps(record, ensure_ascii=False)})
    db["comparison_sides"].create(
        {"artifact_id": str, "capabilities": str, "method_version": str, "created_at": str},
        pk="artifact_id",
        foreign_keys=[("artifact_id", "artifacts", "id")],
        if_not_exists=True,
    )
    db["comparison_sides"].upsert_all(
        (
            {"artifact_id": a, "capabilities": caps, "method_version": method, "created_at": made}
            for a, (caps, method, made) in sides.items()
        ),
        pk="artifact_id",
    )
    db["comparisons"].upsert_all(rewritten, pk="id")
    if "markdown" in db["comparisons"].columns_dict:
        db["comparisons"].transform(drop={"markdown"})


def step_5(db: sqlite_utils.Database) -> None:
    """Search in score order: `search_order` and `search_fts`, new (the sync makes them); filled by the next
    `hubcrawl rank`, until which a search ranks by text alone."""


MIGRATIONS = {2: step_2, 3: step_3, 4: step_4, 5: step_5}
if max(MIGRATIONS) != SCHEMA_VERSION:  # checked at import: a new step without a new version number, or the reverse
    raise RuntimeError(f"the last migration is {max(MIGRATIONS)}, the schema version {SCHEMA_VERSION}")


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Run the steps a database lacks; returns their numbers. A new file (no tables) needs none.
    A file from before versions were recorded (0, with hubcrawl's tables) is version 1."""
    if not db.table_names():
        return []
    version = max(db.execute("PRAGMA user_version").fetchone()[0], 1)
    done = []
    for number in sorted(n for n in MIGRATIONS if n > version):
        with db.atomic():
            MIGRATIONS[number](db)
            db.execute(f"PRAGMA user_version = {number}")
        done.append(number)
    return done
