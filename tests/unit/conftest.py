"""The quick layer's helpers: spiders on a real (unstarted) Scrapy crawler, answers built in memory,
databases in memory or in a temporary file. No server, no process, no network."""

from __future__ import annotations

import asyncio
import json

import pytest
import sqlite_utils
from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

from hubcrawl.crawler import settings as project_settings
from hubcrawl.crawler.items import ArtifactItem
from hubcrawl.crawler.normalize import normalize_artifact
from hubcrawl.db import ensure_schema, save_artifacts
from tests.hubstub import git_blob_id

ENDPOINT = "http://hub.test"
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(autouse=True)
def stand_in_endpoint(monkeypatch):
    """Every unit sees the same endpoint and no token of the developer's (tests/conftest.py empties HF_HOME)."""
    monkeypatch.setenv("HF_ENDPOINT", ENDPOINT)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUBCRAWL_DB", "HUBCRAWL_BUDGETS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def memory_db() -> sqlite_utils.Database:
    db = sqlite_utils.Database(memory=True)
    ensure_schema(db)
    return db


def project_crawler(spider_class, db_file, **settings):
    """A crawler with the project's settings, as `scrapy crawl` makes it, that never starts."""
    values = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    values.update(HUBCRAWL_DB=str(db_file), **settings)
    return get_crawler(spider_class, values)


def make_spider(spider_class, db_file, **args):
    crawler = project_crawler(spider_class, db_file)
    spider = spider_class.from_crawler(crawler, **args)
    crawler.spider = spider
    return spider


def start_requests(spider) -> list:
    async def collect():
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def json_response(url: str, body, *, headers: dict | None = None, status: int = 200, meta: dict | None = None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = Request(url, meta=meta or {})
    return TextResponse(url, status=status, body=raw, headers=headers or {}, request=request, encoding="utf-8")


def card_response(url: str, body: bytes, *, etag: str | None = None, meta: dict | None = None):
    """A `/resolve/` answer; its ETag is the body's git blob id unless one is given."""
    headers = {"ETag": f'"{etag or git_blob_id(body)}"'}
    return TextResponse(url, body=body, headers=headers, request=Request(url, meta=meta or {}), encoding="utf-8")


def record(repo_id: str, **changes) -> dict:
    """A listing record as the Hub gives it (the fields the spiders and normalizers read)."""
    base = {
        "_id": f"id-{repo_id}",
        "id": repo_id,
        "author": repo_id.split("/")[0],
        "sha": SHA,
        "lastModified": "2026-01-02T03:04:05.000Z",
        "downloads": 10,
        "likes": 1,
        "tags": ["license:mit"],
        "siblings": [{"rfilename": "README.md"}, {"rfilename": "config.json"}],
    }
    base.update(changes)
    return base


def store(
    db, kind: str, rec: dict, card: bytes | None = b"---\nlicense: mit\n---\n# Card\n\nText.\n", files=None, **item
):
    """A repo as a crawl would have stored it ({path: text} config files at its commit, if given)."""
    artifact = ArtifactItem(
        kind=kind,
        repo_id=rec["id"],
        record=rec,
        fetched_at="2026-01-03T00:00:00Z",
        card_url=f"{ENDPOINT}/{rec['id']}/resolve/{rec['sha']}/README.md" if card is not None else None,
        card_status=200 if card is not None else None,
        card_body=card,
        **item,
    )
    rows = {
        path: {"sha": rec["sha"], "body": text, "url": f"{ENDPOINT}/{path}"} for path, text in (files or {}).items()
    }
    save_artifacts(db, [normalize_artifact(artifact, ENDPOINT, rows).rows()])


def card_item(repo_id: str, card: str | bytes, kind: str = "model", record: dict | None = None) -> ArtifactItem:
    """A repo whose card came back with this text (and a bare record unless one is given)."""
    return ArtifactItem(
        kind=kind,
        repo_id=repo_id,
        record=record or {"id": repo_id},
        fetched_at="t",
        card_url="u",
        card_status=200,
        card_body=card.encode() if isinstance(card, str) else card,
    )
