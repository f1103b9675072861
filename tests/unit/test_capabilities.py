"""Capability text: every claim rests on named evidence, and every number in it can be found there."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from hubcrawl.crawler.capabilities import EVIDENCE_SOURCES, numbers_in
from hubcrawl.crawler.cards import parse_card_sections
from hubcrawl.crawler.items import ArtifactItem
from hubcrawl.crawler.normalize import normalize_artifact
from tests.conftest import REALWORLD
from tests.hubstub import awkward_repos, dataset_repo, model_repo


def assert_grounded(capabilities: list[dict]) -> None:
    for cap in capabilities:
        assert cap["title"] and cap["text"], cap
        assert cap["evidence"], f"no evidence for {cap['title']!r}"
        for entry in cap["evidence"]:
            assert entry.get("source") in EVIDENCE_SOURCES, entry
            assert "field" in entry or "quote" in entry, entry
        evidence = json.dumps(cap["evidence"], ensure_ascii=False)
        for number in numbers_in(cap["title"] + " " + cap["text"]):
            assert number in evidence, f"{number!r} of {cap['title']!r} is not in its evidence"


def item_for(repo, **changes) -> ArtifactItem:
    return ArtifactItem(
        kind=repo.kind,
        repo_id=repo.id,
        record=repo.record,
        fetched_at="2026-01-01T00:00:00Z",
        card_url=f"http://hub/{repo.id}/resolve/x/README.md",
        card_status=200,
        card_body=repo.card,
        **changes,
    )


def test_synthetic_repos_have_grounded_capabilities():
    rng = random.Random(3)
    repos = [model_repo(i, rng) for i in range(30)] + [dataset_repo(i, rng) for i in range(30)] + awkward_repos()
    for repo in repos:
        normalized = normalize_artifact(item_for(repo))
        assert_grounded(normalized.capabilities)
        assert 1 <= len(normalized.capabilities) <= 8, repo.id


REALWORLD_CARDS = sorted((REALWORLD / "cards").glob("*.md")) if (REALWORLD / "cards").is_dir() else []


@pytest.mark.skipif(not REALWORLD_CARDS, reason="../shared/realworld is not beside this checkout")
@pytest.mark.parametrize("card_path", REALWORLD_CARDS, ids=lambda p: p.stem)
def test_realworld_capabilities_are_grounded(card_path: Path):
    facts = json.loads((REALWORLD / "facts" / f"{card_path.stem}.json").read_text())
    item = ArtifactItem(
        kind=facts["kind"],
        repo_id=facts["id"],
        record=None,
        fetched_at="t",
        card_url="file://card",
        card_status=200,
        card_body=card_path.read_bytes(),
    )
    normalized = normalize_artifact(item)
    assert_grounded(normalized.capabilities)
    # Quotes are the card's own sentences, word for word (its Markdown read as text), under their heading.
    sections = {
        s.title or "(introduction)": " ".join(s.paragraphs) for s in parse_card_sections(normalized.card["body"])
    }
    for cap in normalized.capabilities:
        for entry in cap["evidence"]:
            if "section" in entry:
                assert entry["quote"] in sections[entry["section"]]


def test_a_card_without_body_gives_metadata_and_task_reference_capabilities_only():
    record = {
        "id": "acme/summarizer",
        "pipeline_tag": "summarization",
        "library_name": "transformers",
        "tags": ["pytorch", "tf", "license:mit"],
        "siblings": [{"rfilename": "pytorch_model.bin"}, {"rfilename": "tf_model.h5"}],
    }
    item = ArtifactItem(
        kind="model",
        repo_id="acme/summarizer",
        record=record,
        fetched_at="t",
        card_url="u",
        card_status=200,
        card_body=b"---\nlicense: mit\ntags: [summarization]\n---\n",
    )
    normalized = normalize_artifact(item)
    titles = [c["title"] for c in normalized.capabilities]
    assert titles == ["summarization"]  # formats and the rest are rows of the feature table, not capabilities
    # Nothing is quoted from the empty card; the task's capability says how summarization works, cited.
    assert all(e["source"] != "card" for c in normalized.capabilities for e in c["evidence"])
    task = normalized.capabilities[0]
    assert "a shorter text that conveys the main content" in task["text"]
    assert any(e["source"] == "task-reference" and e["url"].endswith("/tasks/summarization") for e in task["evidence"])
    assert_grounded(normalized.capabilities)


def test_a_card_that_says_little_gets_few_capabilities():
    item = ArtifactItem(
        kind="model",
        repo_id="acme/bare",
        record={"id": "acme/bare"},
        fetched_at="t",
        card_url="u",
        card_status=200,
        card_body=b"# bare\n",
    )
    assert normalize_artifact(item).capabilities == []


def test_squad_v2_training_gives_the_unanswerable_capability():
    record = {"id": "acme/qa", "pipeline_tag": "question-answering", "tags": ["dataset:rajpurkar/squad_v2"]}
    item = ArtifactItem(kind="model", repo_id="acme/qa", record=record, fetched_at="t")
    caps = normalize_artifact(item).capabilities
    assert "detects unanswerable questions" in [c["title"] for c in caps]
    assert_grounded(caps)


def test_eval_results_are_quoted_with_their_numbers():
    card = b"""---
model-index:
- name: acme/qa
  results:
  - task: {type: question-answering}
    dataset: {name: SQuAD, type: squad, split: validation}
    metrics:
    - {type: f1, value: 88.52, name: F1}
    - {type: exact_match, value: 81.2, name: EM}
---
# acme/qa
"""
    item = ArtifactItem(
        kind="model",
        repo_id="acme/qa",
        record={"id": "acme/qa"},
        fetched_at="t",
        card_url="u",
        card_status=200,
        card_body=card,
    )
    normalized = normalize_artifact(item)
    [cap] = [c for c in normalized.capabilities if c["title"].startswith("reported results")]
    assert "F1 88.52" in cap["text"] and "EM 81.2" in cap["text"]
    assert [(e["metric"], e["value"]) for e in normalized.eval_results] == [("f1", 88.52), ("exact_match", 81.2)]
    assert_grounded(normalized.capabilities)
