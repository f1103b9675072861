"""`scrapy crawl pages [-a kind=model|dataset] [-a ids=a/b,datasets/c/d] [-a limit=N] [-a full=1]`

Visits the Hub pages of artifacts already in the database that are due (never visited, or changed
since the visit; every page with `full`), the most adopted first, and stops at the limit. Pages have the Hub's smallest budget
(100 per 5 minutes anonymous), so the order matters more than the count.
"""

from __future__ import annotations

import scrapy
from scrapy.http import TextResponse

from hubcrawl.crawler.clock import now_iso
from hubcrawl.crawler.config import same_origin
from hubcrawl.crawler.errors import problem
from hubcrawl.crawler.items import URL_PREFIX, PageItem, split_artifact_key
from hubcrawl.crawler.state import IncrementalState
from hubcrawl.spiders.base import HubBase, quote_path


class PagesSpider(HubBase):
    name = "pages"

    def targets(self) -> list[tuple[str, str]]:
        if self.args.ids:
            return [split_artifact_key(i) for i in self.args.ids][: self.args.limit]
        state = IncrementalState(self.crawler)
        try:
            return state.pages_due(self.args.kind, self.args.limit, self.args.full)
        finally:
            state.close()

    async def start(self):
        targets = self.targets()
        self.crawler.stats.set_value("hubcrawl/expected", len(targets))
        for kind, repo_id in targets:
            yield scrapy.Request(
                self.page_url(kind, repo_id),
                callback=self.parse_page,
                errback=self.page_failed,
                cb_kwargs={"kind": kind, "repo_id": repo_id},
                meta={"download_maxsize": 8 * 1024 * 1024},
                dont_filter=True,  # a redirect back to the same URL must not be dropped unseen
            )

    def page_url(self, kind: str, repo_id: str) -> str:
        return f"{self.endpoint}/{URL_PREFIX[kind]}{quote_path(repo_id)}"

    def parse_page(self, response, kind: str, repo_id: str):
        """A repo's Hub page: its item, with the page as it came.

        @hub_page
        @returns items 1 1
        @returns requests 0 0
        """
        self.crawler.stats.inc_value("hubcrawl/pages_fetched")
        if not same_origin(
            response.url, self.endpoint
        ):  # a redirect may go anywhere; what it finds is not the Hub's word
            error = problem("page_offsite", "the page redirected away from the Hub", url=response.url)
            return PageItem(kind, repo_id, response.request.url, now_iso(), response.status, None, [error])
        if not isinstance(response, TextResponse):
            error = problem("page_not_html", "the page answer is not text", url=response.url)
            return PageItem(kind, repo_id, response.url, now_iso(), response.status, None, [error])
        return PageItem(kind, repo_id, response.url, now_iso(), response.status, response.text)

    def page_failed(self, failure):
        if (failed := self.fetch_failed(failure, "page", url=failure.request.url)) is None:
            return None
        (status, error), kwargs = failed, failure.request.cb_kwargs
        return PageItem(kwargs["kind"], kwargs["repo_id"], failure.request.url, now_iso(), status, None, [error])
