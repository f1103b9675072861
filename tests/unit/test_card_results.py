"""Results a card states in its tables, read as eval results with the row they came from."""

from __future__ import annotations

from hubcrawl.crawler.card_results import results_from_tables
from hubcrawl.crawler.cards import parse_card_sections
from hubcrawl.crawler.normalize import normalize_artifact
from tests.unit.conftest import card_item

CARD = """# harbour-ner

## Evaluation

| Metric | dev | test | train |
|---|---|---|---|
| F1 | 93.2 | 90.4 | 99.9 |
| precision | 92.8 | 89.9 | 99.8 |
| notes | good | fine | - |

## Translation scores

| testset | BLEU | chr-F |
|---|---|---|
| harbour-notes-2024.en.nl | 31.5 | 0.602 |
| harbour-notes-2025.en.nl | 29.0~30.0 | 0.590 |

## Compared with others

| Model-Name | NDCG@10 (Quay Queries) | Docs / Sec |
|---|---|---|
| acme/harbour-ner | 61.20 | 900 |
| acme/harbour-ner-large | 64.80 | 300 |

## Training results

| Epoch | Step | Validation Loss | Accuracy |
|---|---|---|---|
| 1.0 | 500 | 0.21 | 0.93 |
"""


def rows(card: str = CARD) -> list[tuple]:
    found = results_from_tables(parse_card_sections(card), "acme/harbour-ner")
    return [(r["dataset"], r["split"], r["metric"], r["value"]) for r in found]


def test_tables_give_results_with_their_dataset_split_and_metric():
    assert rows() == [
        (None, "validation", "f1", 93.2),
        (None, "test", "f1", 90.4),
        (None, "validation", "precision", 92.8),
        (None, "test", "precision", 89.9),
        ("harbour-notes-2024.en.nl", None, "bleu", 31.5),
        ("harbour-notes-2024.en.nl", None, "chrf", 0.602),
        ("harbour-notes-2025.en.nl", None, "chrf", 0.590),  # "29.0~30.0" is not one number: left out
        ("Quay Queries", None, "ndcg", 61.2),  # only this model's row of a comparison table
        (None, None, "throughput", 900.0),  # its speed as the table states it: a cost, with no dataset
    ]


def test_training_numbers_are_not_evaluation():
    assert all(value not in (99.9, 99.8, 0.93) for *_, value in rows())


def test_a_table_result_is_quoted_as_its_row_and_model_index_wins_over_a_repeated_table():
    card = (
        "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: token-classification}\n    dataset: {type: conll2003, name: CoNLL}\n    metrics:\n    - {type: f1, value: 0.904}\n---\n"
        + CARD
    )
    item = card_item("acme/harbour-ner", card)
    normalized = normalize_artifact(item)
    sources = [(e["source"], e["metric"]) for e in normalized.eval_results]
    assert ("model-index", "f1") in sources and ("card-table", "f1") not in sources  # not reported twice
    bleu = next(e for e in normalized.eval_results if e["metric"] == "bleu")
    assert bleu["quote"] == "| harbour-notes-2024.en.nl | 31.5 | 0.602 |"
    evidence = [e for c in normalized.capabilities if c["aspect"] == "evals" for e in c["evidence"]]
    precision = "| precision | 92.8 | 89.9 | 99.8 |"
    assert any(e.get("quote") == precision and e["source"] == "card" and e["field"] == "card-table" for e in evidence)


def test_result_sentences_of_the_prose_are_quoted_as_stated_results():
    card = (
        "# harbour-ner\n\nThe tagger reaches an F1 of 90.4 on the harbour test notes. "
        "It outperforms the older port tagger on every split we tried. "
        "Each note was scored by two annotators from 1 to 5.\n\n"
        "## Citation\n\nOur earlier paper achieves 88.0 F1 on the same notes and is cited below.\n"
    )
    normalized = normalize_artifact(card_item("acme/harbour-ner", card))
    # A sentence stating a metric, a value and where: an eval result of its own, with the sentence as evidence.
    [read] = [e for e in normalized.eval_results if e["source"] == "card-text"]
    assert (read["metric"], read["value"], read["dataset"]) == ("f1", 90.4, "harbour test notes")
    assert read["quote"] == "The tagger reaches an F1 of 90.4 on the harbour test notes."
    # A comparison without a number is quoted as a stated result; not the annotation scale, not the citation.
    (stated,) = [c for c in normalized.capabilities if c["title"] == "results stated in its card"]
    assert [e["quote"] for e in stated["evidence"]] == ["It outperforms the older port tagger on every split we tried."]


def test_result_sentences_name_their_split_and_leave_other_models_numbers_out():
    card = (
        "# harbour-det\n\nThis model achieves an AP (average precision) of **41.5** on Harbour 2024 validation.\n\n"
        "The tagger reaches an accuracy of 88.1 on the dev set (for comparison, the old tagger reaches an "
        "accuracy of 90.2).\n\nIt reaches an accuracy of 99.0 on the training set.\n"
    )
    read = [
        e for e in normalize_artifact(card_item("acme/harbour-det", card)).eval_results if e["source"] == "card-text"
    ]
    assert [(e["metric"], e["value"], e["dataset"], e["split"]) for e in read] == [
        ("ap", 41.5, "Harbour 2024", "validation"),
        ("accuracy", 88.1, None, "validation"),
    ]  # the other model's 90.2 and the training-set number are not this model's evaluation


def test_a_base_model_named_in_the_prose_by_repo_id_is_read_and_a_bare_name_is_not_guessed():
    card = (
        "# harbour-ner\n\nWe use the pretrained `acme/port-encoder-small` model and train it further. "
        "It is a fine-tune checkpoint of PortBERT-base, fine-tuned from acme/port-encoder-small.\n\n"
        "**Language model:** acme/port-encoder-small\n"
    )
    normalized = normalize_artifact(card_item("acme/harbour-ner", card))
    assert normalized.artifact["base_models"] == ["acme/port-encoder-small"]
