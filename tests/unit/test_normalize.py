"""Normalizers on hand-written records: pure functions, no network."""

import json

import pytest

from hubcrawl.crawler.items import ArtifactItem
from hubcrawl.crawler.normalize import derive_fields, normalize_artifact, parse_api_record, pricing
from tests.conftest import REALWORLD


def model_record(**changes):
    record = {
        "_id": "0123456789abcdef01234567",
        "id": "acme/qa-model",
        "author": "acme",
        "sha": "a" * 40,
        "lastModified": "2025-01-02T03:04:05.000Z",
        "createdAt": "2022-03-02T23:29:04.000Z",
        "downloads": 10,
        "likes": 2,
        "tags": [
            "transformers",
            "pytorch",
            "onnx",
            "license:apache-2.0",
            "dataset:rajpurkar/squad",
            "base_model:finetune:distilbert/distilbert-base-cased",
            "arxiv:1910.01108",
            "en",
        ],
        "pipeline_tag": "question-answering",
        "library_name": "transformers",
        "siblings": [
            {"rfilename": f}
            for f in [
                "README.md",
                "model.safetensors",
                "tf_model.h5",
                "flax_model.msgpack",
                "rust_model.ot",
                "openvino/openvino_model.xml",
                "model.gguf",
            ]
        ],
        "safetensors": {"parameters": {"F32": 65_000_000}, "total": 65_000_000},
        "cardData": {"language": "en", "datasets": "squad"},
    }
    record.update(changes)
    return record


def fields(record, kind="model"):
    info, errors = parse_api_record(kind, record)
    assert errors == []
    return derive_fields(kind, record["id"], record, info, None)


def test_model_fields_from_a_listing_record():
    f = fields(model_record())
    assert f["id"] == "acme/qa-model" and f["hub_id"] == "0123456789abcdef01234567"
    assert f["license"] == "apache-2.0" and f["pricing"] == "Free"
    assert f["task"] == "question-answering"
    assert f["parameters"] == 65_000_000
    assert f["formats"] == ["Safetensors", "PyTorch", "TensorFlow", "JAX/Flax", "ONNX", "Rust", "OpenVINO", "GGUF"]
    assert f["languages"] == ["en"]
    assert f["datasets"] == ["squad", "rajpurkar/squad"]
    assert f["base_models"] == ["distilbert/distilbert-base-cased"]
    assert f["papers"] == ["1910.01108"]
    assert f["last_modified"] == "2025-01-02T03:04:05Z"


def test_created_at_sentinel_means_unknown():
    assert fields(model_record())["created_at"] is None
    assert fields(model_record(createdAt="2024-05-01T00:00:00.000Z"))["created_at"] == "2024-05-01T00:00:00Z"


def test_parameters_are_never_guessed():
    assert fields(model_record(safetensors=None, id="acme/llama-7b"))["parameters"] is None
    assert fields(model_record(safetensors=None, gguf={"total": 7_241_732_096}))["parameters"] == 7_241_732_096


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


def test_license_falls_back_to_card_data_and_other_keeps_its_name():
    record = model_record(tags=[], cardData={"license": "other", "license_name": "acme-license"})
    f = fields(record)
    assert (f["license"], f["license_name"]) == ("other", "acme-license")


def test_dataset_fields():
    record = {
        "id": "acme/reviews",
        "tags": [
            "task_categories:text-classification",
            "language:en",
            "language:de",
            "license:cc-by-4.0",
            "format:parquet",
            "modality:text",
        ],
        "cardData": {"task_categories": ["text-classification"], "language": ["en"]},
        "siblings": [{"rfilename": "README.md"}, {"rfilename": "data/train.csv"}, {"rfilename": "x.jsonl.gz"}],
        "gated": "auto",
    }
    f = fields(record, "dataset")
    assert f["id"] == "datasets/acme/reviews"
    assert f["tasks"] == ["text-classification"]
    assert f["languages"] == ["en", "de"]
    assert f["formats"] == ["csv", "json", "parquet"]
    assert (f["gated"], f["pricing"]) == ("auto", "Free (gated)")


def test_a_fetched_card_overrides_the_listing_card_data():
    item = ArtifactItem(
        kind="model",
        repo_id="acme/qa-model",
        record=model_record(tags=[]),
        fetched_at="t",
        card_url="u",
        card_status=200,
        card_body=b"---\nlicense: mit\n---\n# Hi\n\nText.\n",
    )
    normalized = normalize_artifact(item)
    assert normalized.artifact["license"] == "mit"
    assert normalized.card["front_matter"] == {"license": "mit"}
    assert normalized.card["length"] == len("# Hi\n\nText.")
    assert normalized.errors == []


def test_broken_card_still_stores_the_artifact_with_api_fields():
    item = ArtifactItem(
        kind="model",
        repo_id="acme/qa-model",
        record=model_record(),
        fetched_at="t",
        card_url="u",
        card_status=200,
        card_body=b"---\nlicense: [mit\n---\nbody\n",
    )
    normalized = normalize_artifact(item)
    assert normalized.artifact["license"] == "apache-2.0"  # from the API record's tags
    assert [e["kind"] for e in normalized.errors] == ["card_yaml"]
    assert normalized.card["raw_text"].startswith("---\nlicense: [mit")  # kept to re-parse later


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
