"""The Hub's budgets and the token, in memory: pacing per bucket, the server's word on its policy,
429s, and where the token may go."""

from __future__ import annotations

import asyncio
import time

import pytest
from scrapy import Request
from scrapy.http import Response

from hubcrawl.crawler.middlewares import (
    Budget,
    HubAuthMiddleware,
    HubBudgetMiddleware,
    bucket_for,
    budget_for,
    retry_after_seconds,
)
from hubcrawl.spiders.models import ModelsSpider
from tests.unit.conftest import project_crawler


@pytest.mark.parametrize(
    ("path", "bucket"),
    [
        ("/org/m/resolve/abc/README.md", "resolvers"),
        ("/datasets/org/d/resolve/main/README.md", "resolvers"),
        ("/api/models?limit=10", "api"),
        ("/api/datasets/org/d", "api"),
        ("/org/m", "pages"),
        ("/datasets/org/d", "pages"),
    ],
)
def test_each_url_draws_from_its_hub_bucket(path, bucket):
    assert bucket_for(f"https://hub.test{path}") == bucket


def test_slots_are_evenly_spaced_so_no_window_sees_more_than_the_quota():
    budget = Budget(quota=10, window=5)
    waits = [budget.reserve(now=100.0) for _ in range(21)]
    assert waits[0] == 0
    assert waits[10] == pytest.approx(5 * Budget.SAFETY)  # the 11th request starts after a whole window
    # Any window of 5 seconds holds at most 10 slots.
    starts = [100.0 + w for w in waits]
    assert max(sum(1 for s in starts if t <= s < t + 5) for t in starts) == 10


def test_the_servers_remaining_count_slows_the_pace_and_zero_pauses_until_reset():
    budget = Budget(quota=1000, window=300)
    budget.observe(remaining=10, reset_in=100, now=0.0)  # 10 left for 100 s: one per 10 s
    assert budget.reserve(now=0.0) == pytest.approx(10)
    budget.observe(remaining=0, reset_in=60, now=20.0)
    assert budget.reserve(now=20.0) >= 60


def budget_middleware(monkeypatch, tmp_path, budgets="api=10/5,resolvers=100/5,pages=2/5"):
    monkeypatch.setenv("HUBCRAWL_BUDGETS", budgets)
    crawler = project_crawler(ModelsSpider, tmp_path / "hub.db")
    return crawler, HubBudgetMiddleware.from_crawler(crawler)


def answer(url: str, status: int = 200, headers: dict | None = None) -> tuple[Request, Response]:
    request = Request(url)
    return request, Response(url, status=status, headers=headers or {}, request=request)


def test_the_servers_policy_replaces_the_default_within_sense(monkeypatch, tmp_path):
    _, middleware = budget_middleware(monkeypatch, tmp_path)
    url = "http://policy.test/api/models"
    request, response = answer(
        url, headers={"RateLimit": '"api";r=119;t=2', "RateLimit-Policy": '"fixed window";"api";q=120;w=2'}
    )
    assert middleware.process_response(request, response) is response
    _, budget = budget_for(url, middleware.budgets)
    assert (budget.quota, budget.window) == (120, 2)
    assert middleware.stats.get_value("hubcrawl/budget/api/remaining") == 119

    request, response = answer(
        url, headers={"RateLimit": '"api";r=5;t=2', "RateLimit-Policy": '"fixed window";"api";q=9;w=86400'}
    )
    middleware.process_response(request, response)
    assert (budget.quota, budget.window) == (120, 2)  # a window of a day would stall the crawl: ignored


def test_a_429_pauses_its_bucket_at_most_one_window_and_is_retried_a_bounded_number_of_times(monkeypatch, tmp_path):
    crawler, middleware = budget_middleware(monkeypatch, tmp_path)
    url = "http://limited.test/org/m/resolve/abc/README.md"
    request, response = answer(url, status=429, headers={"Retry-After": "100000"})
    retry = middleware.process_response(request, response)
    assert isinstance(retry, Request) and retry.meta["hub_429_retries"] == 1 and retry.dont_filter
    _, budget = budget_for(url, middleware.budgets)
    assert 0 < budget.paused_until - time.monotonic() <= 5  # the window (5 s), not the 100,000 asked for

    spent = request.replace()
    spent.meta["hub_429_retries"] = crawler.settings.getint("HUBCRAWL_MAX_429_RETRIES")
    assert middleware.process_response(spent, Response(url, status=429, request=spent)).status == 429
    assert middleware.stats.get_value("hubcrawl/status_429") == 2


def test_a_request_waits_for_its_slot_and_the_wait_is_counted(monkeypatch, tmp_path):
    crawler, middleware = budget_middleware(monkeypatch, tmp_path, budgets="api=1000/300,resolvers=1000/300,pages=20/1")
    crawler.crawling = True
    url = "http://paced.test/org/m"

    async def three():
        for _ in range(3):
            await middleware.process_request(Request(url))

    started = time.monotonic()
    asyncio.run(three())
    assert time.monotonic() - started >= 2 / 20  # two gaps of 1/20 s
    assert middleware.stats.get_value("hubcrawl/budget/pages/requests") == 3
    assert middleware.stats.get_value("hubcrawl/budget/pages/waited_seconds") > 0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30", 30.0), ("0", None), ("-5", None), ("nan", None), ("inf", None), ("soon", None), ("", None)],
)
def test_retry_after_is_a_positive_finite_number_of_seconds_or_nothing(value, seconds):
    response = Response("http://hub.test/api/models", status=429, headers={"Retry-After": value} if value else {})
    assert retry_after_seconds(response) == seconds


def test_retry_after_as_an_http_date():
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 120))
    response = Response("http://hub.test/", status=429, headers={"Retry-After": later})
    assert 100 < retry_after_seconds(response) <= 121


def test_the_token_goes_to_the_hub_only(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    middleware = HubAuthMiddleware()
    hub = Request("http://hub.test/api/models")
    middleware.process_request(hub)
    assert hub.headers["Authorization"] == b"Bearer hf_secret"
    for url in ("http://elsewhere.test/x", "https://hub.test/api/models", "http://hub.test:8080/api/models"):
        other = Request(url, headers={"Authorization": "Bearer hf_secret"})  # carried over by a redirect
        middleware.process_request(other)
        assert "Authorization" not in other.headers, url
