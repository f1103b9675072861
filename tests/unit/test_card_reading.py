"""Reading a card for what it says: `Key: value` facts and hyperparameters, objectives named as list keys,
facts stated in prose, GGUF file tables, sentences chosen by what they claim, gated access terms, and the
API's description when no card was read. Cards here are written for the tests."""

from __future__ import annotations

from hubcrawl.crawler.card_facts import parse_card_facts
from hubcrawl.crawler.card_results import quant_files_from_tables
from hubcrawl.crawler.cards import best_sentences, parse_card_sections, score_sentence
from hubcrawl.crawler.items import ArtifactItem
from hubcrawl.crawler.normalize import normalize_artifact
from tests.unit.conftest import card_item

TRAINED = """# harbour-tagger

## Model Details

- **Developed by:** Harbour Lab
- **Source Language:** Danish
- **Target Language:** Faroese
- **Language model:** acme/port-encoder

## Training procedure

The following hyperparameters were used during training:
- learning_rate: 3e-05
- train_batch_size: 16
- num_epochs: 4
- optimizer: Adam with betas=(0.9,0.999)

The tagger was trained on 2 A100 GPUs for 6 hours. Inputs longer than 512 word pieces are truncated.

## Pretraining

- Masked language modeling (MLM): the model hides some words and predicts them.
- Next sentence prediction (NSP): the model guesses whether two sentences follow each other.
"""


def test_key_value_lines_and_hyperparameters_become_facts_with_their_lines():
    facts = {f["fact"]: f for f in parse_card_facts(parse_card_sections(TRAINED))}
    assert {k: facts[k]["value"] for k in ("source_language", "target_language", "base_model")} == {
        "source_language": "Danish",
        "target_language": "Faroese",
        "base_model": "acme/port-encoder",
    }
    assert (facts["learning_rate"]["value"], facts["batch_size"]["value"], facts["epochs"]["value"]) == (
        "3e-05",
        "16",
        "4",
    )
    assert facts["learning_rate"]["quote"] == "learning_rate: 3e-05"
    assert facts["learning_rate"]["section"] == "Training procedure"
    # Stated in prose, kept with its sentence.
    assert facts["hardware"]["value"] == "2 A100 GPUs"
    assert facts["input_limit"]["value"] == "512 word pieces"
    assert facts["input_limit"]["quote"] == "Inputs longer than 512 word pieces are truncated."
    # Objectives named as list keys: each one a fact.
    objectives = [f["value"] for f in parse_card_facts(parse_card_sections(TRAINED)) if f["fact"] == "objective"]
    assert objectives == ["Masked language modeling (MLM)", "Next sentence prediction (NSP)"]


def test_facts_reach_the_record_as_a_reader_would_say_them():
    normalized = normalize_artifact(card_item("acme/harbour-tagger", TRAINED))
    text = " ".join(c["text"] for c in normalized.capabilities)
    assert "It translates Danish into Faroese, as its card states." in text
    assert "learning rate 3e-05" in text and "batch size 16" in text and "4 epochs" in text
    assert "Masked language modeling (MLM) and Next sentence prediction (NSP)" in text
    assert "inputs cut at 512 word pieces" in text
    assert [f["fact"] for f in normalized.artifact["card_facts"]][:3] == [
        "source_language",
        "target_language",
        "base_model",
    ]


def test_a_placeholder_or_an_overlong_value_is_no_fact():
    card = "# x\n\n- **Hardware Type:** [More Information Needed]\n- **Training time:** " + "long " * 60 + "\n"
    assert parse_card_facts(parse_card_sections(card)) == []


LADDER = """# Harbour-7B GGUF

| Filename | Quant type | File Size | Description |
| -------- | ---------- | --------- | ----------- |
| [h-Q8_0.gguf](https://example/h-Q8_0.gguf) | Q8_0 | 7.70GB | Highest quality. |
| [h-Q4_K_M.gguf](https://example/h-Q4_K_M.gguf) | Q4_K_M | 4.37GB | Good quality, *recommended*. |
| [h-Q2_K.gguf](https://example/h-Q2_K.gguf) | Q2_K | 2.72GB | Very low quality, *not* recommended. |
| [h-IQ1_S.gguf](https://example/h-IQ1_S.gguf) | IQ1_S | n/a | Broken row. |
"""


def test_a_gguf_file_table_is_a_quantization_ladder():
    quants = quant_files_from_tables(parse_card_sections(LADDER))
    assert [(q["quant"], q["gigabytes"]) for q in quants] == [("Q8_0", 7.7), ("Q4_K_M", 4.37), ("Q2_K", 2.72)]
    record = {"id": "acme/h-GGUF", "siblings": [{"rfilename": "h-Q8_0.gguf"}], "tags": ["gguf"]}
    normalized = normalize_artifact(card_item("acme/h-GGUF", LADDER, record=record))
    (ladder,) = [c for c in normalized.capabilities if c["aspect"] == "formats"]
    assert ladder["text"] == (
        "Ships 3 GGUF quantizations for llama.cpp and compatible local runtimes, from Q2_K at 2.72GB to Q8_0 at "
        "7.70GB, as its card's file table lists. The card recommends Q4_K_M."
    )


