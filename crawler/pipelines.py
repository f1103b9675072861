"""Item pipeline: normalize each crawled repo and write it to SQLite in batches."""

from __future__ import annotations

from crawler.config import db_path
from crawler.items import ArtifactItem, PageItem, artifact_key
from crawler.normalize import derive_artifact, normalize_artifact, page_row_for, sources_from_rows
from crawler.pages import parse_hub_page
from db import (
    mark_gone,
    open_db,
    rename_artifact,
    renamed_artifacts,
    save_artifacts,
    save_history,
    save_page,
    stored_sources,
    update_counters,
)

COUNTER_COLUMNS = {"downloads": "downloads", "downloadsAllTime": "downloads_all_time", "likes": "likes",
                   "trendingScore": "trending_score"}  # fmt: skip


class SQLitePipeline:
    """Batches of HUBCRAWL_BATCH_SIZE artifacts per transaction: fast, and a killed run loses at most one batch."""

    def __init__(self, crawler) -> None:
        self.stats = crawler.stats
        self.path = db_path(crawler.settings.get("HUBCRAWL_DB"))
        self.batch_size = crawler.settings.getint("HUBCRAWL_BATCH_SIZE")
        self.pending: list = []
        self.counters: list[dict] = []
        self.history: list[dict] = []
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        self.db = open_db(self.path)

    def process_item(self, item):
        if isinstance(item, PageItem):
            self.process_page(item)
            return item
        if item.record is not None:
            self.history.append(history_row(item))
        if item.mode == "counters":
            self.counters.append({"id": artifact_key(item.kind, item.repo_id),
                                  **{col: item.record.get(key) for key, col in COUNTER_COLUMNS.items()}})  # fmt: skip
        else:
            normalized = self.normalize(item)
            self.count_errors(normalized.errors)
            self.pending.append(normalized)
        if len(self.pending) + len(self.counters) >= self.batch_size:
            self.flush()
        return item

    def normalize(self, item: ArtifactItem):
        """A fresh answer is normalized as is; otherwise what is stored fills in what this crawl did not fetch."""
        stored = None
        if item.mode == "reuse_card" or item.record is None:
            stored = next(stored_sources(self.db, [artifact_key(item.kind, item.repo_id)]), None)
        if stored is None:
            return normalize_artifact(item)
        sources = sources_from_rows(*stored)
        sources.fetched_at = item.fetched_at
        if item.record is not None:  # the stored card is from this commit; the record is today's
            sources.record = item.record
        else:  # the repo could not be read now: keep the last record, add today's failure
            sources.fetch_errors = [e for e in sources.fetch_errors if e["kind"] != "repo_not_found"] + item.fetch_errors
        return derive_artifact(sources)

    def process_page(self, item: PageItem) -> None:
        """Store the page, then re-derive its artifact from everything stored (API, card, page)."""
        parsed = parse_hub_page(item.html) if item.html is not None else None
        row = page_row_for(item.kind, item.repo_id, item.url, item.fetched_at, item.status, parsed, item.fetch_errors)
        if parsed is None:  # a failed fetch keeps the page content of the last good visit
            row = {k: row[k] for k in ("artifact_id", "url", "status", "errors", "fetched_at")}
        self.count_errors(row["errors"])
        self.flush()  # the artifact may still be waiting in this batch
        save_page(self.db, row)
        for stored in stored_sources(self.db, [row["artifact_id"]]):
            save_artifacts(self.db, [derive_artifact(sources_from_rows(*stored))])
        self.stats.inc_value("hubcrawl/pages_stored")

    def count_errors(self, errors: list[dict]) -> None:
        for error in errors:
            self.stats.inc_value(f"hubcrawl/errors/{error['kind']}")
        if errors:
            self.stats.inc_value("hubcrawl/artifacts_with_errors")

    def flush(self) -> None:
        if self.pending:
            # A repo that reappears under a new name with the same Hub `_id` was renamed: move its history.
            for old_id, new_id in renamed_artifacts(self.db, [n.artifact for n in self.pending]):
                rename_artifact(self.db, old_id, new_id)
                self.stats.inc_value("hubcrawl/renamed")
            save_artifacts(self.db, self.pending)
            gone = {n.artifact["id"] for n in self.pending if any(e["kind"] == "repo_not_found" for e in n.errors)}
            here = [n.artifact["id"] for n in self.pending if n.artifact["id"] not in gone]
            mark_gone(self.db, sorted(gone), here, self.pending[0].artifact["fetched_at"])
            self.stats.inc_value("hubcrawl/artifacts_stored", len(self.pending))
            self.pending = []
        if self.counters:
            self.stats.inc_value("hubcrawl/artifacts_stored", update_counters(self.db, self.counters))
            self.counters = []
        run_id = self.stats.get_value("hubcrawl/run_id")
        save_history(self.db, [dict(h, run_id=run_id) for h in self.history])
        self.history = []

    def close_spider(self) -> None:
        self.flush()
        self.db.close()


def history_row(item: ArtifactItem) -> dict:
    """The counters this run saw (its run id is set when the batch is written)."""
    record = item.record
    return {
        "artifact_id": artifact_key(item.kind, record.get("id") or item.repo_id),
        "seen_at": item.fetched_at,
        "downloads": record.get("downloads"),
        "downloads_all_time": record.get("downloadsAllTime"),
        "likes": record.get("likes"),
    }
