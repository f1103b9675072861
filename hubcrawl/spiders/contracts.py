"""Contracts for `scrapy check`: each callback states what one answer of the Hub (at HF_ENDPOINT) gives.

Scrapy's `@url` takes a fixed URL; these build it as the spider would, from the endpoint and a repo the
Hub has (HUBCRAWL_CHECK_REPOS, one per kind), so `scrapy check` runs against the Hub, a mirror or a stand-in.
Items go nowhere (`scrapy check` turns the pipelines off) and no run is recorded.
"""

from __future__ import annotations

from dataclasses import replace

from scrapy.contracts import Contract


class HubContract(Contract):
    """The request for the callback's spider; subclasses say which URL and keyword arguments."""

    def adjust_request_args(self, args: dict) -> dict:
        spider = args["callback"].__self__
        kind = getattr(spider, "kind", "model")
        repo_id = spider.settings.getdict("HUBCRAWL_CHECK_REPOS")[kind]
        url, cb_kwargs = self.request_for(spider, kind, repo_id)
        return args | {"url": url, "cb_kwargs": cb_kwargs}

    def request_for(self, spider, kind: str, repo_id: str) -> tuple[str, dict]:
        raise NotImplementedError


class ListingContract(HubContract):
    """`@hub_listing N`: the first listing page of N repos, read as a full pass (no stored state consulted)."""

    name = "hub_listing"

    def request_for(self, spider, kind, repo_id):
        spider.args = replace(spider.args, limit=int(self.args[0]), full=True)
        return spider.listing_url(), {}


class InfoContract(HubContract):
    """`@hub_info`: the per-repo info answer of the check repo."""

    name = "hub_info"

    def request_for(self, spider, kind, repo_id):
        return spider.info_url(repo_id), {"repo_id": repo_id}


class CardContract(HubContract):
    """`@hub_card`: the check repo's README at its main branch."""

    name = "hub_card"

    def request_for(self, spider, kind, repo_id):
        record = {"id": repo_id, "sha": "main"}
        return spider.card_url(record), {"record": record, "errors": []}


class PageContract(HubContract):
    """`@hub_page`: the check repo's page on the Hub."""

    name = "hub_page"

    def request_for(self, spider, kind, repo_id):
        return spider.page_url(kind, repo_id), {"kind": kind, "repo_id": repo_id}


class FileContract(HubContract):
    """`@hub_file PATH`: a file of the check repo at its main branch."""

    name = "hub_file"

    def request_for(self, spider, kind, repo_id):
        path = self.args[0]
        return spider.file_url(repo_id, "main", path), {"repo_id": repo_id, "sha": "main", "path": path}
