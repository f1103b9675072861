"""The Hub spiders navigate only: which URLs, in which order, when to stop.

One pass over the listing (with `expand[]`, so the listing brings every field it can), then one
README fetch per repo at the listed commit through `/resolve/` (the Hub's high-budget bucket).
Card requests outrank listing pages, so the next page is only fetched once the cards of the
previous one are under way: memory stays at about one page however large the Hub is.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

import scrapy
from requests.utils import parse_header_links

from hubcrawl.crawler.clock import now, now_iso, parse_iso
from hubcrawl.crawler.errors import problem
from hubcrawl.crawler.items import URL_PREFIX, ArtifactItem
from hubcrawl.crawler.runs import run_report
from hubcrawl.crawler.state import IncrementalState
from hubcrawl.crawler.validate import MAX_DEPTH, check_repo_id, clean_siblings, cut_depth, load_json
from hubcrawl.spiders.args import CrawlArgs
from hubcrawl.spiders.base import HubBase, quote_path

# Everything the listing can give for any repo in one pass (hub-api.md §1.2).
COMMON_EXPAND = (
    "author",
    "sha",
    "lastModified",
    "createdAt",
    "downloads",
    "downloadsAllTime",
    "likes",
    "tags",
    "cardData",
    "gated",
    "private",
    "disabled",
    "siblings",
    "trendingScore",
)


# `crawl --counters`: the listing fields adoption is made of, nothing else.
COUNTER_EXPAND = ("downloads", "downloadsAllTime", "likes", "trendingScore", "lastModified", "sha")
LISTING_PRIORITY = 0
CARD_PRIORITY = 10


def malformed(what: str, url: str) -> dict:
    return problem(f"{what}_malformed", "malformed or truncated JSON body", url=url)


def too_deep() -> dict:
    return problem("record_too_deep", f"nested deeper than {MAX_DEPTH} levels; the deep part dropped")


class HubSpider(HubBase):
    kind = "model"
    collection = "models"  # /api/{collection}
    listing_expand: tuple[str, ...] = ()
    info_expand: tuple[str, ...] = ()

    def __init__(self, args: CrawlArgs | None = None, **raw):
        super().__init__(args, **raw)
        self.repos_seen = 0
        self.listing_complete = False  # the pass reached the end of the listing or the watermark
        self.newest_seen: datetime | None = None
        self.watermark: datetime | None = None
        self.started_at = now()
        self.listing_urls: set[str] = set()  # a `Link: rel="next"` that loops back ends the pass
        self.state: IncrementalState | None = None

    # -- navigation -------------------------------------------------------------------------

    async def start(self):
        self.state = IncrementalState(self.crawler)
        if not (self.args.full or self.args.counters or self.args.ids):
            self.watermark = self.state.stop_mark(self.state_key())  # incremental: stop where the last pass began
        if self.args.ids:
            self.crawler.stats.set_value("hubcrawl/expected", len(self.args.ids[: self.args.limit]))
            for repo_id in self.args.ids[: self.args.limit]:
                yield scrapy.Request(
                    self.info_url(repo_id),
                    callback=self.parse_info,
                    errback=self.info_failed,
                    cb_kwargs={"repo_id": repo_id},
                    priority=LISTING_PRIORITY,
                    dont_filter=True,  # a redirect back to the same URL must not be dropped unseen
                )
        else:
            if self.args.limit:  # at most: the listing may hold fewer
                self.crawler.stats.set_value("hubcrawl/expected", self.args.limit)
            yield self.listing_request(self.listing_url())

    def state_key(self) -> str:
        """Which listing a watermark belongs to: the kind and the arguments that narrow it."""
        return json.dumps([self.kind, self.args.search, self.args.author, sorted(self.args.filters)])

    def listing_url(self) -> str:
        page_size = self.settings.getint("HUBCRAWL_PAGE_SIZE")
        expand = COUNTER_EXPAND if self.args.counters else self.listing_expand
        # Newest changes first (the Hub sorts descending only): an incremental pass stops at the watermark.
        params = [("expand[]", field) for field in expand] + [("sort", "lastModified")]
        params += [("search", self.args.search), ("author", self.args.author)]
        params += [("filter", f) for f in self.args.filters]
        params.append(("limit", min(page_size, self.args.limit or page_size)))
        query = urlencode([(k, v) for k, v in params if v is not None])
        return f"{self.endpoint}/api/{self.collection}?{query}"

    def info_url(self, repo_id: str) -> str:
        query = urlencode([("expand[]", field) for field in self.info_expand])
        return f"{self.endpoint}/api/{self.collection}/{quote_path(repo_id)}?{query}"

    def card_url(self, record: dict) -> str:
        sha = record.get("sha")
        revision = quote_path(sha if isinstance(sha, str) and sha else "main")
        return f"{self.endpoint}/{URL_PREFIX[self.kind]}{quote_path(record['id'])}/resolve/{revision}/README.md"

    def listing_request(self, url: str) -> scrapy.Request:
        self.listing_urls.add(url)
        return scrapy.Request(
            url, callback=self.parse_listing, errback=self.listing_failed, priority=LISTING_PRIORITY, dont_filter=True
        )

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
        return self.args.limit is not None and self.repos_seen >= self.args.limit

    # -- callbacks ----------------------------------------------------------------------------

    def parse_listing(self, response):
        """A listing page: a card request per repo (or an item, when its stored card is current or it has none).

        @hub_listing 2
        @returns requests 1 2
        """
        # Two levels of slack (the page, and one to notice): a record nested too deep is cut, and said so, per record.
        records, _ = load_json(response.body, list, MAX_DEPTH + 2)
        if records is None:
            retry = self.retry_malformed(response, "listing")
            if retry is None:
                self.record_listing_error(malformed("listing", response.url))
            else:
                yield retry
            return
        self.crawler.stats.inc_value("hubcrawl/listing_pages")
        listed = self.listed_records(records)
        stored = {} if self.args.full or self.args.counters else self.state.stored(self.kind, list(listed))
        reached_watermark = False
        for repo_id, (record, errors, modified) in listed.items():
            if self.limit_reached():
                return
            if self.watermark and modified and modified < self.watermark:
                # Seen by an earlier complete pass. The rest of the page is still read (a record out
                # of order costs nothing here), but no further page is.
                reached_watermark = True
                continue
            # A date in the future is the server's or the author's mistake: it must not freeze the watermark.
            if modified and modified <= self.started_at + timedelta(days=1):
                self.newest_seen = max(self.newest_seen or modified, modified)
            state = stored.get(repo_id)
            if state is not None and self.state.stored_this_run(state):
                continue  # listed twice: a page boundary moved under the cursor
            self.repos_seen += 1
            self.crawler.stats.inc_value("hubcrawl/repos_listed")
            if self.args.counters:
                yield self.item(repo_id, record, errors, mode="counters")
            elif IncrementalState.card_is_current(record, state):
                self.crawler.stats.inc_value("hubcrawl/cards_unchanged")
                yield self.item(repo_id, record, errors, mode="reuse_card")
            else:
                yield self.follow_card(record, errors)
        next_url = self.next_page_url(response)
        if reached_watermark:
            self.listing_complete = True
        elif next_url in self.listing_urls:
            self.record_listing_error(
                problem("listing_loop", "the next-page link points to a page already listed", url=next_url)
            )
        elif next_url and not self.limit_reached():
            yield self.listing_request(next_url)
        elif not next_url:
            self.listing_complete = True

    def listed_records(self, records: list) -> dict[str, tuple[dict, list[dict], datetime | None]]:
        """Records of one listing page by id, each with what was wrong with it and its parsed
        `lastModified`. A record without a usable id cannot be stored: the run counts it."""
        out = {}
        for record in records:
            repo_id = check_repo_id(record.get("id")) if isinstance(record, dict) else None
            if repo_id is None:
                self.count_error("record_id_invalid")
                self.logger.warning("listing record without a valid repo id skipped: %.80r", record)
                continue
            errors = [too_deep()] if cut_depth(record, MAX_DEPTH) else []
            if repo_id not in out:
                out[repo_id] = (record, errors, parse_iso(record.get("lastModified")))
        return out

    def closed(self, reason: str) -> None:
        if self.state is None:
            return
        complete = self.listing_complete and not (self.args.ids or self.args.counters or self.args.limit)
        self.state.finish_pass(self.state_key(), self.newest_seen, complete=complete, reason=reason)
        self.state.close()

    def parse_info(self, response, repo_id: str):
        """One repo's info answer (`--ids`): the request for its card.

        @hub_info
        @returns requests 1 1
        """
        record, cut = load_json(response.body, dict)
        if record is None or check_repo_id(record.get("id")) is None:
            retry = self.retry_malformed(response, "info")
            yield retry or self.item(repo_id, None, [malformed("info", response.url)])
            return
        self.repos_seen += 1
        yield self.follow_card(record, [too_deep()] if cut else [])

    def follow_card(self, record: dict, errors: list[dict]):
        siblings = record.get("siblings")
        if isinstance(siblings, list) and not any(s["rfilename"] == "README.md" for s in clean_siblings(siblings)):
            # The file list says there is no card: no request to spend.
            return self.item(record["id"], record, errors + [problem("card_missing", "no README.md in the repo")])
        return scrapy.Request(
            self.card_url(record),
            callback=self.parse_card,
            errback=self.card_failed,
            cb_kwargs={"record": record, "errors": errors},
            meta={"download_maxsize": self.settings.getint("HUBCRAWL_CARD_MAXSIZE")},
            priority=CARD_PRIORITY,
            dont_filter=True,  # a redirect back to the same URL must not be dropped unseen
        )

    def parse_card(self, response, record: dict, errors: list[dict]):
        """A card: the repo's item, with the README as it came.

        @hub_card
        @returns items 1 1
        @returns requests 0 0
        @scrapes repo_id record card_body
        """
        if self.intact(response) is False:  # damaged on the way (a proxy, a cut connection with a consistent length)
            retry = self.retry(response, "card body does not match its ETag")
            if retry is not None:
                return retry
            error = problem(
                "card_integrity", "the body never matched its ETag (git blob id) after retries", url=response.url
            )
            return self.card_item(record, errors + [error], response.request.url, response.status)
        self.crawler.stats.inc_value("hubcrawl/cards_fetched")
        return self.card_item(record, errors, response.request.url, response.status, response.body)

    # -- errbacks: a failure still yields the artifact, with the failure recorded ---------------

    def card_failed(self, failure):
        record, errors = failure.request.cb_kwargs["record"], failure.request.cb_kwargs["errors"]
        if (failed := self.fetch_failed(failure, "card", gated=bool(record.get("gated")))) is None:
            return None
        status, error = failed
        return self.card_item(record, errors + [error], failure.request.url, status)

    def info_failed(self, failure):
        if (failed := self.fetch_failed(failure, "info", url=failure.request.url)) is None:
            return None
        return self.item(failure.request.cb_kwargs["repo_id"], None, [failed[1]])

    def listing_failed(self, failure):
        if (failed := self.fetch_failed(failure, "listing", url=failure.request.url)) is not None:
            self.record_listing_error(failed[1])

    # -- helpers ----------------------------------------------------------------------------

    def item(self, repo_id: str, record: dict | None, errors: list[dict], mode: str = "fetched") -> ArtifactItem:
        return ArtifactItem(
            kind=self.kind, repo_id=repo_id, record=record, fetched_at=now_iso(), fetch_errors=errors, mode=mode
        )

    def card_item(self, record: dict, errors: list[dict], url: str, status: int | None, body: bytes | None = None):
        """The repo with what its card request came to: the body (a 200 that matched its ETag) or nothing."""
        item = self.item(record["id"], record, errors)
        item.card_url, item.card_status, item.card_body = url, status, body
        return item

    def retry_malformed(self, response, what: str) -> scrapy.Request | None:
        """A malformed body is retried like a 5xx; None once the retries are spent."""
        return self.retry(response, f"malformed {what} JSON")

    def record_listing_error(self, error: dict) -> None:
        self.count_error(error["kind"])
        run_report(self.crawler).listing_error = f"{error['kind']}: {error['detail']}"
        self.logger.error("listing failed at %s: %s", error.get("url"), error["detail"])

    def count_error(self, kind: str) -> None:
        self.crawler.stats.inc_value(f"hubcrawl/errors/{kind}")
