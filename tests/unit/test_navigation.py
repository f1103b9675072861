"""The spiders' navigation on answers built in memory: which requests follow a listing page, a card,
a failure; where a pass stops. The crawler is Scrapy's own, with the project's settings; it never starts."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from hubcrawl.crawler.items import ArtifactItem, FileItem, PageItem
from hubcrawl.crawler.runs import run_report
from hubcrawl.db import open_db, save_file, save_watermark
from hubcrawl.spiders.datasets import DatasetsSpider
from hubcrawl.spiders.details import DetailsSpider
from hubcrawl.spiders.hub import CARD_PRIORITY, LISTING_PRIORITY
from hubcrawl.spiders.models import ModelsSpider
from hubcrawl.spiders.pages import PagesSpider
from tests.unit.conftest import (
    ENDPOINT,
    SHA,
    card_response,
    json_response,
    make_spider,
    record,
    start_requests,
    store,
)

LISTING = f"{ENDPOINT}/api/models?limit=1000"


def stat(spider, key):
    return spider.crawler.stats.get_value(key)


def test_a_pass_starts_with_one_listing_request_with_every_field_and_newest_first(tmp_path):
    spider = make_spider(ModelsSpider, tmp_path / "hub.db", search="squad", filter="a,b", limit="5")
    (request,) = start_requests(spider)
    assert request.url.startswith(f"{ENDPOINT}/api/models?")
    assert "expand%5B%5D=safetensors" in request.url and "sort=lastModified" in request.url
    assert "search=squad" in request.url and "filter=a&filter=b" in request.url and "limit=5" in request.url
    assert request.callback == spider.parse_listing and request.priority == LISTING_PRIORITY


def test_ids_become_info_requests_and_a_bad_id_is_refused_before_any_request(tmp_path):
    spider = make_spider(ModelsSpider, tmp_path / "hub.db", ids="a/b, c/d.e_f-1")
    requests = start_requests(spider)
    assert [r.url.split("?")[0] for r in requests] == [f"{ENDPOINT}/api/models/a/b", f"{ENDPOINT}/api/models/c/d.e_f-1"]
    assert all(r.callback == spider.parse_info and "expand%5B%5D=baseModels" in r.url for r in requests)

    refused = make_spider(ModelsSpider, tmp_path / "hub.db", ids="c/d?x=1#y")
    assert "not a repo id" in refused.argument_error  # the spider closes as it opens (scrapy crawl -a)


def test_a_listing_page_asks_each_card_at_its_commit_then_the_next_page(tmp_path):
    spider = make_spider(ModelsSpider, tmp_path / "hub.db")
    start_requests(spider)
    records = [
        record("org/one"),
        record("org/no-card", siblings=[{"rfilename": "config.json"}]),
        record("org/no-sha", sha=None),
    ]
    # A mirror may link to the Hub itself: the next page is asked of HF_ENDPOINT all the same.
    link = '<https://elsewhere.example/api/models?cursor=abc&limit=1000>; rel="next"'
    out = list(spider.parse_listing(json_response(LISTING, records, headers={"Link": link})))

    card, no_card, no_sha, next_page = out
    assert card.url == f"{ENDPOINT}/org/one/resolve/{SHA}/README.md" and card.priority == CARD_PRIORITY
    assert card.meta["download_maxsize"] == spider.settings.getint("HUBCRAWL_CARD_MAXSIZE")
    assert isinstance(no_card, ArtifactItem) and [e["kind"] for e in no_card.fetch_errors] == ["card_missing"]
    assert no_sha.url == f"{ENDPOINT}/org/no-sha/resolve/main/README.md"
    assert next_page.url == f"{ENDPOINT}/api/models?cursor=abc&limit=1000"
    assert next_page.priority == LISTING_PRIORITY < CARD_PRIORITY  # cards of a page go before the next page
    assert stat(spider, "hubcrawl/repos_listed") == 3 and stat(spider, "hubcrawl/listing_pages") == 1


def test_dataset_cards_live_under_datasets(tmp_path):
    spider = make_spider(DatasetsSpider, tmp_path / "hub.db")
    start_requests(spider)
    (card,) = spider.parse_listing(json_response(f"{ENDPOINT}/api/datasets", [record("org/data")]))
    assert card.url == f"{ENDPOINT}/datasets/org/data/resolve/{SHA}/README.md"


def test_records_without_a_usable_id_are_counted_and_the_page_goes_on(tmp_path):
    spider = make_spider(ModelsSpider, tmp_path / "hub.db")
    start_requests(spider)
    records = [{"id": "../../etc"}, 7, {"id": None}, record("org/fine")]
    out = list(spider.parse_listing(json_response(LISTING, records)))
    assert [r.url for r in out] == [f"{ENDPOINT}/org/fine/resolve/{SHA}/README.md"]
    assert stat(spider, "hubcrawl/errors/record_id_invalid") == 3


def test_the_limit_ends_the_pass_inside_a_page(tmp_path):
    spider = make_spider(ModelsSpider, tmp_path / "hub.db", limit="2")
    start_requests(spider)
    link = f'<{ENDPOINT}/api/models?cursor=x>; rel="next"'
    out = list(
        spider.parse_listing(json_response(LISTING, [record(f"org/m{i}") for i in range(5)], headers={"Link": link}))
    )
    assert len(out) == 2 and all(r.callback == spider.parse_card for r in out)


def test_a_next_link_back_to_a_listed_page_ends_the_pass_as_a_listing_error(tmp_path):
    spider = make_spider(ModelsSpider, tmp_path / "hub.db")
    (first,) = start_requests(spider)
    out = list(spider.parse_listing(json_response(first.url, [], headers={"Link": f'<{first.url}>; rel="next"'})))
    assert out == []
    assert stat(spider, "hubcrawl/errors/listing_loop") == 1
    assert run_report(spider.crawler).listing_error.startswith("listing_loop:")
    assert not spider.listing_complete  # the watermark does not move on an incomplete pass


def test_a_malformed_listing_is_retried_then_recorded(tmp_path):
    spider = make_spider(ModelsSpider, tmp_path / "hub.db")
    start_requests(spider)
    (retry,) = spider.parse_listing(json_response(LISTING, b'[{"id": "a/b"'))
    assert retry.url == LISTING and retry.meta["retry_times"] == 1
    spent = {"retry_times": spider.settings.getint("RETRY_TIMES")}
    assert list(spider.parse_listing(json_response(LISTING, b"[{", meta=spent))) == []
    assert stat(spider, "hubcrawl/errors/listing_malformed") == 1


def test_a_card_that_does_not_match_its_etag_is_retried_then_recorded_without_its_body(tmp_path):
    spider = make_spider(ModelsSpider, tmp_path / "hub.db")
    start_requests(spider)
    url = f"{ENDPOINT}/org/one/resolve/{SHA}/README.md"
    body = b"# Card\n"
    kwargs = {"record": record("org/one"), "errors": []}

    good = spider.parse_card(card_response(url, body), **kwargs)
    assert isinstance(good, ArtifactItem) and good.card_body == body and good.card_status == 200

    retry = spider.parse_card(card_response(url, body, etag="f" * 40), **kwargs)
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1

    spent = {"retry_times": spider.settings.getint("RETRY_TIMES")}
    bad = spider.parse_card(card_response(url, body, etag="f" * 40, meta=spent), **kwargs)
    assert bad.card_body is None and [e["kind"] for e in bad.fetch_errors] == ["card_integrity"]
    assert stat(spider, "hubcrawl/cards_fetched") == 1


def failed(request: Request, status: int, headers: dict | None = None) -> Failure:
    response = TextResponse(request.url, status=status, headers=headers or {}, body=b"", request=request)
    failure = Failure(HttpError(response, "error answer"))
    failure.request = request
    return failure


def test_a_card_error_answer_still_yields_the_repo_with_the_error_named(tmp_path):
    spider = make_spider(ModelsSpider, tmp_path / "hub.db")
    start_requests(spider)
    (request,) = spider.parse_listing(json_response(LISTING, [record("org/gated", gated="manual")]))
    item = spider.card_failed(failed(request, 403))
    assert item.repo_id == "org/gated" and item.card_status == 403
    assert [e["kind"] for e in item.fetch_errors] == ["card_gated"]

    (request,) = spider.parse_listing(json_response(LISTING + "&page=2", [record("org/gone")]))
    item = spider.card_failed(failed(request, 404, {"X-Error-Code": "EntryNotFound"}))
    assert [e["kind"] for e in item.fetch_errors] == ["card_missing"]


def test_an_incremental_pass_skips_current_cards_and_stops_at_the_watermark(tmp_path):
    db_file = tmp_path / "hub.db"
    db = open_db(db_file, create=True)
    store(db, "model", record("org/current"))
    store(db, "model", record("org/changed", sha="1" * 40))
    probe = make_spider(ModelsSpider, db_file)
    save_watermark(db, probe.state_key(), "2026-01-01T00:00:00Z", None, "2026-01-01T00:00:00Z")
    db.close()

    spider = make_spider(ModelsSpider, db_file)
    start_requests(spider)
    records = [
        record("org/current"),
        record("org/changed"),
        record("org/old", lastModified="2025-06-01T00:00:00.000Z"),  # before the mark less its overlap
    ]
    link = f'<{ENDPOINT}/api/models?cursor=x>; rel="next"'
    reuse, fetch = spider.parse_listing(json_response(LISTING, records, headers={"Link": link}))
    assert isinstance(reuse, ArtifactItem) and reuse.repo_id == "org/current" and reuse.mode == "reuse_card"
    assert isinstance(fetch, Request) and "/org/changed/resolve/" in fetch.url
    assert spider.listing_complete  # the watermark was reached: no further page
    assert stat(spider, "hubcrawl/cards_unchanged") == 1


def test_a_full_pass_fetches_every_card_and_lists_past_the_watermark(tmp_path):
    db_file = tmp_path / "hub.db"
    db = open_db(db_file, create=True)
    store(db, "model", record("org/current"))
    db.close()
    spider = make_spider(ModelsSpider, db_file, full="1")
    start_requests(spider)
    (request,) = spider.parse_listing(json_response(LISTING, [record("org/current")]))
    assert isinstance(request, Request) and request.callback == spider.parse_card


def test_pages_visit_the_most_adopted_due_artifacts_and_keep_off_other_hosts(tmp_path):
    db_file = tmp_path / "hub.db"
    db = open_db(db_file, create=True)
    for name, downloads in (("org/small", 5), ("org/big", 500), ("org/mid", 50)):
        store(db, "model", record(name, downloads=downloads))
    db.close()
    spider = make_spider(PagesSpider, db_file, limit="2")
    requests = start_requests(spider)
    assert [r.url for r in requests] == [f"{ENDPOINT}/org/big", f"{ENDPOINT}/org/mid"]

    moved = TextResponse("https://elsewhere.example/org/big", body=b"<html></html>", request=requests[0])
    item = spider.parse_page(moved, **requests[0].cb_kwargs)
    assert isinstance(item, PageItem) and item.html is None
    assert [e["kind"] for e in item.fetch_errors] == ["page_offsite"]


def test_the_details_pass_asks_each_due_config_at_the_models_commit_most_adopted_first(tmp_path):
    db_file = tmp_path / "hub.db"
    db = open_db(db_file, create=True)
    with_st = [{"rfilename": f} for f in ("README.md", "config.json", "sentence_bert_config.json")]
    store(db, "model", record("org/small", downloads=1))
    store(db, "model", record("org/big", downloads=900, siblings=with_st))
    store(db, "model", record("org/no-config", downloads=5000, siblings=[{"rfilename": "README.md"}]))
    store(db, "dataset", record("org/data", downloads=10**6))
    db.close()
    spider = make_spider(DetailsSpider, db_file)
    urls = [r.url for r in start_requests(spider)]
    assert urls == [
        f"{ENDPOINT}/org/big/resolve/{SHA}/config.json",
        f"{ENDPOINT}/org/big/resolve/{SHA}/sentence_bert_config.json",
        f"{ENDPOINT}/org/small/resolve/{SHA}/config.json",
    ]
    assert [r.url for r in start_requests(make_spider(DetailsSpider, db_file, limit="1"))] == urls[:2]
    assert [r.url for r in start_requests(make_spider(DetailsSpider, db_file, ids="org/small"))] == urls[2:]


def test_a_stored_config_at_the_current_commit_is_not_due_and_a_mismatched_body_is_retried(tmp_path):
    db_file = tmp_path / "hub.db"
    db = open_db(db_file, create=True)
    store(db, "model", record("org/m"))
    save_file(db, {"artifact_id": "org/m", "path": "config.json", "sha": SHA, "url": "u", "status": 200, "body": "{}"})
    db.close()
    assert start_requests(make_spider(DetailsSpider, db_file)) == []
    (again,) = start_requests(make_spider(DetailsSpider, db_file, full="1"))

    spider = make_spider(DetailsSpider, db_file)
    body = b'{"num_hidden_layers": 2}'
    item = spider.parse_file(card_response(again.url, body), **again.cb_kwargs)
    assert isinstance(item, FileItem) and item.body == body and item.sha == SHA and item.path == "config.json"
    retry = spider.parse_file(card_response(again.url, body, etag="0" * 40), **again.cb_kwargs)
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1
    failure = spider.file_failed(failed(again, 401, {"X-Error-Code": "GatedRepo"}))
    assert [e["kind"] for e in failure.fetch_errors] == ["config_gated"] and failure.body is None
