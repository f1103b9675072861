"""Scrapy extensions: the crawl-run ledger (`crawl_runs`) and the progress line."""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from scrapy.exceptions import CloseSpider
from twisted.internet import task

from hubcrawl.crawler.clock import now_iso
from hubcrawl.crawler.config import db_path, hub_endpoint
from hubcrawl.crawler.runlock import CrawlLocked, RunLock
from hubcrawl.db import DatabaseError, add_run_counts, close_db, finish_run, interrupt_stale_runs, open_db, start_run

logger = logging.getLogger("hubcrawl")


def run_counts(stats: dict) -> tuple[dict[str, int], dict[str, int]]:
    """A spider's figures for the ledger, from Scrapy's stats."""
    counts = {
        "requests": stats.get("downloader/request_count", 0),
        "listing_pages": stats.get("hubcrawl/listing_pages", 0),
        "items": stats.get("hubcrawl/artifacts_stored", 0),
        "cards": stats.get("hubcrawl/cards_fetched", 0),
        "pages": stats.get("hubcrawl/pages_stored", 0),
    }
    prefix = "hubcrawl/errors/"
    errors = {k[len(prefix) :]: v for k, v in stats.items() if k.startswith(prefix)}
    return counts, errors


class RunLedger:
    """Records every spider run in `crawl_runs`. Under `hubcrawl crawl` the CLI owns the run row
    (HUBCRAWL_RUN_ID) and each spider adds its counts; an ad-hoc `scrapy crawl` gets a row of its own.

    Counts reach the row every HUBCRAWL_LEDGER_INTERVAL seconds while the run goes, so a run killed
    with SIGKILL still shows (almost) what it did. A ledger that cannot be written costs a warning,
    never the crawl.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.path = db_path(crawler.settings.get("HUBCRAWL_DB"))
        self.run_id = crawler.settings.getint("HUBCRAWL_RUN_ID") or None
        self.owns_run = self.run_id is None
        self.interval = crawler.settings.getfloat("HUBCRAWL_LEDGER_INTERVAL")
        self.reported: tuple[dict, dict] = ({}, {})  # counts and errors already added to the run row
        self.db = self.lock = self.loop = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        if self.crawler.stats.get_value("hubcrawl/fatal"):
            return  # the database cannot be used, and the pipeline said why
        if self.owns_run:
            try:  # an ad-hoc `scrapy crawl` takes the lock itself (`hubcrawl crawl` already holds it)
                self.lock = RunLock(self.path).acquire()
            except CrawlLocked as exc:
                logger.error("%s: this crawl does nothing", exc)
                self.run_id = None
                raise CloseSpider("locked") from None
        try:
            self.db = open_db(self.path, create=True)
            if self.owns_run:
                interrupt_stale_runs(self.db, now_iso())
                self.run_id = start_run(
                    self.db,
                    spiders=[spider.name],
                    endpoint=hub_endpoint(),
                    arguments=spider.args.ledger(),
                    started_at=now_iso(),
                )
        except DatabaseError as exc:
            logger.error("%s", exc)
            self.release()
            raise CloseSpider("database_error") from None
        self.crawler.stats.set_value("hubcrawl/run_id", self.run_id)
        if self.interval > 0:
            self.loop = task.LoopingCall(self.sync)
            self.loop.start(self.interval, now=False)

    def sync(self) -> None:
        """Add what this spider did since the last report to the run row."""
        if self.db is None or self.run_id is None:
            return
        counts, errors = run_counts(self.crawler.stats.get_stats())
        done_counts, done_errors = self.reported
        try:
            add_run_counts(
                self.db,
                self.run_id,
                {k: v - done_counts.get(k, 0) for k, v in counts.items()},
                {k: v - done_errors.get(k, 0) for k, v in errors.items()},
            )
        except Exception as exc:  # noqa: BLE001 - the ledger must never stop the crawl (a full disk, a lock)
            logger.warning("the run ledger could not be updated: %s", exc)
            return
        self.reported = counts, errors

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.sync()
        if self.owns_run and self.db is not None and self.run_id is not None:
            counts, errors = self.reported
            fatal = self.crawler.stats.get_value("hubcrawl/fatal")
            try:
                finish_run(
                    self.db,
                    self.run_id,
                    status=run_status(reason, counts, errors, fatal),
                    finished_at=now_iso(),
                    message=fatal,
                )
            except Exception as exc:  # noqa: BLE001 - the next run marks a row left running as interrupted
                logger.warning("the run ledger could not be closed: %s", exc)
        self.release()

    def release(self) -> None:
        if self.db is not None:
            close_db(self.db)
            self.db = None
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def run_status(reason: str, counts: dict, errors: dict, fatal: str | None = None) -> str:
    if fatal or reason == "database_error":
        return "failed"
    if reason != "finished":
        return "interrupted"
    if counts.get("listing_pages", 0) == 0 and counts.get("items", 0) == 0 and errors:
        return "failed"
    return "finished"


class HubProgress:
    """A progress line every HUBCRAWL_PROGRESS_INTERVAL seconds (repos, cards, rate, errors, budget left).

    Under `hubcrawl crawl` it is one live line on a terminal, rewritten in place, and nothing when
    stderr is not a terminal (cron mails stay short: the CLI prints the run's summary). An ad-hoc
    `scrapy crawl` logs it.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("HUBCRAWL_PROGRESS_INTERVAL")
        self.to_stderr = crawler.settings.getbool("HUBCRAWL_PROGRESS_STDERR")
        self.live = self.to_stderr and sys.stderr.isatty()
        self.loop = None
        self.started = time.monotonic()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        self.started = time.monotonic()
        if self.interval > 0:
            self.loop = task.LoopingCall(self.report, spider)
            self.loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.report(spider, final=True)

    def report(self, spider, final: bool = False) -> None:
        stats = self.crawler.stats.get_stats()
        counts, errors = run_counts(stats)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        done = stats.get("item_scraped_count", 0)
        line = (
            f"[{spider.name}] {'done: ' if final else ''}{stats.get('hubcrawl/repos_listed', 0)} listed, "
            f"{counts['cards']} cards, {counts['pages']} pages, {done} done, {sum(errors.values())} errors, "
            f"{counts['requests']} requests, {done / elapsed:.1f} repos/s"
        )
        if stats.get("hubcrawl/status_429"):
            line += f", {stats['hubcrawl/status_429']} x 429"
        left = [
            f"{b} {stats[f'hubcrawl/budget/{b}/remaining']}"
            for b in ("api", "resolvers", "pages")
            if f"hubcrawl/budget/{b}/remaining" in stats
        ]
        if left:
            line += f"; budget left: {', '.join(left)}"
        if self.live:
            print(f"\r\033[K{line}", end="\n" if final else "", file=sys.stderr, flush=True)
        elif not self.to_stderr:
            logger.info(line)
