"""What counts as documented, and how a card the Hub would not serve is judged."""

from __future__ import annotations

from hubcrawl.crawler.cards import documented_kinds, parse_card_sections
from hubcrawl.crawler.normalize import normalize_artifact
from hubcrawl.crawler.ranking import METHOD, quality_part
from tests.unit.conftest import card_item

TEMPLATE = """# Model card

## Model description

A small tagger for harbour names in shipping notes.

## Intended uses

[More Information Needed]

## Limitations

### Out-of-scope use

It was not tested on handwritten notes.

## Training data

TBD
"""


def test_a_section_counts_only_when_it_says_more_than_a_placeholder():
    assert documented_kinds(parse_card_sections(TEMPLATE)) == ["description", "limitations"]


def artifact(**changes) -> dict:
    base = {
        "kind": "model",
        "card_sections": [],
        "eval_count": 1,
        "task": "token-classification",
        "languages": ["en"],
        "parameters": 1000,
        "has_license": True,
        "card_length": None,
        "gated": None,
        "errors": [],
    }
    base.update(changes)
    return base


def test_a_gated_card_nobody_could_read_is_judged_on_what_is_known_not_as_empty():
    unread = quality_part(artifact(gated="manual"))
    empty = quality_part(artifact(card_length=0))
    assert unread == 1.0 > empty  # licence, results and metadata all there: the whole part
    w = METHOD["quality"]
    partial = quality_part(artifact(gated="auto", eval_count=0))
    assert partial == (w["license"] + w["metadata"]) / (w["license"] + w["evidence"] + w["metadata"])
    read = quality_part(artifact(gated="manual", card_length=3000, card_sections=["description"]))
    assert read < unread  # once its text is known (a page showed it), the card is judged as written


def test_configurations_with_the_same_splits_are_one_dataset_and_a_wrong_size_category_is_said():
    info = [
        {
            "config_name": name,
            "splits": [{"name": "train", "num_examples": 7000}, {"name": "test", "num_examples": 1300}],
        }
        for name in ("plain", "worked")
    ]
    card = (
        "---\nsize_categories: [10K<n<100K]\ndataset_info:\n"
        + "".join(
            f"- config_name: {c['config_name']}\n  splits:\n"
            + "".join(f"  - name: {s['name']}\n    num_examples: {s['num_examples']}\n" for s in c["splits"])
            for c in info
        )
        + "---\n# Word problems\n"
    )
    item = card_item("acme/word-problems", card, kind="dataset")
    normalized = normalize_artifact(item)
    assert normalized.artifact["rows"] == 8300  # not 16,600: the two configurations hold the same problems
    (scale,) = [c for c in normalized.capabilities if c["aspect"] == "scale"]
    assert "configurations with the same split sizes counted once" in scale["text"]
    assert "its metadata's size category 10K<n<100K, which this count does not fall in" in scale["text"]
