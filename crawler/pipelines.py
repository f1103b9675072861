"""Item pipeline: normalize each crawled repo and write it to SQLite in batches."""

from __future__ import annotations

from crawler.config import db_path
from crawler.items import PageItem
from crawler.normalize import derive_artifact, normalize_artifact, page_row_for, sources_from_rows
from crawler.pages import parse_hub_page
from db import open_db, save_artifacts, save_page, stored_sources


class SQLitePipeline:
    """Batches of HUBCRAWL_BATCH_SIZE artifacts per transaction: fast, and a killed run loses at most one batch."""

    def __init__(self, crawler) -> None:
        self.stats = crawler.stats
        self.path = db_path(crawler.settings.get("HUBCRAWL_DB"))
        self.batch_size = crawler.settings.getint("HUBCRAWL_BATCH_SIZE")
        self.pending: list = []
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
        normalized = normalize_artifact(item)
        self.count_errors(normalized.errors)
        self.pending.append(normalized)
        if len(self.pending) >= self.batch_size:
            self.flush()
        return item

    def process_page(self, item: PageItem) -> None:
        """Store the page, then re-derive its artifact from everything stored (API, card, page)."""
        parsed = parse_hub_page(item.html) if item.html is not None else None
        row = page_row_for(item.kind, item.repo_id, item.url, item.fetched_at, item.status, parsed, item.fetch_errors)
        if parsed is None:  # a failed fetch keeps the page content of the last good visit
            row = {k: row[k] for k in ("artifact_id", "url", "status", "errors", "fetched_at")}
        self.count_errors(row["errors"])
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
            save_artifacts(self.db, self.pending)
            self.stats.inc_value("hubcrawl/artifacts_stored", len(self.pending))
            self.pending = []

    def close_spider(self) -> None:
        self.flush()
        self.db.close()
