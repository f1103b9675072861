"""The crawl-run lifecycle: the run's row in `crawl_runs` from start to finish, and the one rule
that decides how a run ended.

`hubcrawl crawl` owns the row of a run of several spiders; an ad-hoc `scrapy crawl` gets a row of
its own from `RunLedger`. Either way the same counts are added and the same rule decides the status.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from twisted.internet import task

from hubcrawl.crawler.clock import now_iso
from hubcrawl.crawler.config import db_path, hub_endpoint
from hubcrawl.crawler.runlock import CrawlLocked, RunLock
from hubcrawl.db import (
    DatabaseError,
    add_run_counts,
    close_db,
    finish_run,
    get_run,
    interrupt_stale_runs,
    open_db,
    start_run,
)

logger = logging.getLogger("hubcrawl")


@dataclass
class RunReport:
    """What one crawler's components tell each other and the caller about the run, besides the
    figures (those are Scrapy stats): the ledger row, why the database failed, the last listing failure."""

    run_id: int | None = None
    fatal: str | None = None  # the database cannot be written: why (said once, by whoever found it)
    listing_error: str | None = None  # "kind: detail" of the last listing page that failed


def run_report(crawler) -> RunReport:
    """The crawler's one report, made on first use."""
    report = getattr(crawler, "hubcrawl_run", None)
    if report is None:
        report = crawler.hubcrawl_run = RunReport()
    return report


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


STORING_PIPELINE = "hubcrawl.crawler.pipelines.SQLitePipeline"


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
        if STORING_PIPELINE not in crawler.settings.getwithbase("ITEM_PIPELINES"):
            # Nothing is stored (`scrapy check` turns the pipelines off): no run to record, no lock to take.
            raise NotConfigured("no items are stored")
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        report = run_report(self.crawler)
        if report.fatal:
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
        report.run_id = self.run_id
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
            counts, _ = self.reported
            report = run_report(self.crawler)
            status, message = run_outcome(
                [reason],
                fatal=report.fatal or getattr(spider, "argument_error", None),
                listing_pages=counts.get("listing_pages", 0),
                items=counts.get("items", 0),
                listing_error=report.listing_error,
                endpoint=hub_endpoint(),
            )
            try:
                finish_run(self.db, self.run_id, status=status, finished_at=now_iso(), message=message)
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


def run_outcome(
    reasons: list[str | None],
    *,
    fatal: str | None,
    listing_pages: int,
    items: int,
    listing_error: str | None,
    endpoint: str,
) -> tuple[str, str | None]:
    """A run's status and message from how its spiders closed (None: a spider that never started).
    The one rule, for `hubcrawl crawl` and an ad-hoc `scrapy crawl` alike."""
    if fatal or "database_error" in reasons:
        return "failed", fatal or "the database could not be written"
    if any(r != "finished" for r in reasons):
        return "interrupted", "the crawl was stopped before the end; the next run takes it up"
    if listing_pages == 0 and items == 0 and listing_error:
        return "failed", f"the Hub at {endpoint} did not answer the listing ({listing_error})"
    return "finished", None


def run_crawl(
    path: str,
    stages: list[dict[str, tuple[str, object]]],
    *,
    endpoint: str,
    arguments: dict,
    wait: bool,
    on_wait=None,
    settings: dict | None = None,
) -> dict:
    """One crawl run of several spiders in one process: take the lock, open the run's row, crawl the
    stages in order (the spiders of a stage side by side; a stage starts once every spider before it
    finished, since it visits what they stored), and close the row with the one status rule.
    Each stage is {spider name: (spider class path, its arguments)}; `settings` override Scrapy's (log level,
    progress). Returns the finished run row.
    Raises CrawlLocked when another crawl holds the database (with `wait`, `on_wait` is called before waiting)."""
    database = open_db(path, create=True)
    try:
        lock = RunLock(path).acquire(wait=wait, on_wait=on_wait)
    except CrawlLocked:
        close_db(database)
        raise
    try:
        interrupt_stale_runs(database, now_iso())  # we hold the lock: a run still "running" was killed
        names = [name for stage in stages for name in stage]
        run_id = start_run(database, spiders=names, endpoint=endpoint, arguments=arguments, started_at=now_iso())
        crawlers = crawl_in_order(path, run_id, stages, settings or {})
        reports = [run_report(c) for c in crawlers]
        run = get_run(database, run_id)
        status, message = run_outcome(
            [crawler_stat(c, "finish_reason") for c in crawlers],
            fatal=next((r.fatal for r in reports if r.fatal), None),
            listing_pages=run["listing_pages"],
            items=run["items"],
            listing_error=next((r.listing_error for r in reports if r.listing_error), None),
            endpoint=endpoint,
        )
        return finish_run(database, run_id, status=status, finished_at=now_iso(), message=message)
    finally:
        close_db(database)
        lock.release()


def crawl_in_order(path: str, run_id: int, stages: list[dict[str, tuple[str, object]]], overrides: dict) -> list:
    """Run the stages' spiders in one reactor, stage after stage, the next only if every spider so far
    finished. SIGTERM / Ctrl-C stop the crawlers gracefully. Returns the crawlers that were made."""
    if not stages:
        return []  # nothing to crawl (e.g. only dataset ids for the details pass): no reactor to start
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.misc import load_object
    from scrapy.utils.project import get_project_settings
    from twisted.internet import defer

    settings = get_project_settings()
    if settings.get("BOT_NAME") != "hubcrawl":  # run outside the repository (no scrapy.cfg in sight)
        settings.setmodule("hubcrawl.crawler.settings", priority="project")
    settings.setdict(
        {"HUBCRAWL_DB": path, "HUBCRAWL_RUN_ID": run_id, "HUBCRAWL_PROGRESS_STDERR": True, "LOG_LEVEL": "WARNING"}
        | overrides,
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    made = []

    def crawl_stage(_, stage):
        if not all(crawler_stat(c, "finish_reason") == "finished" for c in made):
            return None  # an earlier spider stopped: what follows would visit an incomplete store
        runs = []
        for spider, args in stage.values():
            crawler = process.create_crawler(load_object(spider))
            made.append(crawler)
            runs.append(process.crawl(crawler, args=args))
        return defer.DeferredList(runs, consumeErrors=True)

    chain = defer.succeed(None)
    for stage in stages:
        chain.addCallback(crawl_stage, stage)
    chain.addBoth(stop_reactor)
    process.start(stop_after_crawl=False)
    return made


def crawler_stat(crawler, key: str):
    """A crawler's stat; None when it never ran (Scrapy makes the stats only when the crawl starts)."""
    try:
        return crawler.stats.get_value(key)
    except RuntimeError:
        return None


def stop_reactor(_=None) -> None:
    # Imported here: importing the reactor earlier would install Twisted's default one, not Scrapy's asyncio reactor.
    from twisted.internet import reactor

    with contextlib.suppress(Exception):  # a signal may have stopped it already
        if reactor.running:
            reactor.stop()
