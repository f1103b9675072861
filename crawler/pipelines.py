"""Item pipeline: normalize each crawled repo and write it to SQLite in batches."""

from __future__ import annotations

from crawler.config import db_path
from crawler.normalize import normalize_artifact
from db import open_db, save_artifacts


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
        normalized = normalize_artifact(item)
        for error in normalized.errors:
            self.stats.inc_value(f"hubcrawl/errors/{error['kind']}")
        if normalized.errors:
            self.stats.inc_value("hubcrawl/artifacts_with_errors")
        self.pending.append(normalized)
        if len(self.pending) >= self.batch_size:
            self.flush()
        return item

    def flush(self) -> None:
        if self.pending:
            save_artifacts(self.db, self.pending)
            self.stats.inc_value("hubcrawl/artifacts_stored", len(self.pending))
            self.pending = []

    def close_spider(self) -> None:
        self.flush()
        self.db.close()
