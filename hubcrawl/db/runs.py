"""The crawl-run ledger (`crawl_runs`)."""

from __future__ import annotations

import json

import sqlite_utils

from hubcrawl.db.connection import decode_row, encode_row, retry_when_locked, to_json


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
                    "pages": 0,
                    "errors": 0,
                    "errors_by_kind": {},
                },
            )
        )
    return table.last_pk


@retry_when_locked
def add_run_counts(
    db: sqlite_utils.Database, run_id: int, counts: dict[str, int], errors_by_kind: dict[str, int]
) -> None:
    """Add what one spider did since its last report to a run (a `crawl all` run is several spiders).
    `items` is not added but counted: the distinct repos this run stored, however often listed."""
    with db.atomic():
        run = db["crawl_runs"].get(run_id)
        merged = json.loads(run["errors_by_kind"] or "{}")
        for kind, n in errors_by_kind.items():
            merged[kind] = merged.get(kind, 0) + n
        update = {k: (run[k] or 0) + v for k, v in counts.items() if k != "items"}
        update["items"] = db.execute("select count(*) from artifacts where run_id = ?", [run_id]).fetchone()[0]
        update["errors"] = sum(merged.values())
        update["errors_by_kind"] = to_json(merged)
        db["crawl_runs"].update(run_id, update)


def finish_run(
    db: sqlite_utils.Database, run_id: int, *, status: str, finished_at: str, message: str | None = None
) -> dict:
    with db.atomic():
        db["crawl_runs"].update(run_id, {"status": status, "finished_at": finished_at, "message": message})
    return get_run(db, run_id)


def get_run(db: sqlite_utils.Database, run_id: int) -> dict:
    return decode_row("crawl_runs", db["crawl_runs"].get(run_id))


def list_runs(db: sqlite_utils.Database, limit: int = 50) -> list[dict]:
    rows = db.query("select * from crawl_runs order by id desc limit ?", [limit])
    return [decode_row("crawl_runs", r) for r in rows]


def interrupt_stale_runs(db: sqlite_utils.Database, finished_at: str) -> int:
    """Runs still marked running when a new run holds the lock were killed: say so in the ledger."""
    with db.atomic():
        cursor = db.execute(
            "update crawl_runs set status = 'interrupted', finished_at = coalesce(finished_at, ?) "
            "where status = 'running'",
            [finished_at],
        )
    return cursor.rowcount
