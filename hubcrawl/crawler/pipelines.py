"""Item pipeline: normalize each crawled repo and write it to SQLite in batches.

A bad repo costs its own row at most: a repo the normalizer cannot read is stored with the
problem recorded, and a batch the database refuses is written again repo by repo. Only a
database that cannot be written at all (a full disk, a read-only file) stops the crawl, with one
message, since every further fetch would be wasted.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import sqlite3
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import deferred_from_coro

from hubcrawl.crawler.config import db_path, hub_endpoint
from hubcrawl.crawler.errors import problem
from hubcrawl.crawler.items import ArtifactItem, FileItem, PageItem, artifact_key, split_artifact_key
from hubcrawl.crawler.normalize import (
    COUNTER_COLUMNS,
    NormalizedArtifact,
    counter_fields,
    derive_artifact,
    file_row_for,
    normalize_artifact,
    page_row_for,
    sources_from_rows,
)
from hubcrawl.crawler.pages import parse_hub_page
from hubcrawl.crawler.runs import run_report
from hubcrawl.crawler.validate import check_record
from hubcrawl.db import (
    DatabaseError,
    close_db,
    mark_gone,
    open_db,
    rename_artifact,
    renamed_artifacts,
    save_artifacts,
    save_file,
    save_history,
    save_page,
    stored_files,
    stored_sources,
    update_counters,
)

logger = logging.getLogger("hubcrawl")

# What one bad row can raise while being written; anything else from SQLite (a full disk, a
# read-only or damaged file) is the database's own failure and stops the crawl.
ROW_ERRORS = (ValueError, TypeError, OverflowError, sqlite3.InterfaceError, sqlite3.IntegrityError)


class DatabaseUnwritable(RuntimeError):
    """The database refuses every write: the crawl stops."""


class SQLitePipeline:
    """Batches of HUBCRAWL_BATCH_SIZE artifacts per transaction: fast, and a killed run loses at most one batch."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = db_path(crawler.settings.get("HUBCRAWL_DB"))
        self.endpoint = hub_endpoint()
        self.batch_size = crawler.settings.getint("HUBCRAWL_BATCH_SIZE")
        self.pending: list[NormalizedArtifact] = []
        self.counters: list[dict] = []
        self.history: list[dict] = []
        self.failed: str | None = None  # why the database cannot be written, once it cannot
        self.db = None
        self.workers = normalize_workers(crawler.settings.getint("HUBCRAWL_NORMALIZE_WORKERS"))
        self.workers_after = crawler.settings.getfloat("HUBCRAWL_NORMALIZE_WORKERS_AFTER")
        self.normalized_here = 0.0  # seconds spent normalizing in this process so far
        self.pool: ProcessPoolExecutor | None = None
        self.in_flight: set[asyncio.Future] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        try:
            self.db = open_db(self.path, create=True)
        except DatabaseError as exc:
            logger.error("%s", exc)
            self.failed = str(exc)
            run_report(self.crawler).fatal = self.failed  # the ledger need not say it again
            raise CloseSpider("database_error") from None
        if self.workers and self.workers_after <= 0:
            self.start_workers()

    def start_workers(self) -> None:
        """The worker processes, each warmed up (its imports done) before its first card."""
        # spawn, not fork: a worker must not inherit the reactor or the open SQLite connection.
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        for _ in range(self.workers):
            self.pool.submit(warm_up)

    async def process_item(self, item):
        if self.failed:
            return item  # the crawl is stopping; nothing more can be written
        try:
            if isinstance(item, PageItem):
                await self.drain()  # its artifact may still be in a worker
                self.process_page(item)
            elif isinstance(item, FileItem):
                await self.drain()
                self.process_file(item)
            else:
                await self.process_artifact(item)
        except DatabaseUnwritable as exc:
            self.stop(str(exc))
        return item

    async def process_artifact(self, item: ArtifactItem) -> None:
        if item.mode == "counters":
            record, _ = check_record(item.record)
            self.history.append(record_history(item, record))
            self.counters.append(
                {
                    "id": artifact_key(item.kind, item.repo_id),
                    "run_id": self.run_id(),
                    **counter_fields(record),
                }
            )
        else:
            normalized = await self.normalize(item)
            if self.failed:
                return  # the crawl stopped while a worker had it
            if item.record is not None and "downloads" in normalized.artifact:
                # The normalizer checked the record already (maybe in a worker): its counters are the history's.
                counters = {column: normalized.artifact[column] for column in COUNTER_COLUMNS.values()}
                self.history.append(history_row(item, normalized.artifact["id"], counters))
            elif item.record is not None:  # the normalizer failed: the record's counters, checked here
                self.history.append(record_history(item, check_record(item.record)[0]))
            normalized.artifact["run_id"] = self.run_id()
            self.count_errors(normalized.errors)
            self.pending.append(normalized)
        if len(self.pending) + len(self.counters) >= self.batch_size:
            self.flush()

    async def normalize(self, item: ArtifactItem) -> NormalizedArtifact:
        """A fresh answer is normalized as is (in a worker process when there are any); otherwise what is
        stored fills in what this crawl did not fetch. A repo the normalizer fails on is still stored, with
        its raw record and the failure."""
        try:
            stored = None
            if item.mode == "reuse_card" or item.record is None:
                stored = next(stored_sources(self.db, [artifact_key(item.kind, item.repo_id)]), None)
            if stored is None:  # a fresh card: the config files stored for this commit still count
                files = stored_files(self.db, artifact_key(item.kind, item.repo_id))
                return await self.normalize_fresh(item, files)
            sources = sources_from_rows(*stored, self.endpoint)
            sources.fetched_at = item.fetched_at
            if item.record is not None:  # the stored card is from this commit; the record is today's
                sources.record = item.record
            else:  # the repo could not be read now: keep the last record, add today's failure
                sources.fetch_errors = [
                    e for e in sources.fetch_errors if e["kind"] != "repo_not_found"
                ] + item.fetch_errors
            return derive_artifact(sources)
        except sqlite3.Error as exc:
            raise DatabaseUnwritable(f"database error: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - a normalizer bug must cost this repo's fields, not the run
            logger.error("could not normalize %s: %s: %s", item.repo_id, exc.__class__.__name__, exc)
            return bare_artifact(item, problem("normalize_failed", f"{exc.__class__.__name__}: {exc}"))

    async def normalize_fresh(self, item: ArtifactItem, files: dict) -> NormalizedArtifact:
        """Parsing and deriving are pure and take most of a repo's CPU: done by a worker process beside the
        reactor when there is a core for one, so fetching never waits on them."""
        if self.pool is None:
            # A worker costs about half a second to start and to stop: worth it once this process has spent
            # HUBCRAWL_NORMALIZE_WORKERS_AFTER seconds normalizing (a few hundred real cards), not in a small crawl.
            started = time.perf_counter()
            normalized = normalize_artifact(item, self.endpoint, files)
            self.normalized_here += time.perf_counter() - started
            if self.workers and self.normalized_here >= self.workers_after:
                logger.info(
                    "%.1f s spent normalizing here: starting %d normalizer processes",
                    self.normalized_here,
                    self.workers,
                )
                self.start_workers()
            return normalized
        try:
            future = asyncio.wrap_future(self.pool.submit(normalize_artifact, item, self.endpoint, files))
            self.in_flight.add(future)
            try:
                return await future
            finally:
                self.in_flight.discard(future)
        except BrokenProcessPool:  # a worker died (killed, out of memory): the rest is done here
            logger.error("a normalizer process stopped; normalizing in the crawl process from now on")
            self.workers, self.pool = 0, None  # and never started again
            return normalize_artifact(item, self.endpoint, files)

    async def drain(self) -> None:
        """Wait until no repo is being normalized in a worker (each then waits in the batch)."""
        while self.in_flight:
            await asyncio.wait(set(self.in_flight))

    def process_page(self, item: PageItem) -> None:
        """Store the page, then re-derive its artifact from everything stored (API, card, page)."""
        parsed = parse_hub_page(item.html) if item.html is not None else None
        row = page_row_for(item.kind, item.repo_id, item.url, item.fetched_at, item.status, parsed, item.fetch_errors)
        if parsed is None:  # a failed fetch keeps the page content of the last good visit
            row = {k: row[k] for k in ("artifact_id", "url", "status", "errors", "fetched_at")}
        self.count_errors(row["errors"])
        self.flush()  # the artifact may still be waiting in this batch
        self.write(save_page, row)
        self.rederive(row["artifact_id"])
        self.stats.inc_value("hubcrawl/pages_stored")

    def process_file(self, item: FileItem) -> None:
        """Store a config file (raw text, at its commit), then re-derive its artifact from everything stored."""
        row = file_row_for(item)
        self.count_errors(row["errors"])
        self.write(save_file, row)
        self.rederive(row["artifact_id"])
        self.stats.inc_value("hubcrawl/files_stored")

    def rederive(self, artifact_id: str) -> None:
        """Derive a stored artifact again from all its stored sources; a failure keeps its last derivation."""
        try:
            derived = [
                derive_artifact(sources_from_rows(*stored, self.endpoint))
                for stored in stored_sources(self.db, [artifact_id])
            ]
        except sqlite3.Error as exc:
            raise DatabaseUnwritable(f"database error: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - what was fetched is stored; the artifact keeps its last derivation
            logger.error("could not re-derive %s: %s: %s", artifact_id, exc.__class__.__name__, exc)
            derived = []
        if derived:
            self.write(save_artifacts, [n.rows() for n in derived])

    def count_errors(self, errors: list[dict]) -> None:
        for error in errors:
            self.stats.inc_value(f"hubcrawl/errors/{error['kind']}")
        if errors:
            self.stats.inc_value("hubcrawl/artifacts_with_errors")

    def flush(self) -> None:
        if self.pending:
            batch, self.pending = self.pending, []
            self.write(self.save_batch, batch)
        if self.counters:
            counters, self.counters = self.counters, []
            self.write(update_counters, counters)
        if self.history:
            history, self.history = self.history, []
            run_id = self.run_id()
            self.write(save_history, [dict(h, run_id=run_id) for h in history])

    def save_batch(self, db, batch: list[NormalizedArtifact]) -> None:
        # A repo that reappears under a new name with the same Hub `_id` was renamed: move its history.
        for old_id, new_id in renamed_artifacts(db, [n.artifact for n in batch]):
            rename_artifact(db, old_id, new_id, split_artifact_key(new_id)[1])
            self.stats.inc_value("hubcrawl/renamed")
        try:
            save_artifacts(db, [n.rows() for n in batch])
        except ROW_ERRORS:
            batch = [saved for n in batch if (saved := self.save_alone(db, n)) is not None]
        gone = {n.artifact["id"] for n in batch if any(e["kind"] == "repo_not_found" for e in n.errors)}
        here = [n.artifact["id"] for n in batch if n.artifact["id"] not in gone]
        if batch:
            mark_gone(db, sorted(gone), here, batch[0].artifact["fetched_at"])
        self.stats.inc_value("hubcrawl/artifacts_stored", len(batch))

    def save_alone(self, db, normalized: NormalizedArtifact) -> NormalizedArtifact | None:
        """One artifact of a refused batch: as derived, else its bare row with the reason; None when
        even that is refused (this run then leaves the watermark, so the next run lists it again)."""
        try:
            save_artifacts(db, [normalized.rows()])
            return normalized
        except ROW_ERRORS as exc:
            error = problem("save_failed", f"{exc.__class__.__name__}: {exc}")
            logger.error("could not store %s as derived: %s", normalized.artifact["id"], error["detail"])
            bare = bare_row(normalized.artifact, error)
        try:
            save_artifacts(db, [bare.rows()])
            self.count_errors([error])
            return bare
        except ROW_ERRORS:
            self.count_errors([dict(error, kind="unsaved")])  # the watermark stays where it was
            return None

    def write(self, save, *args) -> None:
        """Run one database write; a database that refuses writes as such stops the crawl."""
        try:
            save(self.db, *args)
        except ROW_ERRORS as exc:
            logger.error("a row was refused: %s: %s", exc.__class__.__name__, exc)
        except sqlite3.Error as exc:
            raise DatabaseUnwritable(f"database error: {exc}") from None

    def stop(self, message: str) -> None:
        """Stop the crawl once: fetching on is useless when nothing can be stored."""
        if self.failed:
            return
        self.failed = message
        self.pending, self.counters, self.history = [], [], []
        run_report(self.crawler).fatal = message
        logger.error("%s: stopping the crawl", message)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="database_error"))

    def run_id(self) -> int | None:
        return run_report(self.crawler).run_id

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        if not self.failed:
            try:
                self.flush()
            except DatabaseUnwritable as exc:
                self.failed = message = str(exc)
                run_report(self.crawler).fatal = message
                logger.error("%s: the last batch was not stored", message)
        if self.db is not None:
            close_db(self.db)