def test_sentences_are_chosen_by_what_they_claim_not_by_position():
    card = (
        "# harbour-qa\n\n## Model description\n\n"
        "Thanks to everyone who helped us build this. "
        "You can find the code in our repository on the website. "
        "The model answers questions about ship schedules and was fine-tuned on 40,000 timetable questions. "
        "It outperforms the rule-based parser by 12 points of exact match.\n"
    )
    sections = parse_card_sections(card)
    chosen = [s for _, s in best_sentences(sections, ("description",), 2)]
    assert chosen == [
        "The model answers questions about ship schedules and was fine-tuned on 40,000 timetable questions.",
        "It outperforms the rule-based parser by 12 points of exact match.",
    ]
    assert score_sentence("Using llama.cpp release b2854 for quantization.") < score_sentence(chosen[0])
    assert score_sentence("Significant research has explored bias in language models (see Sheng et al.).") < 0


def test_news_and_citation_sections_are_never_quoted():
    card = (
        "# harbour-lm\n\n## News\n\n[2024/01/02] We released harbour-xl, which outperforms every model by 9 points.\n\n"
        "## Model description\n\nHarbour-lm is a small language model trained on 3 million port logs.\n"
    )
    text = " ".join(c["text"] for c in normalize_artifact(card_item("acme/harbour-lm", card)).capabilities)
    assert "harbour-xl" not in text and "3 million port logs" in text


def test_gated_access_terms_are_quoted_as_obligations():
    card = (
        "---\nextra_gated_prompt: |-\n  This dataset is shared under the harbour licence.\n\n"
        "  1. You must not try to identify the sailors in the recordings\n"
        "  2. You agree to share derived data only under the same terms\n"
        '\n  "Recordings" means the audio files in this repository.\n---\n# Harbour voices\n'
    )
    record = {"id": "acme/voices", "gated": "manual"}
    normalized = normalize_artifact(card_item("acme/voices", card, kind="dataset", record=record))
    (terms,) = [c for c in normalized.capabilities if c["title"] == "access terms"]
    assert terms["text"] == (
        "Access is gated; the terms a user accepts say: “You must not try to identify the sailors in the "
        "recordings” “You agree to share derived data only under the same terms”"
    )
    assert all(e["field"] == "extra_gated_prompt" for e in terms["evidence"])


def test_a_dataset_without_a_card_is_described_from_its_api_description():
    record = {
        "id": "acme/ports",
        "description": "Harbour Ports is a collection of 12,000 annotated berth schedules from 40 ports.",
    }
    item = ArtifactItem(
        kind="dataset", repo_id="acme/ports", record=record, fetched_at="t", card_url=None, card_status=404
    )
    (task,) = normalize_artifact(item).capabilities
    assert "collection of 12,000 annotated berth schedules" in task["text"]
    assert task["evidence"][0]["url"].endswith("/api/datasets/acme/ports")


def test_the_cards_own_comparison_table_names_the_nearest_models_with_their_speed():
    card = (
        "# harbour-rerank-small\n\n## Performance\n\n"
        "| Model-Name | NDCG@10 (Harbour QA) | Docs / Sec |\n|---|---|---|\n"
        "| **Version 1** | | |\n"
        "| acme/harbour-rerank-tiny | 61.20 | 9000 |\n"
        "| acme/harbour-rerank-small | 70.10 | 2000 |\n"
        "| acme/harbour-rerank-large | 70.40 | 500 |\n"
        "| other/reranker | 55.00 | 100 |\n"
    )
    normalized = normalize_artifact(card_item("acme/harbour-rerank-small", card))
    assert [c["model"] for c in normalized.artifact["card_comparisons"]] == [
        "acme/harbour-rerank-tiny",
        "acme/harbour-rerank-large",
        "other/reranker",
    ]
    (results,) = [c for c in normalized.capabilities if c["aspect"] == "evals"]
    assert results["text"] == (
        "Its evaluation reports NDCG@10 (Harbour QA) 70.1 on Harbour QA. Its card's table sets it beside 3 other "
        "models on NDCG@10 (Harbour QA), where it has 70.1: 70.4 for acme/harbour-rerank-large, at 500 vs 2000 "
        "Docs / Sec; 61.2 for acme/harbour-rerank-tiny, at 9000 vs 2000 Docs / Sec."
    )
