"""The database: schema, upserts and queries, in one place. Everything else calls these functions.

One SQLite file, written through sqlite-utils. Artifacts are keyed by their Hub URL path
(`owner/name`, `datasets/owner/name`), unique on (kind, repo_id), with the Hub's stable `_id`
kept as `hub_id`. Tables that belong to an artifact carry `artifact_id` with a foreign key.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

JSON_COLUMNS = {
    "artifacts": ("licenses", "tasks", "formats", "languages", "tags", "datasets", "base_models", "papers",
                  "errors", "record"),
    "cards": ("front_matter", "errors"),
    "crawl_runs": ("arguments", "errors_by_kind"),
}  # fmt: skip

SCHEMA: dict[str, dict[str, Any]] = {
    "artifacts": {
        "columns": {
            "id": str, "kind": str, "repo_id": str, "hub_id": str, "author": str, "sha": str,
            "last_modified": str, "created_at": str, "downloads": int, "downloads_all_time": int,
            "likes": int, "trending_score": int, "private": int, "disabled": int, "gated": str,
            "license": str, "licenses": str, "license_name": str, "pricing": str, "task": str,
            "tasks": str, "library_name": str, "parameters": int, "formats": str, "languages": str,
            "tags": str, "datasets": str, "base_models": str, "papers": str, "spaces": int,
            "card_length": int, "fetched_at": str, "errors": str, "record": str,
        },
        "pk": "id",
    },
    "cards": {
        "columns": {
            "artifact_id": str, "url": str, "sha": str, "front_matter": str, "has_front_matter": int,
            "body": str, "length": int, "raw_text": str, "errors": str, "fetched_at": str,
        },
        "pk": "artifact_id",
        "foreign_keys": [("artifact_id", "artifacts", "id")],
    },
    "crawl_runs": {
        "columns": {
            "id": int, "started_at": str, "finished_at": str, "status": str, "spiders": str,
            "endpoint": str, "arguments": str, "requests": int, "listing_pages": int, "items": int,
            "cards": int, "errors": int, "errors_by_kind": str, "message": str,
        },
        "pk": "id",
    },
}  # fmt: skip

INDEXES = [
    ("artifacts", ["kind", "repo_id"], True),
    ("artifacts", ["hub_id"], False),
    ("artifacts", ["task"], False),
]


class DatabaseError(RuntimeError):
    """The database cannot be opened or used; the message is meant for the user as is."""


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) a writable database with the schema in place and WAL on."""
    try:
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA busy_timeout = 30000")
        db.enable_wal()
        ensure_schema(db)
    except (sqlite3.Error, OSError) as exc:
        raise DatabaseError(f"cannot open database {path}: {exc}") from None
    return db


def open_readonly(path: str | Path) -> sqlite_utils.Database:
    """Open an existing database so that no statement can change it (SQLite enforces it)."""
    if not Path(path).is_file():
        raise DatabaseError(f"no database at {path}")
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open database {path}: {exc}") from None
    return sqlite_utils.Database(conn)


def ensure_schema(db: sqlite_utils.Database) -> None:
    for name, spec in SCHEMA.items():
        table = db[name]
        if not table.exists():
            table.create(spec["columns"], pk=spec["pk"], foreign_keys=spec.get("foreign_keys"))
        else:
            missing = {c: t for c, t in spec["columns"].items() if c not in table.columns_dict}
            for column, col_type in missing.items():
                table.add_column(column, col_type)
    for name, columns, unique in INDEXES:
        db[name].create_index(columns, unique=unique, if_not_exists=True)


def to_json(value: Any) -> str | None:
    """JSON for a column; YAML front matter may hold dates, which become ISO strings."""
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


def encode_row(table: str, row: dict) -> dict:
    out = dict(row)
    for column in JSON_COLUMNS.get(table, ()):
        if column in out:
            out[column] = to_json(out[column])
    return out