def warm_up() -> None:
    """A worker's first task: importing this module brings in the normalizer before any card arrives."""


def normalize_workers(setting: int) -> int:
    """Worker processes for normalizing: the setting, or with -1 one per core besides the crawl's own."""
    if setting >= 0:
        return setting
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def history_row(item: ArtifactItem, artifact_id: str, counters: dict) -> dict:
    """The counters this run saw (its run id is set when the batch is written)."""
    return {"artifact_id": artifact_id, "seen_at": item.fetched_at, **counters}


def record_history(item: ArtifactItem, record: dict) -> dict:
    """History from a checked record (an id it names that is not a valid repo id is not used)."""
    named = record.get("id") if isinstance(record.get("id"), str) else item.repo_id
    return history_row(item, artifact_key(item.kind, named), counter_fields(record))


def bare_artifact(item: ArtifactItem, error: dict) -> NormalizedArtifact:
    """The least a repo is stored as: who it is, its raw record, when, and what went wrong."""
    row = {
        "id": artifact_key(item.kind, item.repo_id),
        "kind": item.kind,
        "repo_id": item.repo_id,
        "fetched_at": item.fetched_at,
        "record": item.record,
    }
    errors = item.fetch_errors + [error]
    return NormalizedArtifact(dict(row, errors=errors, fetch_errors=item.fetch_errors), None, [], [], errors)


def bare_row(artifact: dict, error: dict) -> NormalizedArtifact:
    """A refused artifact row cut down to its identity (its raw record may be what SQLite refused)."""
    errors = [error]
    row = {k: artifact.get(k) for k in ("id", "kind", "repo_id", "fetched_at", "run_id")}
    return NormalizedArtifact(dict(row, errors=errors), None, [], [], errors)
