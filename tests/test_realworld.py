"""Every real card, page and API body in ../shared/realworld goes through the normalizers, and the
fields its facts file states must come out. The shared folder sits beside the checkout in CI."""

from __future__ import annotations

import json

import pytest

from crawler.items import ArtifactItem
from crawler.normalize import normalize_artifact
from tests.conftest import REALWORLD

pytestmark = pytest.mark.skipif(
    not (REALWORLD / "cards").is_dir(), reason="../shared/realworld is not beside this checkout (developer data set)"
)

CARDS = sorted(p for p in (REALWORLD / "cards").glob("*.md")) if (REALWORLD / "cards").is_dir() else []


def facts_for(card_path):
    return json.loads((REALWORLD / "facts" / (card_path.stem + ".json")).read_text())


def normalize_card_file(card_path):
    facts = facts_for(card_path)
    item = ArtifactItem(kind=facts["kind"], repo_id=facts["id"], record=None, fetched_at="2026-01-01T00:00:00Z",
                        card_url=f"file://{card_path}", card_status=200, card_body=card_path.read_bytes())
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
    # The whole file was read: body and front matter together are the card's characters.
    assert len(card_path.read_text(encoding="utf-8")) == facts["card_chars"]
    assert card["length"] == len(card["body"].strip()) <= facts["card_chars"]
