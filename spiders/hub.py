"""The Hub spiders navigate only: which URLs, in which order, when to stop.

One pass over the listing (with `expand[]`, so the listing brings every field it can), then one
README fetch per repo at the listed commit through `/resolve/` (the Hub's high-budget bucket).
Card requests outrank listing pages, so the next page is only fetched once the cards of the
previous one are under way: memory stays at about one page however large the Hub is.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

import scrapy
from requests.utils import parse_header_links
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.config import hub_endpoint
from crawler.errors import fetch_failure
from crawler.items import URL_PREFIX, ArtifactItem
from crawler.normalize import now_iso

# Everything the listing can give for any repo in one pass (hub-api.md §1.2).
COMMON_EXPAND = (
    "author", "sha", "lastModified", "createdAt", "downloads", "downloadsAllTime", "likes", "tags",
    "cardData", "gated", "private", "disabled", "siblings", "trendingScore",
)  # fmt: skip


LISTING_PRIORITY = 0
CARD_PRIORITY = 10


def malformed(what: str, url: str) -> dict:
    return {"kind": f"{what}_malformed", "detail": "malformed or truncated JSON body", "url": url}


def split_arg(value) -> list[str]:
    """`-a ids=a/b,c/d` arrives as one string; the CLI passes lists."""
    if not value:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [v.strip() for v in items if v and v.strip()]


class HubSpider(scrapy.Spider):
    kind = "model"
    collection = "models"  # /api/{collection}
    listing_expand: tuple[str, ...] = ()
    info_expand: tuple[str, ...] = ()

    def __init__(self, search=None, author=None, filter=None, ids=None, limit=None, **kwargs):
        super().__init__(**kwargs)
        self.search = search or None
        self.author = author or None
        self.filters = split_arg(filter)
        self.ids = split_arg(ids)
        try:
            self.limit = int(limit) if limit not in (None, "") else None
        except ValueError:
            raise ValueError(f"limit must be a whole number, got {limit!r}") from None
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be at least 1, got {self.limit}")
        self.endpoint = hub_endpoint()
        self.repos_seen = 0

    # -- navigation -------------------------------------------------------------------------

    async def start(self):
        if self.ids:
            for repo_id in self.ids[: self.limit]:
                yield scrapy.Request(
                    self.info_url(repo_id),
                    callback=self.parse_info,
                    errback=self.info_failed,
                    cb_kwargs={"repo_id": repo_id},
                    priority=LISTING_PRIORITY,
                )
        else:
            yield self.listing_request(self.listing_url())

    def listing_url(self) -> str:
        page_size = self.settings.getint("HUBCRAWL_PAGE_SIZE")
        params = [("expand[]", field) for field in self.listing_expand]
        params += [("search", self.search), ("author", self.author)]
        params += [("filter", f) for f in self.filters]
        params.append(("limit", min(page_size, self.limit or page_size)))
        query = urlencode([(k, v) for k, v in params if v is not None])
        return f"{self.endpoint}/api/{self.collection}?{query}"

    def info_url(self, repo_id: str) -> str:
        query = urlencode([("expand[]", field) for field in self.info_expand])
        return f"{self.endpoint}/api/{self.collection}/{repo_id}?{query}"

    def card_url(self, record: dict) -> str:
        revision = record.get("sha") or "main"
        return f"{self.endpoint}/{URL_PREFIX[self.kind]}{record['id']}/resolve/{revision}/README.md"

    def listing_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_listing, errback=self.listing_failed, priority=LISTING_PRIORITY)

    def next_page_url(self, response) -> str | None:
        """The `Link: rel="next"` URL, moved onto HF_ENDPOINT (a mirror may link to the Hub itself)."""
        header = response.headers.get("Link")
        if not header:
            return None
        for link in parse_header_links(header.decode("latin-1")):
            if link.get("rel") == "next" and link.get("url"):
                parts = urlsplit(link["url"])
                return f"{self.endpoint}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        return None

    def limit_reached(self) -> bool:
        return self.limit is not None and self.repos_seen >= self.limit

    # -- callbacks ----------------------------------------------------------------------------

    def parse_listing(self, response):
        records = self.load_json(response, list)
        if records is None:
            retry = self.retry_malformed(response, "listing")
            if retry is None:
                self.record_listing_error(malformed("listing", response.url))
            else:
                yield retry
            return
        self.crawler.stats.inc_value("hubcrawl/listing_pages")
        for record in records:
            if self.limit_reached():
                return
            if not isinstance(record, dict) or not record.get("id"):
                self.count_error("listing_bad_record")
                continue
            self.repos_seen += 1
            self.crawler.stats.inc_value("hubcrawl/repos_listed")
            yield self.follow_card(record)
        next_url = self.next_page_url(response)
        if next_url and not self.limit_reached():
            yield self.listing_request(next_url)

    def parse_info(self, response, repo_id: str):
        record = self.load_json(response, dict)
        if record is None or not record.get("id"):
            retry = self.retry_malformed(response, "info")
            yield retry or self.item(repo_id, None, [malformed("info", response.url)])
            return
        self.repos_seen += 1
        yield self.follow_card(record)

    def follow_card(self, record: dict):
        siblings = record.get("siblings")
        if isinstance(siblings, list) and not any(
            isinstance(s, dict) and s.get("rfilename") == "README.md" for s in siblings
        ):
            # The file list says there is no card: no request to spend.
            return self.item(record["id"], record, [{"kind": "card_missing", "detail": "no README.md in the repo"}])
        return scrapy.Request(
            self.card_url(record),
            callback=self.parse_card,
            errback=self.card_failed,
            cb_kwargs={"record": record},
            meta={"download_maxsize": self.settings.getint("HUBCRAWL_CARD_MAXSIZE")},
            priority=CARD_PRIORITY,
        )

    def parse_card(self, response, record: dict):
        self.crawler.stats.inc_value("hubcrawl/cards_fetched")
        item = self.item(record["id"], record, [])
        item.card_url, item.card_status, item.card_body = response.request.url, response.status, response.body
        return item

    # -- errbacks: a failure still yields the artifact, with the failure recorded ---------------

    def card_failed(self, failure):
        record = failure.request.cb_kwargs["record"]
        status, code, exc = self.failure_parts(failure)
        error = fetch_failure("card", status, error_code=code, gated=bool(record.get("gated")), exception=exc)
        item = self.item(record["id"], record, [error])
        item.card_url, item.card_status = failure.request.url, status
        return item

    def info_failed(self, failure):
        repo_id = failure.request.cb_kwargs["repo_id"]
        status, code, exc = self.failure_parts(failure)
        return self.item(repo_id, None, [fetch_failure("info", status, error_code=code, exception=exc,
                                                       url=failure.request.url)])

    def listing_failed(self, failure):
        status, code, exc = self.failure_parts(failure)
        error = fetch_failure("listing", status, error_code=code, exception=exc, url=failure.request.url)
        self.record_listing_error(error)

    # -- helpers ----------------------------------------------------------------------------

    def item(self, repo_id: str, record: dict | None, errors: list[dict]) -> ArtifactItem:
        return ArtifactItem(kind=self.kind, repo_id=repo_id, record=record, fetched_at=now_iso(), fetch_errors=errors)

    @staticmethod
    def failure_parts(failure) -> tuple[int | None, str | None, BaseException | None]:
        if failure.check(HttpError):
            response = failure.value.response
            code = response.headers.get("X-Error-Code")
            return response.status, code.decode() if code else None, None
        return None, None, failure.value

    @staticmethod
    def load_json(response, expected_type):
        try:
            data = json.loads(response.body)
        except ValueError:
            return None
        return data if isinstance(data, expected_type) else None

    def retry_malformed(self, response, what: str) -> scrapy.Request | None:
        """A malformed body is retried like a 5xx; None once the retries are spent."""
        return get_retry_request(response.request, spider=self, reason=f"malformed {what} JSON")

    def record_listing_error(self, error: dict) -> None:
        self.count_error(error["kind"])
        self.crawler.stats.set_value("hubcrawl/last_listing_error", f"{error['kind']}: {error['detail']}")
        self.logger.error("listing failed at %s: %s", error.get("url"), error["detail"])

    def count_error(self, kind: str) -> None:
        self.crawler.stats.inc_value(f"hubcrawl/errors/{kind}")
