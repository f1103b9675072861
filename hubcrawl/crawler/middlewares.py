"""Downloader middlewares: the token goes only to the Hub, and requests stay inside the Hub's budgets."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from huggingface_hub.utils import parse_ratelimit_headers
from scrapy import Request, signals
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response

from hubcrawl.crawler.config import ConfigError, hub_budgets, hub_endpoint, hub_token, same_origin


class CrawlStopping(IgnoreRequest):
    """A request given up because the crawl is stopping (SIGTERM, Ctrl-C): nothing to record."""


class HubAuthMiddleware:
    """Adds `Authorization: Bearer $HF_TOKEN` to requests for the HF_ENDPOINT origin, strips it from any other.

    Redirected requests pass through here again, so a redirect to another host never carries the token.
    """

    def __init__(self) -> None:
        self.endpoint = hub_endpoint()
        self.token = hub_token()

    def process_request(self, request: Request) -> None:
        if self.token and same_origin(request.url, self.endpoint):
            request.headers["Authorization"] = f"Bearer {self.token}"
        else:
            request.headers.pop("Authorization", None)


def bucket_for(url: str) -> str:
    """The Hub's rate-limit bucket of a URL: any `/resolve/` URL, the `/api/` endpoints, or pages."""
    path = urlsplit(url).path
    if "/resolve/" in path:
        return "resolvers"
    if path.startswith("/api/"):
        return "api"
    return "pages"


class Budget:
    """Paces one bucket at `quota` requests per `window` seconds, and obeys what the server says.

    Requests get evenly spaced slots (slightly wider than window/quota), so no fixed window of the
    server's ever sees more than the quota. The server's `RateLimit` header corrects the pace when
    someone else spends the same budget, and a 429 pauses the bucket until the window resets.
    """

    SAFETY = 1.02  # slots 2% wider than the exact pace: window edges never see quota + 1

    def __init__(self, quota: int, window: float) -> None:
        self.set_policy(quota, window)
        self.next_slot = 0.0
        self.paused_until = 0.0

    def set_policy(self, quota: int, window: float) -> None:
        self.quota, self.window = quota, window
        self.interval = window / quota * self.SAFETY

    def reserve(self, now: float) -> float:
        """Take the next free slot; returns how long to wait for it."""
        slot = max(now, self.next_slot, self.paused_until)
        self.next_slot = slot + self.interval
        return slot - now

    def observe(self, remaining: int, reset_in: float, now: float) -> None:
        if remaining <= 0:
            self.pause(reset_in, now)
        elif reset_in / remaining > self.interval:
            # At our pace the rest of this window's budget would run out before it resets.
            self.next_slot = max(self.next_slot, now + reset_in / remaining)

    def pause(self, seconds: float, now: float) -> None:
        self.paused_until = max(self.paused_until, now + seconds)


MAX_POLICY_WINDOW = 3600  # seconds; the Hub's windows are 300

# Budgets belong to the client (IP or token), not to a spider: `crawl all` runs two spiders
# in one process, and both must draw from the same budgets.
_BUDGETS: dict[tuple[str, str], Budget] = {}


def budget_for(url: str, budgets: dict[str, tuple[int, int]]) -> tuple[str, Budget]:
    name = bucket_for(url)
    key = (urlsplit(url).netloc, name)
    if key not in _BUDGETS:
        _BUDGETS[key] = Budget(*budgets.get(name, budgets["api"]))
    return name, _BUDGETS[key]


class HubBudgetMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_429_retries = crawler.settings.getint("HUBCRAWL_MAX_429_RETRIES")
        self.max_wait = crawler.settings.getfloat("HUBCRAWL_MAX_RETRY_AFTER")
        try:
            self.budgets, self.config_error = hub_budgets(), None
        except ConfigError as exc:  # said once the spider opens, where Scrapy lets a component close it
            self.budgets, self.config_error = {}, str(exc)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider) -> None:
        if self.config_error:
            logging.getLogger("hubcrawl").error("%s: this crawl does nothing", self.config_error)
            raise CloseSpider("config_error")

    async def process_request(self, request: Request) -> None:
        name, budget = budget_for(request.url, self.budgets)
        delay = budget.reserve(time.monotonic())
        if delay > 0:
            self.stats.inc_value(f"hubcrawl/budget/{name}/waited_seconds", delay)
            await self.wait(delay)
        self.stats.inc_value(f"hubcrawl/budget/{name}/requests")

    async def wait(self, seconds: float) -> None:
        """Sleep in short steps, so that a stopping crawl (SIGTERM, Ctrl-C) is not held by a long wait."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if not self.crawler.crawling:
                raise CrawlStopping("the crawl is stopping")
            await asyncio.sleep(min(left, 0.5))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        name, budget = budget_for(request.url, self.budgets)
        now = time.monotonic()
        info = parse_ratelimit_headers({k.decode(): v[0].decode() for k, v in response.headers.items() if v})
        if info is not None:
            # The server's policy wins over our defaults, within sense: a window of hours would stall the crawl.
            if info.limit and 0 < info.window_seconds <= MAX_POLICY_WINDOW:
                if (info.limit, info.window_seconds) != (budget.quota, budget.window):
                    budget.set_policy(info.limit, info.window_seconds)
            budget.observe(info.remaining, min(info.reset_in_seconds, budget.window), now)
            self.stats.set_value(f"hubcrawl/budget/{name}/remaining", info.remaining)
        if response.status != 429:
            return response

        self.stats.inc_value("hubcrawl/status_429")
        retries = request.meta.get("hub_429_retries", 0)
        wait = retry_after_seconds(response) or (info.reset_in_seconds if info else None) or budget.window / 10
        # A server may ask for a day, or for ever: wait at most one budget window, then try again.
        budget.pause(min(wait, self.max_wait, budget.window), now)
        if retries >= self.max_429_retries:
            return response
        retry = request.replace(dont_filter=True)
        retry.meta["hub_429_retries"] = retries + 1
        return retry


def retry_after_seconds(response: Response) -> float | None:
    """`Retry-After` as seconds (a number or an HTTP date); None when absent, negative, or not finite."""
    value = (response.headers.get("Retry-After") or b"").decode("latin-1").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError, OverflowError):
            return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None
