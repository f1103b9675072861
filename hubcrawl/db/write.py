"""Every write: upserts of crawled artifacts and pages, scores, edges, comparisons, marks, history.
Each function is one transaction of idempotent statements, so a retry after a lock is safe."""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlite_utils

from hubcrawl.db.connection import chunked, encode_row, retry_when_locked
from hubcrawl.db.schema import FTS_COLUMNS


@retry_when_locked
def save_artifacts(db: sqlite_utils.Database, batch: Iterable[dict]) -> int:
    """Upsert a batch of artifacts in one transaction. Each is plain rows: {"artifact": row,
    "card": row or None, "capabilities": [row], "eval_results": [row]}; an artifact's capabilities
    and eval results are replaced as a whole."""
    artifacts, cards, capabilities, evals = [], [], [], []
    for rows in batch:
        artifact_id = rows["artifact"]["id"]
        artifacts.append(encode_row("artifacts", rows["artifact"]))
        if rows.get("card") is not None:
            cards.append(encode_row("cards", rows["card"]))
        for position, cap in enumerate(rows.get("capabilities", ())):
            capabilities.append(encode_row("capabilities", dict(cap, artifact_id=artifact_id, position=position)))
        evals.extend(dict(e, artifact_id=artifact_id) for e in rows.get("eval_results", ()))
    ids = [a["id"] for a in artifacts]
    with db.atomic():
        db["artifacts"].upsert_all(artifacts, pk="id")
        if cards:
            db["cards"].upsert_all(cards, pk="artifact_id")
        for table in ("capabilities", "eval_results"):
            for chunk in chunked(ids, 500):
                db.execute(f"delete from {table} where artifact_id in ({','.join('?' * len(chunk))})", chunk)
        if capabilities:
            db["capabilities"].insert_all(capabilities)
        if evals:
            db["eval_results"].insert_all(evals)
    return len(artifacts)


@retry_when_locked
def save_page(db: sqlite_utils.Database, page: dict) -> None:
    with db.atomic():
        db["pages"].upsert(encode_row("pages", page), pk="artifact_id")


@retry_when_locked
def save_file(db: sqlite_utils.Database, row: dict) -> None:
    """One repo file at one commit (the details pass); the previous commit's copy is replaced."""
    with db.atomic():
        db["repo_files"].upsert(encode_row("repo_files", row), pk=("artifact_id", "path"))


@retry_when_locked
def replace_scores(db: sqlite_utils.Database, scores: Iterable[dict]) -> None:
    """Every score, replaced as a whole (`scores` may be a stream: it is written in batches)."""
    with db.atomic():
        db.execute("delete from scores")
        db["scores"].insert_all(scores, batch_size=5000)


@retry_when_locked
def save_comparisons(db: sqlite_utils.Database, rows: list[dict], sides: list[dict] = ()) -> None:
    """Comparison records and the capability sides they are read with, in one transaction."""
    with db.atomic():
        # A side's capabilities arrive as JSON text: encoded once by the comparator, written as they are.
        db["comparison_sides"].upsert_all(sides, pk="artifact_id", batch_size=2000)
        db["comparisons"].upsert_all(rows, pk="id", batch_size=2000)


@retry_when_locked
def clear_watermark(db: sqlite_utils.Database, key: str) -> None:
    with db.atomic():
        db.execute("delete from crawl_state where key = ?", [key])


@retry_when_locked
def save_watermark(db: sqlite_utils.Database, key: str, high_water: str, run_id: int | None, updated_at: str) -> None:
    with db.atomic():
        db["crawl_state"].upsert(
            {"key": key, "high_water": high_water, "run_id": run_id, "updated_at": updated_at}, pk="key"
        )


@retry_when_locked
def save_history(db: sqlite_utils.Database, rows: list[dict]) -> None:
    """Counters seen in a run, one row per artifact and run (adoption over time)."""
    if rows:
        with db.atomic():
            db["counter_history"].upsert_all(rows, pk=("artifact_id", "run_id"))


@retry_when_locked
def update_counters(db: sqlite_utils.Database, rows: list[dict]) -> int:
    """Refresh only the adoption counters of stored artifacts (`crawl --counters`)."""
    with db.atomic():
        db.conn.executemany(
            "update artifacts set downloads = :downloads, downloads_all_time = :downloads_all_time, likes = :likes, "
            "trending_score = :trending_score, run_id = :run_id where id = :id",
            rows,
        )
    return len(rows)


# Every column that refers to an artifact id: a rename moves them all.
ARTIFACT_REFERENCES = [
    ("cards", "artifact_id"),
    ("capabilities", "artifact_id"),
    ("eval_results", "artifact_id"),
    ("pages", "artifact_id"),
    ("repo_files", "artifact_id"),
    ("scores", "artifact_id"),
    ("counter_history", "artifact_id"),
    ("edges", "source"),
    ("edges", "target"),
    ("comparisons", "a_id"),
    ("comparisons", "b_id"),
]


@retry_when_locked
def rename_artifact(db: sqlite_utils.Database, old_id: str, new_id: str, new_repo_id: str) -> None:
    """Move an artifact and everything that refers to it to its new name; its history stays with it."""
    with db.atomic():
        if db.execute("select 1 from artifacts where id = ?", [new_id]).fetchone():
            db.execute("delete from artifacts where id = ?", [new_id])  # a row the new name got meanwhile
        previous = json.loads(
            db.execute("select coalesce(previous_ids, '[]') from artifacts where id = ?", [old_id]).fetchone()[0]
        )
        db.execute(
            "update artifacts set id = ?, repo_id = ?, previous_ids = ? where id = ?",
            [new_id, new_repo_id, json.dumps(previous + [old_id]), old_id],
        )
        for table, column in ARTIFACT_REFERENCES:
            db.execute(f"update or replace {table} set {column} = ? where {column} = ?", [new_id, old_id])


@retry_when_locked
def mark_gone(db: sqlite_utils.Database, gone_ids: list[str], present_ids: list[str], when: str) -> None:
    """Repos the Hub no longer has keep their row, dated `gone_at` (first seen gone); ones seen again lose it."""
    with db.atomic():
        for chunk in chunked(gone_ids, 500):
            db.execute(
                f"update artifacts set gone_at = coalesce(gone_at, ?) where id in ({','.join('?' * len(chunk))})",
                [when, *chunk],
            )
        for chunk in chunked(present_ids, 500):
            db.execute(
                f"update artifacts set gone_at = null where gone_at is not null and id in ({','.join('?' * len(chunk))})",
                chunk,
            )


@retry_when_locked
def optimize_search_indexes(db: sqlite_utils.Database) -> None:
    """Merge each full-text index into one segment: a pass that rewrites every row leaves the old entries'
    delete markers behind (the names-and-capabilities index doubles in size until merged)."""
    for table in FTS_COLUMNS:
        db.execute(f"insert into {table}_fts({table}_fts) values ('optimize')")
