"""Normalizers on hand-written records: pure functions, no network."""

import json

import pytest

from hubcrawl.crawler.normalize import derive_fields, parse_api_record, pricing
from tests.conftest import REALWORLD


def fields(record, kind="model"):
    info, errors = parse_api_record(kind, record)
    assert errors == []
    return derive_fields(kind, record["id"], record, info, None)


@pytest.mark.parametrize(
    ("license", "gated", "expected"),
    [
        ("apache-2.0", None, "Free"),
        ("mit", "manual", "Free (gated)"),
        ("cc-by-nc-4.0", None, "Free (non-commercial)"),
        ("cc-by-nc-sa-4.0", "auto", "Free (non-commercial)"),
        (None, None, "Unknown"),
        ("unknown", None, "Unknown"),
    ],
)
def test_pricing_mapping(license, gated, expected):
    assert pricing(license, gated) == expected


def test_a_record_the_parser_rejects_is_recorded_not_raised():
    info, errors = parse_api_record("model", {"id": "a/b", "lastModified": "not a date"})
    assert info is None and errors[0]["kind"] == "record_invalid"


@pytest.mark.skipif(not (REALWORLD / "api").is_dir(), reason="../shared/realworld/api is not beside this checkout")
def test_verbatim_hub_bodies_parse():
    listing = json.loads((REALWORLD / "api" / "api_models__list_default_fields.json").read_text())
    for record in listing:
        f = fields(record)
        assert f["task"] == record["pipeline_tag"] and f["downloads"] == record["downloads"]
    detail = json.loads((REALWORLD / "api" / "api_datasets__nvidia__OpenMathInstruct-2.json").read_text())
    f = fields(detail, "dataset")
    assert f["license"] == "cc-by-4.0"
    assert f["tasks"] == ["question-answering", "text-generation"]
    assert "parquet" in f["formats"]
    assert f["papers"] == ["2410.01560"]
