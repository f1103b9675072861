"""Spider arguments: one model, the same rules from `hubcrawl crawl` and `scrapy crawl -a`."""

from __future__ import annotations

import pytest

from hubcrawl.cli.crawl import spider_arguments
from hubcrawl.spiders.args import ArgumentError, CrawlArgs


def test_scrapy_strings_and_cli_values_give_the_same_arguments():
    from_scrapy = CrawlArgs.parse(search="squad", filter="a,b", ids="x/y, datasets/z/w", limit="5", full="yes")
    from_cli = CrawlArgs.parse(search="squad", filters=["a", "b"], ids="x/y,datasets/z/w", limit=5, full=True)
    assert (
        from_scrapy
        == from_cli
        == CrawlArgs(search="squad", filters=("a", "b"), ids=("x/y", "datasets/z/w"), limit=5, full=True)
    )
    assert from_cli.ledger() == {
        "search": "squad",
        "filters": ["a", "b"],
        "ids": ["x/y", "datasets/z/w"],
        "limit": 5,
        "full": True,
    }


def test_scrapyds_job_id_is_taken_and_kept_in_the_ledger():
    args = CrawlArgs.parse(_job="6487ec79947edab326d6db28a2d86511e8247444", limit="3")
    assert args.job == "6487ec79947edab326d6db28a2d86511e8247444"
    assert args.ledger() == {"limit": 3, "job": "6487ec79947edab326d6db28a2d86511e8247444"}


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"limit": "abc"}, "limit must be a whole number"),
        ({"limit": "0"}, "limit must be at least 1"),
        ({"full": "maybe"}, "full must be true or false"),
        ({"kind": "space"}, "kind must be one of"),
        ({"ids": "a/b?x=1#y"}, "not a repo id"),
        ({"serach": "typo"}, "unknown argument: serach"),
    ],
)
def test_bad_arguments_are_named(raw, message):
    with pytest.raises(ArgumentError, match=message):
        CrawlArgs.parse(**raw)


def test_each_spider_gets_its_share():
    args = CrawlArgs.parse(ids="a/b,datasets/c/d", limit=3)
    assert spider_arguments("models", "all", args) == CrawlArgs(ids=("a/b",), limit=3)
    assert spider_arguments("datasets", "all", args) == CrawlArgs(ids=("c/d",), limit=3)
    assert spider_arguments("pages", "all", args) == CrawlArgs(ids=("a/b", "datasets/c/d"), limit=3)
    assert spider_arguments("datasets", "all", CrawlArgs.parse(ids="a/b")) is None
    assert spider_arguments("details", "all", args) == CrawlArgs(ids=("a/b",), limit=3)
    assert spider_arguments("details", "details", CrawlArgs.parse(ids="datasets/c/d")) is None  # no config to read
    assert spider_arguments("models", "all", CrawlArgs(search="x", counters=True)) == CrawlArgs(
        search="x", counters=True
    )
