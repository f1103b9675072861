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
from hubcrawl.crawler.errors import fetch_failure, problem
from hubcrawl.crawler.items import FileItem
from hubcrawl.crawler.middlewares import CrawlStopping
from hubcrawl.crawler.state import IncrementalState
from hubcrawl.spiders.base import HubBase
from hubcrawl.spiders.hub import failure_parts, quote_path

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
        for target in self.targets():
            for path in target["paths"]:
                url = f"{self.endpoint}/{quote_path(target['repo_id'])}/resolve/{quote_path(target['sha'])}/{path}"
                yield scrapy.Request(
                    url,
                    callback=self.parse_file,
                    errback=self.file_failed,
                    cb_kwargs={"repo_id": target["repo_id"], "sha": target["sha"], "path": path},
                    meta={"download_maxsize": FILE_MAXSIZE},
                    dont_filter=True,
                )

    def parse_file(self, response, repo_id: str, sha: str, path: str):
        item = FileItem("model", repo_id, sha, path, response.request.url, now_iso(), response.status)
        if self.intact(response) is False:
            retry = self.retry(response, "file body does not match its ETag")
            if retry is not None:
                return retry
            item.fetch_errors = [
                problem("config_integrity", f"{path} never matched its ETag after retries", url=response.url)
            ]
            return item
        self.crawler.stats.inc_value("hubcrawl/files_fetched")
        item.body = response.body
        return item

    def file_failed(self, failure):
        if failure.check(CrawlStopping):
            return None
        kwargs = failure.request.cb_kwargs
        status, code, exc = failure_parts(failure)
        error = fetch_failure("config", status, error_code=code, exception=exc, url=failure.request.url)
        return FileItem(
            "model",
            kwargs["repo_id"],
            kwargs["sha"],
            kwargs["path"],
            failure.request.url,
            now_iso(),
            status,
            fetch_errors=[error],
        )
