"""The edge, in memory: bounded JSON and YAML, record rules, integrity, and the parsers that use them.
Every case is one a hostile card, record, page or server can produce (issue 9)."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
from scrapy.http import HtmlResponse, Request

from hubcrawl.crawler.cards import parse_card, parse_card_sections, splits_from_tables
from hubcrawl.crawler.errors import ERROR_KINDS, fetch_failure, known_kind
from hubcrawl.crawler.middlewares import retry_after_seconds
from hubcrawl.crawler.normalize import Sources, derive_artifact
from hubcrawl.crawler.pages import page_fields, parse_hub_page
from hubcrawl.crawler.ranking import count
from hubcrawl.crawler.validate import (
    MAX_DEPTH,
    body_matches_etag,
    bound_integers,
    check_record,
    check_repo_id,
    finite_number,
    load_json,
    load_yaml,
    plain_json,
)
from hubcrawl.db import DatabaseError, close_db, open_db, open_readonly, read_only_authorizer, run_query

DEEP = 100_000


def depth(value) -> int:
    level, stack = 0, [(value, 1)]
    while stack:
        node, d = stack.pop()
        level = max(level, d)
        if isinstance(node, (list, dict)):
            stack += [(c, d + 1) for c in (node.values() if isinstance(node, dict) else node)]
    return level


def test_json_nested_past_any_recursion_limit_loses_only_the_deep_part():
    body = (
        '[{"id": "a/b", "cardData": {"deep": ' + "[" * DEEP + "]" * DEEP + '}, "likes": 3}, {"id": "c/d"}]'
    ).encode()
    records, cut = load_json(body, list)
    assert cut and [r["id"] for r in records] == ["a/b", "c/d"] and records[0]["likes"] == 3
    assert depth(records) <= MAX_DEPTH + 1


def test_json_that_is_not_json_of_the_expected_type():
    assert load_json(b"[1, 2", list) == (None, False)
    assert load_json(b'{"a": 1}', list) == (None, False)
    assert load_json(b"\xff\xfe", dict) == (None, False)
    value, _ = load_json(b'{"a": NaN, "b": Infinity, "c": 1e999}', dict)
    assert value == {"a": None, "b": None, "c": float("inf")} or value["c"] is None or value["c"] == float("inf")
    assert finite_number(value["c"]) is None


@pytest.mark.parametrize(
    "yaml_text, problem",
    [
        (
            "a: &a [x,x,x,x,x,x,x,x,x]\n"
            + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n" for i in range(9)),
            "expand",
        ),
        ("a: &x [*x]", "itself"),
        ("a: " + "[" * 200 + "]" * 200, "deeper"),
        ("a: " + "[" * 3000 + "]" * 3000, "nesting depth"),
    ],
)
def test_yaml_that_would_expand_or_recurse_is_refused_before_it_is_built(yaml_text, problem):
    with pytest.raises(Exception) as refused:
        load_yaml(yaml_text)
    assert problem in str(refused.value)


def test_yaml_values_become_plain_json():
    data = plain_json(
        load_yaml(
            "2024-01-15: a\n? 2024-01-15 10:00:00\n: b\n? !!binary aGk=\n: c\nn: .nan\n"
            "s: !!set {y, x}\nbig: 123456789012345678901234567890\n? null\n: d\n"
        )
    )
    assert data == {
        "2024-01-15": "a",
        "2024-01-15T10:00:00": "b",
        "aGk=": "c",
        "n": "nan",
        "s": ["x", "y"],
        "big": 123456789012345678901234567890,
        "null": "d",
    }
    json.dumps(data, allow_nan=False)  # valid JSON, whatever YAML held


def test_hostile_front_matter_keeps_the_body_and_names_the_problem():
    bomb = (
        "---\n"
        + "a: &a [x,x,x,x,x,x,x,x,x]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join(["*" + chr(97 + i)] * 9) + "]\n" for i in range(9))
        + "---\nBody.\n"
    )
    card = parse_card("model", bomb)
    assert (
        card.body == "Body.\n" and card.front_matter == {} and [e["kind"] for e in card.errors] == ["card_yaml_bounds"]
    )
    clash = parse_card(
        "model", "---\nlicense: mit\nignore_metadata_errors: 5\nmodel-index: 3\n---\nB\n"
    )  # a reserved key
    assert clash.front_matter["license"] == "mit" and [e["kind"] for e in clash.errors] == ["card_metadata"]


def test_record_rules_drop_only_the_bad_fields():
    record = {
        "id": "a/b",
        "likes": -1,
        "downloads": "lots",
        "downloadsAllTime": 2**64,
        "lastModified": 12345,
        "createdAt": "2024-01-01T00:00:00.000Z",
        "siblings": [None, {"rfilename": "README.md"}, {"x": 1}],
        "cardData": "a string",
        "tags": ["ok", 5],
        "gated": "sometimes",
        "safetensors": {"total": 2**64},
        "pipeline_tag": "fill-mask",
        "newField": {"kept": True},
    }
    clean, errors = check_record(record)
    assert clean == {
        "id": "a/b",
        "createdAt": "2024-01-01T00:00:00.000Z",
        "siblings": [{"rfilename": "README.md"}],
        "tags": ["ok"],
        "pipeline_tag": "fill-mask",
        "newField": {"kept": True},
    }
    assert sorted(e["field"] for e in errors) == sorted(
        [
            "likes",
            "downloads",
            "downloadsAllTime",
            "lastModified",
            "siblings",
            "cardData",
            "tags",
            "gated",
            "safetensors",
        ]
    )
    assert all(e["kind"] == "record_field_invalid" and len(e["detail"]) < 120 for e in errors)


def test_a_hostile_record_still_derives_an_artifact():
    record = {
        "id": "a/b",
        "likes": -1,
        "downloads": "lots",
        "cardData": "x",
        "siblings": [None],
        "safetensors": {"parameters": {"F32": 2**70}, "total": 2**70},
        "lastModified": [1],
    }
    normalized = derive_artifact(Sources("model", "a/b", record, "2026-01-01T00:00:00Z"))
    assert normalized.artifact["id"] == "a/b" and normalized.artifact["likes"] is None
    assert normalized.artifact["parameters"] is None
    assert {e["kind"] for e in normalized.errors} == {"record_field_invalid"}


def test_numbers_past_sqlites_range_cost_their_column():
    row = {"a": 2**63, "b": -(2**63) - 1, "c": 2**63 - 1, "d": "text", "e": True}
    errors = bound_integers(row)
    assert row == {"a": None, "b": None, "c": 2**63 - 1, "d": "text", "e": True}
    assert [e["field"] for e in errors] == ["a", "b"]
    sqlite3.connect(":memory:").execute("select ?, ?, ?", [row["a"], row["b"], row["c"]])


def test_card_numbers_past_range_or_digit_limits_are_no_counts():
    body = (
        "## Data Splits\n\n| name | train | test |\n|---|---|---|\n| default | " + "9" * 30 + " | ² |\n| x | 10 | 2 |\n"
    )
    assert splits_from_tables(parse_card_sections(body)) == {"x": {"train": 10, "test": 2}}
    huge = derive_artifact(
        Sources(
            "model",
            "a/b",
            {"id": "a/b"},
            "2026-01-01T00:00:00Z",
            card=parse_card("model", "It has 99999999999 billion parameters.\n"),
        )
    )
    assert huge.artifact["parameters"] is None and "value_out_of_range" in [e["kind"] for e in huge.errors]
    endless = derive_artifact(
        Sources(
            "model",
            "a/b",
            {"id": "a/b"},
            "2026-01-01T00:00:00Z",
            card=parse_card("model", "It has " + "9" * 5000 + " billion parameters.\n"),
        )
    )
    assert endless.artifact["parameters"] is None


@pytest.mark.parametrize(
    "props, expected",
    [
        ({"model": {"gguf": "a string", "config": ["a"], "likes": "many", "downloads": -5}, "discussionsStats": 5}, {}),
        (
            {"dataset": {"datasetsServerInfo": {"numRows": 2**70, "formats": "parquet", "modalities": [1, "text"]}}},
            {"viewer_modalities": ["text"]},
        ),
        (
            {"model": {"tag_objs": [{"type": "arxiv", "id": 5}, {"type": "arxiv", "id": "arxiv:1", "extra": "x"}]}},
            {"paper_titles": [{"id": "1", "title": None}]},
        ),
        (
            {"model": {"cardError": {"errors": [{"message": 1, "path": {"a": 1}}, "x"]}}},
            {"card_validation_errors": [{"message": "1", "path": None}]},
        ),
        (["props", "as", "a", "list"], {}),
    ],
)
def test_page_props_of_any_shape_give_only_well_typed_fields(props, expected):
    assert page_fields(props) == expected


def test_pages_with_bad_or_deep_props():
    page = parse_hub_page('<div data-target="ModelHeader" data-props="[1, 2]"></div>')
    assert page.props is None and [e["kind"] for e in page.errors] == ["page_bad_props"]
    deep = '{"model": {"config": ' + "[" * DEEP + "]" * DEEP + "}}"
    page = parse_hub_page(f"<div data-target='ModelHeader' data-props='{deep}'></div>")
    assert page.props is not None and [e["kind"] for e in page.errors] == ["page_props_too_deep"]


def test_etag_names_the_body_the_hub_sent():
    body = b"---\nlicense: mit\n---\n# Card\n"
    blob = hashlib.sha1(b"blob %d\0" % len(body) + body).hexdigest()
    assert body_matches_etag(body, f'"{blob}"') is True
    assert body_matches_etag(body, f'W/"{blob.upper()}"') is True
    assert body_matches_etag(body[:-3], f'"{blob}"') is False
    assert body_matches_etag(body, '"not-a-hash"') is None and body_matches_etag(body, None) is None
    sha256 = hashlib.sha256(body).hexdigest()
    assert body_matches_etag(body, f'"{blob}"', f'"{sha256}"') is True
    assert body_matches_etag(body[:-1], f'"{blob}"', f'"{sha256}"') is False


def test_retry_after_is_bounded_and_parsed():
    def answer(value):
        return HtmlResponse("http://h/x", status=429, headers={"Retry-After": value}, request=Request("http://h/x"))

    assert retry_after_seconds(answer("30")) == 30
    for value in ("inf", "nan", "-5", "0", "soon", "1e999"):
        assert retry_after_seconds(answer(value)) is None, value
    assert retry_after_seconds(answer("Wed, 21 Oct 2015 07:28:00 GMT")) is None  # in the past
    assert 0 < retry_after_seconds(answer("Fri, 01 Jan 2100 00:00:00 GMT"))


def test_repo_ids_are_the_hubs_own():
    assert check_repo_id("google-bert/bert-base-uncased") == "google-bert/bert-base-uncased"
    for bad in ("a/b?x=1#y", "a/../b", ["a"], "a/b/c", "", "a" * 97, None, "datasets/a/b"):
        assert check_repo_id(bad) is None, bad


def test_every_failure_has_a_documented_kind():
    for status, code in ((401, "GatedRepo"), (404, None), (403, None), (500, None), (429, None)):
        assert known_kind(fetch_failure("card", status, error_code=code)["kind"])
    assert known_kind(fetch_failure("page", exception=TimeoutError())["kind"])
    assert not known_kind("made_up")
    assert all(isinstance(meaning, str) and meaning for meaning in ERROR_KINDS.values())


def test_ranking_counts_only_what_is_a_count():
    assert [count(v) for v in (5, -1, "lots", None, float("nan"), float("inf"), True, 2.5)] == [
        5,
        0,
        0,
        0,
        0,
        0,
        0,
        2.5,
    ]


def test_readers_are_refused_everything_but_reading(tmp_path):
    close_db(open_db(tmp_path / "hub.db", create=True))
    reader = open_readonly(tmp_path / "hub.db", time_limit=0.2)
    for sql in (
        f"attach '{tmp_path}/x.db' as x",
        f"vacuum into '{tmp_path}/y.db'",
        "delete from artifacts",
        "pragma user_version = 3",
        "create temp table t (x)",
        "select load_extension('x')",
    ):
        with pytest.raises(DatabaseError):
            run_query(reader, sql)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hub.db"]
    assert run_query(reader, "select count(*) from artifacts")[1] == [(0,)]
    with pytest.raises(DatabaseError, match="time limit"):
        run_query(reader, "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c")
    assert read_only_authorizer(sqlite3.SQLITE_PRAGMA, "table_info", "artifacts", None, None) == sqlite3.SQLITE_OK
    assert read_only_authorizer(sqlite3.SQLITE_PRAGMA, "journal_mode", "delete", None, None) == sqlite3.SQLITE_DENY
