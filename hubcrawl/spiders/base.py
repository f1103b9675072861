"""What every hubcrawl spider shares: its arguments, parsed once and refused in one line when bad;
the Hub endpoint; and how an answer is checked against its ETag and asked again."""

from __future__ import annotations

import scrapy
from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider

from hubcrawl.crawler.config import hub_endpoint
from hubcrawl.crawler.validate import body_matches_etag
from hubcrawl.spiders.args import ArgumentError, CrawlArgs


class ArgumentsMixin:
    """For spiders: `self.args` parsed once. Under `scrapy crawl`, a bad `-a` value closes the spider
    as it opens, with one logged line (Scrapy honours CloseSpider there), instead of a traceback."""

    def init_args(self, args: CrawlArgs | None, raw: dict) -> None:
        try:
            self.args, self.argument_error = args or CrawlArgs.parse(**raw), None
        except ArgumentError as exc:
            self.args, self.argument_error = CrawlArgs(), str(exc)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.refuse_bad_arguments, signal=signals.spider_opened)
        return spider

    def refuse_bad_arguments(self, spider) -> None:
        if self.argument_error:
            self.logger.error("%s: this crawl does nothing", self.argument_error)
            raise CloseSpider("bad_arguments")


class HubBase(ArgumentsMixin, scrapy.Spider):
    def __init__(self, args: CrawlArgs | None = None, **raw):
        super().__init__()
        self.init_args(args, raw)
        self.endpoint = hub_endpoint()

    @staticmethod
    def intact(response) -> bool | None:
        """Whether a `/resolve/` body is the one its ETag (git blob id, or X-Linked-Etag) names;
        None when the answer names none."""
        headers = response.headers
        return body_matches_etag(
            response.body,
            (headers.get("ETag") or b"").decode("latin-1"),
            (headers.get("X-Linked-Etag") or b"").decode("latin-1"),
        )

    def retry(self, response, reason: str) -> scrapy.Request | None:
        """The request again, as Scrapy's retry would make it (its retry count carried on purpose,
        what the last download left in meta dropped); None once the retries are spent."""
        retry = get_retry_request(response.request, spider=self, reason=reason)
        if retry is not None:
            for key in ("download_latency", "redirect_times", "redirect_ttl", "redirect_urls", "redirect_reasons"):
                retry.meta.pop(key, None)
        return retry
