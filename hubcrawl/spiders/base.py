"""What every hubcrawl spider shares: its arguments, parsed once and refused in one line when bad;
the Hub endpoint; how an answer is checked against its ETag and asked again; and what a failed
request comes to."""

from __future__ import annotations

from urllib.parse import quote

import scrapy
from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider
from scrapy.spidermiddlewares.httperror import HttpError

from hubcrawl.crawler.config import hub_endpoint
from hubcrawl.crawler.errors import fetch_failure
from hubcrawl.crawler.middlewares import CrawlStopping
from hubcrawl.crawler.validate import body_matches_etag
from hubcrawl.spiders.args import ArgumentError, CrawlArgs


def quote_path(value: str) -> str:
    """A repo id or revision as a URL path: `a/b?x=1#y` must name a repo, not a query."""
    return quote(value, safe="/")


def failure_parts(failure) -> tuple[int | None, str | None, BaseException | None]:
    """What ended a request: the HTTP status and Hub error code of an error answer, or the exception."""
    if failure.check(HttpError):
        response = failure.value.response
        code = response.headers.get("X-Error-Code")
        return response.status, code.decode() if code else None, None
    return None, None, failure.value


class HubBase(scrapy.Spider):
    """`self.args` parsed once: under `scrapy crawl`, a bad `-a` value closes the spider as it opens,
    with one logged line (Scrapy honours CloseSpider there), instead of a traceback."""

    def __init__(self, args: CrawlArgs | None = None, **raw):
        super().__init__()
        try:
            self.args, self.argument_error = args or CrawlArgs.parse(**raw), None
        except ArgumentError as exc:
            self.args, self.argument_error = CrawlArgs(), str(exc)
        self.endpoint = hub_endpoint()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.refuse_bad_arguments, signal=signals.spider_opened)
        return spider

    def refuse_bad_arguments(self, spider) -> None:
        if self.argument_error:
            self.logger.error("%s: this crawl does nothing", self.argument_error)
            raise CloseSpider("bad_arguments")

    @staticmethod
    def fetch_failed(failure, what: str, **context) -> tuple[int | None, dict] | None:
        """A failed request's HTTP status and the error it is recorded as (`{what}_…`); None when the
        crawl is stopping, so that nothing is stored half-read and the next run takes it up."""
        if failure.check(CrawlStopping):
            return None
        status, code, exc = failure_parts(failure)
        return status, fetch_failure(what, status, error_code=code, exception=exc, **context)

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
