"""`scrapy crawl details [-a ids=a/b,c/d] [-a limit=N] [-a full=1]`

The details pass: for stored models whose file list has a config.json (and, for sentence-transformers
models, sentence_bert_config.json), fetch each file once per commit through `/resolve/{sha}/…`
(the resolvers bucket, paced with the cards), most adopted first. A file already fetched at the
model's current commit is not asked again; `full` asks again anyway.
"""

from __future__ import annotations

import scrapy

from hubcrawl.crawler.clock import now_iso
from hubcrawl.crawler.configs import DETAIL_FILES
from hubcrawl.crawler.errors import problem
from hubcrawl.crawler.items import FileItem
from hubcrawl.crawler.state import IncrementalState
from hubcrawl.spiders.base import HubBase, quote_path

FILE_MAXSIZE = 4 * 1024 * 1024  # a config.json is a few KB; a file past this is not a config to read


class DetailsSpider(HubBase):
    name = "details"

    def targets(self) -> list[dict]:
        state = IncrementalState(self.crawler)
        try:
            return state.details_due(DETAIL_FILES, self.args.ids, self.args.limit, self.args.full)
        finally:
            state.close()

    async def start(self):
        targets = self.targets()
        self.crawler.stats.set_value("hubcrawl/expected", sum(len(t["paths"]) for t in targets))
        for target in targets:
            for path in target["paths"]:
                yield scrapy.Request(
                    self.file_url(target["repo_id"], target["sha"], path),
                    callback=self.parse_file,
                    errback=self.file_failed,
                    cb_kwargs={"repo_id": target["repo_id"], "sha": target["sha"], "path": path},
                    meta={"download_maxsize": FILE_MAXSIZE},
                    dont_filter=True,
                )

    def file_url(self, repo_id: str, sha: str, path: str) -> str:
        return f"{self.endpoint}/{quote_path(repo_id)}/resolve/{quote_path(sha)}/{path}"

    def parse_file(self, response, **target):
        """A config file at the model's commit: its item, with the body when it matches its ETag.

        @hub_file config.json
        @returns items 1 1
        @scrapes repo_id path body
        """
        item = FileItem("model", url=response.request.url, fetched_at=now_iso(), status=response.status, **target)
        if self.intact(response) is False:
            retry = self.retry(response, "file body does not match its ETag")
            if retry is not None:
                return retry
            item.fetch_errors = [
                problem("config_integrity", f"{item.path} never matched its ETag after retries", url=response.url)
            ]
            return item
        self.crawler.stats.inc_value("hubcrawl/files_fetched")
        item.body = response.body
        return item

    def file_failed(self, failure):
        if (failed := self.fetch_failed(failure, "config", url=failure.request.url)) is None:
            return None
        status, error = failed
        target = failure.request.cb_kwargs
        return FileItem(
            "model", url=failure.request.url, fetched_at=now_iso(), status=status, fetch_errors=[error], **target
        )
