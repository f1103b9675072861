"""`scrapy crawl pages [-a kind=model|dataset] [-a ids=a/b,datasets/c/d] [-a limit=N] [-a full=1]`

Visits the Hub pages of artifacts already in the database that are due (never visited, or changed
since the visit; every page with `full`), the most adopted first, and stops at the limit. Pages have the Hub's smallest budget
(100 per 5 minutes anonymous), so the order matters more than the count.
"""

from __future__ import annotations

import scrapy

from crawler.config import db_path, hub_endpoint
from crawler.errors import fetch_failure
from crawler.items import KINDS, URL_PREFIX, PageItem, split_artifact_key
from crawler.normalize import now_iso
from db import artifacts_for_pages, open_db
from spiders.hub import failure_parts, split_arg


class PagesSpider(scrapy.Spider):
    name = "pages"

    def __init__(self, kind=None, ids=None, limit=None, full=None, **kwargs):
        super().__init__(**kwargs)
        self.full = str(full).lower() in ("1", "true", "yes") if full is not None else False
        if kind not in (None, "", *KINDS):
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        self.kind = kind or None
        self.ids = split_arg(ids)
        self.limit = int(limit) if limit not in (None, "") else None
        self.endpoint = hub_endpoint()

    def targets(self) -> list[tuple[str, str]]:
        if self.ids:
            return [split_artifact_key(i) for i in self.ids][: self.limit]
        db = open_db(db_path(self.settings.get("HUBCRAWL_DB")))
        rows = artifacts_for_pages(db, self.kind, self.limit, due_only=not self.full)
        db.close()
        return [(r["kind"], r["repo_id"]) for r in rows]

    async def start(self):
        if self.crawler.stats.get_value("hubcrawl/locked_out"):
            return  # another crawl holds the database (RunLedger said so)
        for kind, repo_id in self.targets():
            yield scrapy.Request(
                f"{self.endpoint}/{URL_PREFIX[kind]}{repo_id}",
                callback=self.parse_page,
                errback=self.page_failed,
                cb_kwargs={"kind": kind, "repo_id": repo_id},
                meta={"download_maxsize": 8 * 1024 * 1024},
            )

    def parse_page(self, response, kind: str, repo_id: str):
        self.crawler.stats.inc_value("hubcrawl/pages_fetched")
        return PageItem(kind, repo_id, response.url, now_iso(), response.status, response.text)

    def page_failed(self, failure):
        kwargs = failure.request.cb_kwargs
        status, code, exc = failure_parts(failure)
        error = fetch_failure("page", status, error_code=code, exception=exc, url=failure.request.url)
        return PageItem(kwargs["kind"], kwargs["repo_id"], failure.request.url, now_iso(), status, None, [error])
