"""Every real card, page and API body in ../shared/realworld goes through the normalizers, and the
fields its facts file states must come out. The shared folder sits beside the checkout in CI."""

from __future__ import annotations

import json
import re

import pytest

from hubcrawl.crawler.items import ArtifactItem
from hubcrawl.crawler.normalize import Sources, derive_artifact, normalize_artifact
from hubcrawl.crawler.pages import parse_hub_page
from tests.conftest import REALWORLD

pytestmark = pytest.mark.skipif(
    not (REALWORLD / "cards").is_dir(), reason="../shared/realworld is not beside this checkout (developer data set)"
)

CARDS = sorted(p for p in (REALWORLD / "cards").glob("*.md")) if (REALWORLD / "cards").is_dir() else []


def facts_for(card_path):
    return json.loads((REALWORLD / "facts" / (card_path.stem + ".json")).read_text())


def normalize_card_file(card_path):
    facts = facts_for(card_path)
    item = ArtifactItem(
        kind=facts["kind"],
        repo_id=facts["id"],
        record=None,
        fetched_at="2026-01-01T00:00:00Z",
        card_url=f"file://{card_path}",
        card_status=200,
        card_body=card_path.read_bytes(),
    )
    return facts, normalize_artifact(item)


def as_set(value):
    return {value} if isinstance(value, str) else set(value)


def test_every_card_has_facts():
    assert CARDS, "no cards found"
    for card in CARDS:
        assert (REALWORLD / "facts" / (card.stem + ".json")).is_file(), card.name


@pytest.mark.parametrize("card_path", CARDS, ids=lambda p: p.stem)
def test_card_normalizes_to_its_facts(card_path):
    facts, normalized = normalize_card_file(card_path)
    a, card = normalized.artifact, normalized.card
    assert card is not None and card["has_front_matter"]
    assert [e for e in normalized.errors if e["kind"] in ("card_yaml", "card_not_mapping")] == []
    assert a["kind"] == facts["kind"]
    if facts.get("license"):
        assert set(a["licenses"]) == as_set(facts["license"])
    if facts.get("pipeline_tag"):
        assert a["task"] == facts["pipeline_tag"]
    if facts.get("task_categories"):
        assert set(a["tasks"]) == set(facts["task_categories"])
    if facts.get("languages"):
        assert set(a["languages"]) == as_set(facts["languages"])
    if facts.get("datasets"):
        assert set(a["datasets"]) == as_set(facts["datasets"])
    if facts.get("base_model"):
        assert set(a["base_models"]) == as_set(facts["base_model"])
    if facts.get("library_name"):
        assert a["library_name"] == facts["library_name"]
    if facts.get("gated"):
        assert a["gated"]
    assert a["pricing"] in {"Free", "Free (gated)", "Free (non-commercial)", "Unknown"}
    if facts.get("formats"):
        assert set(facts["formats"]) <= set(a["formats"])
    if isinstance(facts.get("size_categories"), list):
        assert set(a["size_categories"]) == set(facts["size_categories"])
    elif isinstance(facts.get("size_categories"), dict):  # per-config categories
        assert set(a["size_categories"]) == {v for vs in facts["size_categories"].values() for v in vs}
    if facts.get("configs"):
        assert set(a["configs"]) == set(facts["configs"])
    rows = facts.get("num_rows") or {}
    if rows and all(isinstance(v, int) for v in rows.values()):  # one config: {split: rows}
        [splits] = a["splits"].values()
        assert splits == rows
    elif rows:  # {config: {split: rows}}
        assert a["splits"] == rows
    for config, splits in (facts.get("num_rows_example") or {}).items():
        assert a["splits"][config] == splits
    if facts.get("dataset_size_bytes"):
        assert (a["bytes"], a["download_bytes"]) == (facts["dataset_size_bytes"], facts["download_size_bytes"])
    if facts.get("card_states_parameters"):
        number, scale = re.match(r"([\d.]+)\s*(billion|B)", facts["card_states_parameters"]).groups()
        assert a["parameters"] == round(float(number) * 1e9)
    for key in ("base_model_stated_in_body", "original_model"):
        if facts.get(key):
            assert facts[key] in a["base_models"]
    if facts.get("model_index_results"):
        groups = {(e["dataset"], e["config"], e["split"]) for e in normalized.eval_results}
        assert len(groups) == facts["model_index_results"]
    if facts.get("eval_accuracy_glue_sst2_validation"):
        [value] = [
            e["value"]
            for e in normalized.eval_results
            if (e["dataset"], e["config"], e["split"], e["metric"]) == ("glue", "sst2", "validation", "accuracy")
        ]
        assert value == facts["eval_accuracy_glue_sst2_validation"]
    if facts.get("eval_wer"):
        assert [e["value"] for e in normalized.eval_results if e["metric"] == "wer"] == [facts["eval_wer"]]
    # The whole file was read: body and front matter together are the card's characters.
    assert len(card_path.read_text(encoding="utf-8")) == facts["card_chars"]
    assert card["length"] == len(card["body"].strip()) <= facts["card_chars"]


