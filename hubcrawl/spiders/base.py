"""What every hubcrawl spider shares: its arguments, parsed once, and refused in one line when bad."""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import CloseSpider

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