def save_artifacts(db: sqlite_utils.Database, batch: Iterable[Any]) -> int:
    """Upsert a batch of normalized artifacts (and their cards) in one transaction."""
    artifacts, cards = [], []
    for normalized in batch:
        artifacts.append(encode_row("artifacts", normalized.artifact))
        if normalized.card is not None:
            cards.append(encode_row("cards", normalized.card))
    with db.atomic():
        db["artifacts"].upsert_all(artifacts, pk="id")
        if cards:
            db["cards"].upsert_all(cards, pk="artifact_id")
    return len(artifacts)


def start_run(db: sqlite_utils.Database, *, spiders: list[str], endpoint: str, arguments: dict, started_at: str) -> int:
    table = db["crawl_runs"]
    with db.atomic():
        table.insert(
            encode_row(
                "crawl_runs",
                {
                    "started_at": started_at,
                    "status": "running",
                    "spiders": ",".join(spiders),
                    "endpoint": endpoint,
                    "arguments": arguments,
                    "requests": 0,
                    "listing_pages": 0,
                    "items": 0,
                    "cards": 0,
                    "errors": 0,
                    "errors_by_kind": {},
                },
            )
        )
    return table.last_pk


def add_run_counts(db: sqlite_utils.Database, run_id: int, counts: dict[str, int], errors_by_kind: dict[str, int]) -> None:
    """Add one spider's counts to a run (a `crawl all` run is several spiders)."""
    with db.atomic():
        run = db["crawl_runs"].get(run_id)
        merged = json.loads(run["errors_by_kind"] or "{}")
        for kind, n in errors_by_kind.items():
            merged[kind] = merged.get(kind, 0) + n
        update = {k: (run[k] or 0) + v for k, v in counts.items()}
        update["errors"] = sum(merged.values())
        update["errors_by_kind"] = to_json(merged)
        db["crawl_runs"].update(run_id, update)


def finish_run(db: sqlite_utils.Database, run_id: int, *, status: str, finished_at: str, message: str | None = None) -> dict:
    with db.atomic():
        db["crawl_runs"].update(run_id, {"status": status, "finished_at": finished_at, "message": message})
    return get_run(db, run_id)


def get_run(db: sqlite_utils.Database, run_id: int) -> dict:
    return decode_row("crawl_runs", db["crawl_runs"].get(run_id))


def list_runs(db: sqlite_utils.Database, limit: int = 50) -> list[dict]:
    rows = db.query("select * from crawl_runs order by id desc limit ?", [limit])
    return [decode_row("crawl_runs", r) for r in rows]


def decode_row(table: str, row: dict) -> dict:
    out = dict(row)
    for column in JSON_COLUMNS.get(table, ()):
        if isinstance(out.get(column), str):
            out[column] = json.loads(out[column])
    return out


def find_artifacts(db: sqlite_utils.Database, identifier: str) -> list[dict]:
    """Artifacts an identifier names: `datasets/a/b` is a dataset; bare `a/b` may be either kind."""
    if identifier.startswith("datasets/"):
        rows = db.query("select * from artifacts where kind = 'dataset' and repo_id = ?", [identifier[9:]])
    else:
        rows = db.query("select * from artifacts where repo_id = ? order by kind desc", [identifier])
    return [decode_row("artifacts", r) for r in rows]


def get_card(db: sqlite_utils.Database, artifact_id: str) -> dict | None:
    rows = list(db.query("select * from cards where artifact_id = ?", [artifact_id]))
    return decode_row("cards", rows[0]) if rows else None


def counts_by_kind(db: sqlite_utils.Database) -> dict[str, int]:
    return {r["kind"]: r["n"] for r in db.query("select kind, count(*) as n from artifacts group by kind")}


def run_query(db: sqlite_utils.Database, sql: str, params: Iterable[Any] = ()) -> tuple[list[str], list[tuple]]:
    cursor = db.execute(sql, list(params))
    columns = [d[0] for d in cursor.description or []]
    return columns, cursor.fetchall()