HTML_PAGES = sorted((REALWORLD / "html").glob("*.html")) if (REALWORLD / "html").is_dir() else []
# What each real page's header states (from html/INDEX.md).
PAGE_FACTS = {
    "dataset__mozilla-foundation__common_voice_13_0": {
        "rows": 7176573,
        "viewer_modalities": ["audio", "text"],
        "discussions": {"closed": 4, "open": 5, "total": 9},
        "downloads": 7782,
        "likes": 177,
        "gated": "auto",
    },
    "model__TheBloke__Mistral-7B-v0.1-GGUF": {
        "gguf_total": 7241732096,
        "downloads": 7983,
        "likes": 238,
        "discussions": {"closed": 1, "open": 2, "total": 3},
    },
    "model__huypd1508__wav2vec2-t5-Vietnamese": {
        "downloads": 356,
        "likes": 0,
        "discussions": {"closed": 0, "open": 0, "total": 0},
    },
}


@pytest.mark.parametrize("page_path", HTML_PAGES, ids=lambda p: p.stem)
def test_real_pages_parse(page_path):
    parsed = parse_hub_page(page_path.read_text(encoding="utf-8"))
    expected = PAGE_FACTS.get(page_path.stem)
    if expected is None:  # a file view without the repo header: recorded, not raised
        assert [e["kind"] for e in parsed.errors] == ["page_no_props"] and parsed.fields == {}
        return
    assert parsed.errors == []
    for key, value in expected.items():
        assert parsed.fields[key] == value, key


def test_page_card_errors_and_paper_titles_are_read():
    pages = {p.stem: parse_hub_page(p.read_text(encoding="utf-8")) for p in HTML_PAGES}
    voice = pages["dataset__mozilla-foundation__common_voice_13_0"]
    assert voice.fields["card_validation_errors"][0]["path"] == ["size_categories"]
    assert voice.card_text.startswith("Dataset Card for Common Voice Corpus 13.0")
    papers = pages["model__huypd1508__wav2vec2-t5-Vietnamese"].fields["paper_titles"]
    assert papers == [{"id": "1910.09700", "title": "Quantifying the Carbon Emissions of Machine Learning"}]


def test_page_fields_reach_the_artifact():
    page_path = REALWORLD / "html" / "dataset__mozilla-foundation__common_voice_13_0.html"
    parsed = parse_hub_page(page_path.read_text(encoding="utf-8"))
    sources = Sources(
        "dataset", "mozilla-foundation/common_voice_13_0", None, "t", page=parsed, page_url="https://hub/page"
    )
    normalized = derive_artifact(sources)
    a = normalized.artifact
    assert (a["rows"], a["discussions"], a["provenance_rows"]) == (7176573, 9, "page (dataset viewer)")
    assert {"audio", "text"} <= set(a["modalities"])
    # The card text shown on the page is evidence when no card was fetched.
    quoted = [e for c in normalized.capabilities for e in c["evidence"] if "quote" in e]
    assert quoted and all(e["url"] == "https://hub/page" for e in quoted)
