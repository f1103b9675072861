"""Scrapy extensions: progress (the run ledger is in `runs.py`)."""

from __future__ import annotations

import logging
import os
import sys
import time

from scrapy import signals
from twisted.internet import task

from hubcrawl.crawler.runs import run_counts

logger = logging.getLogger("hubcrawl")


class HubProgress:
    """What a spider has done so far (repos, cards, rate, errors, budget left; a percentage and ETA when the
    spider knows how much there is: a limit, ids, the details or pages due).

    Under `hubcrawl crawl` on a terminal each spider has its own tqdm bar, refreshed every second, so two spiders
    side by side never overwrite each other; when stderr is not a terminal (cron, systemd) a plain line every
    HUBCRAWL_PROGRESS_LOG_INTERVAL seconds, so a log shows a long run moving without filling up; each spider's
    last state ends it either way. An ad-hoc `scrapy crawl` logs a line every HUBCRAWL_PROGRESS_INTERVAL seconds.
    HUBCRAWL_PROGRESS = False (`hubcrawl crawl -q`) shows nothing.
    """

    bars_in_use: set[int] = set()  # terminal lines taken by the bars of spiders running in this process

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.enabled = settings.getbool("HUBCRAWL_PROGRESS")
        self.to_stderr = settings.getbool("HUBCRAWL_PROGRESS_STDERR")
        self.live = self.to_stderr and terminal_width(sys.stderr) > 0
        self.interval = 1.0 if self.live else settings.getfloat("HUBCRAWL_PROGRESS_INTERVAL")
        self.log_interval = settings.getfloat("HUBCRAWL_PROGRESS_LOG_INTERVAL")
        self.last_logged = time.monotonic()
        self.loop = None
        self.bar = None
        self.started = time.monotonic()
        if self.enabled:
            crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
            crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        self.started = time.monotonic()
        if self.live:
            from tqdm import tqdm

            position = min(set(range(len(self.bars_in_use) + 1)) - self.bars_in_use)
            self.bars_in_use.add(position)
            self.bar = tqdm(
                desc=f"[{spider.name}]", unit=" repos", position=position, file=sys.stderr, dynamic_ncols=True
            )
        if self.interval > 0:
            self.loop = task.LoopingCall(self.report, spider)
            self.loop.start(self.interval, now=False)

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.report(spider, final=True)

    def report(self, spider, final: bool = False) -> None:
        stats = self.crawler.stats.get_stats()
        done, expected = stats.get("item_scraped_count", 0), stats.get("hubcrawl/expected")
        if self.bar is not None:
            self.bar.total = expected
            self.bar.n = done
            self.bar.set_postfix_str(progress_details(stats), refresh=True)
            if final:
                self.bar.close()
                self.bars_in_use.discard(self.bar.pos)
                self.bar = None
            return
        line = progress_line(spider.name, stats, time.monotonic() - self.started, final)
        if not self.to_stderr:
            logger.info(line)
        elif final or time.monotonic() - self.last_logged >= self.log_interval:
            self.last_logged = time.monotonic()
            print(line, file=sys.stderr, flush=True)


def progress_details(stats: dict) -> str:
    """Cards, pages, errors, requests, 429s and the budget left, as the Hub's RateLimit headers said."""
    counts, errors = run_counts(stats)
    details = (
        f"{stats.get('hubcrawl/repos_listed', 0)} listed, {counts['cards']} cards, {counts['pages']} pages, "
        f"{sum(errors.values())} errors, {counts['requests']} requests"
    )
    if stats.get("hubcrawl/status_429"):
        details += f", {stats['hubcrawl/status_429']} x 429"
    left = [
        f"{b} {stats[f'hubcrawl/budget/{b}/remaining']}"
        for b in ("api", "resolvers", "pages")
        if f"hubcrawl/budget/{b}/remaining" in stats
    ]
    return details + (f"; budget left: {', '.join(left)}" if left else "")


def progress_line(name: str, stats: dict, seconds: float, final: bool) -> str:
    """One plain line: `[models] 1200 of 5000 done (24%, about 3m10s left), …, 120.0 repos/s`."""
    done, expected = stats.get("item_scraped_count", 0), stats.get("hubcrawl/expected")
    rate = done / max(seconds, 1e-6)
    share = f"{done} done" if not expected else f"{done} of {expected} done"
    if expected and not final:
        left = f", about {duration(max(expected - done, 0) / rate)} left" if rate > 0 else ""
        share += f" ({min(100, 100 * done // expected)}%{left})"
    return f"[{name}] {'finished: ' if final else ''}{share}, {progress_details(stats)}, {rate:.1f} repos/s"


def duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def terminal_width(stream) -> int:
    """Columns of the terminal behind `stream`; 0 when it is not one (or one without a size, where a bar
    would draw nothing)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns if stream.isatty() else 0
    except (OSError, ValueError):
        return 0
