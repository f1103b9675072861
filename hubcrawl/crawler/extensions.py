"""Scrapy extensions: the progress line (the run ledger is in `runs.py`)."""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from twisted.internet import task

from hubcrawl.crawler.runs import run_counts

logger = logging.getLogger("hubcrawl")


class HubProgress:
    """A progress line every HUBCRAWL_PROGRESS_INTERVAL seconds (repos, cards, rate, errors, budget left).

    Under `hubcrawl crawl` it is one live line on a terminal, rewritten in place; when stderr is not a
    terminal (cron, systemd) a plain line every HUBCRAWL_PROGRESS_LOG_INTERVAL seconds, so a log shows a
    long run moving without filling up. An ad-hoc `scrapy crawl` logs it.
    """

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("HUBCRAWL_PROGRESS_INTERVAL")
        self.to_stderr = crawler.settings.getbool("HUBCRAWL_PROGRESS_STDERR")
        self.live = self.to_stderr and sys.stderr.isatty()
        self.log_interval = crawler.settings.getfloat("HUBCRAWL_PROGRESS_LOG_INTERVAL")
        self.last_logged = time.monotonic()
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
        elif final or time.monotonic() - self.last_logged >= self.log_interval:
            self.last_logged = time.monotonic()
            print(line, file=sys.stderr, flush=True)
