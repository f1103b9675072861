"""Architecture facts from config files, field by field, on configs written the way model families
write them (hand-made here, not copied): an encoder, a decoder with grouped-query attention and a
sliding window, a token classifier with labels, a quantized decoder, a multimodal wrapper, and the
ways a config goes wrong."""

from __future__ import annotations

import json

import pytest

from hubcrawl.crawler.capabilities import NUMBER
from hubcrawl.crawler.configs import CONFIG, SENTENCE_CONFIG, architecture_fields, architecture_from
from hubcrawl.crawler.items import ArtifactItem
from hubcrawl.crawler.normalize import normalize_artifact
from tests.unit.conftest import ENDPOINT, SHA, record

ENCODER = {
    "architectures": ["RobertaForMaskedLM"],
    "model_type": "roberta",
    "num_hidden_layers": 12,
    "hidden_size": 768,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 514,
    "vocab_size": 50265,
    "torch_dtype": "float32",
    "id2label": {"0": "LABEL_0", "1": "LABEL_1"},  # the default labels: not a classifier's
}
DECODER_GQA = {
    "architectures": ["MistralForCausalLM"],
    "model_type": "mistral",
    "num_hidden_layers": 32,
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "intermediate_size": 14336,
    "max_position_embeddings": 32768,
    "sliding_window": 4096,
    "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 8192},
    "vocab_size": 32768,
    "dtype": "bfloat16",
}
TAGGER = {
    "architectures": ["DistilBertForTokenClassification"],
    "model_type": "distilbert",
    "n_layers": 6,
    "dim": 768,
    "n_heads": 12,
    "hidden_dim": 3072,
    "max_position_embeddings": 512,
    "vocab_size": 28996,
    "id2label": {"2": "I-PER", "0": "O", "1": "B-PER", "3": "B-LOC", "4": "I-LOC"},
}
QUANTIZED = {
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "num_hidden_layers": 28,
    "hidden_size": 3584,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
    "max_position_embeddings": 32768,
    "sliding_window": 131072,
    "use_sliding_window": False,  # declared, switched off
    "vocab_size": 152064,
    "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128},
}
GPT2_NAMES = {
    "model_type": "gpt2",
    "n_layer": 24,
    "n_embd": 1024,
    "n_head": 16,
    "n_positions": 1024,
    "vocab_size": 50257,
}
MULTIMODAL = {
    "architectures": ["LlavaForConditionalGeneration"],
    "model_type": "llava",
    "text_config": {"num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32, "vocab_size": 32064},
    "quantization_config": {"load_in_4bit": True, "bnb_4bit_quant_type": "nf4"},
}


def facts_of(config: dict | str, sentence: dict | None = None) -> tuple[dict, list[str]]:
    files = {CONFIG: {"body": config if isinstance(config, str) else json.dumps(config), "url": "u"}}
    if sentence is not None:
        files[SENTENCE_CONFIG] = {"body": json.dumps(sentence), "url": "s"}
    facts, errors = architecture_from(files)
    return {name: fact["value"] for name, fact in facts.items()}, [e["kind"] for e in errors]


def test_an_encoder():
    facts, errors = facts_of(ENCODER)
    assert errors == []
    assert facts == {
        "layers": 12,
        "hidden_size": 768,
        "heads": 12,
        "intermediate_size": 3072,
        "context_length": 514,
        "vocab_size": 50265,
        "class": "RobertaForMaskedLM",
        "model_type": "roberta",
        "dtype": "float32",
    }


def test_a_decoder_with_grouped_query_attention_and_a_sliding_window():
    facts, errors = facts_of(DECODER_GQA)
    assert errors == []
    assert (facts["layers"], facts["heads"], facts["kv_heads"]) == (32, 32, 8)
    assert (facts["hidden_size"], facts["intermediate_size"]) == (4096, 14336)
    assert (facts["context_length"], facts["sliding_window"], facts["vocab_size"]) == (32768, 4096, 32768)
    assert facts["rope_scaling"] == {"type": "yarn", "factor": 4.0, "original_context_length": 8192}
    assert facts["dtype"] == "bfloat16"  # the newer `dtype` key


def test_a_tagger_with_distilbert_names_and_its_labels_in_id_order():
    facts, errors = facts_of(TAGGER)
    assert errors == []
    assert (facts["layers"], facts["hidden_size"], facts["heads"], facts["intermediate_size"]) == (6, 768, 12, 3072)
    assert facts["labels"] == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    fields = architecture_fields(architecture_from({CONFIG: {"body": json.dumps(TAGGER), "url": "u"}})[0])
    assert fields["labels"] == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"] and "labels" not in fields["architecture"]
    assert fields["context_length"] == 512


def test_a_quantized_decoder_whose_sliding_window_is_switched_off():
    facts, errors = facts_of(QUANTIZED)
    assert errors == []
    assert facts["quantization"] == {"method": "awq", "bits": 4}
    assert facts["kv_heads"] == 4 and "sliding_window" not in facts


def test_gpt2_names_and_a_multimodal_models_language_config():
    facts, _ = facts_of(GPT2_NAMES)
    assert (facts["layers"], facts["hidden_size"], facts["heads"], facts["context_length"]) == (24, 1024, 16, 1024)
    facts, errors = facts_of(MULTIMODAL)
    assert errors == []
    assert (facts["layers"], facts["hidden_size"], facts["vocab_size"]) == (32, 4096, 32064)
    assert facts["quantization"] == {"bits": 4} and facts["class"] == "LlavaForConditionalGeneration"
    found, _ = architecture_from({CONFIG: {"body": json.dumps(MULTIMODAL), "url": "u"}})
    assert found["layers"]["key"] == "text_config.num_hidden_layers"  # the evidence names where it stood


def test_sentence_transformers_max_seq_length_is_the_context_it_uses():
    facts, _ = facts_of(ENCODER, {"max_seq_length": 256, "do_lower_case": True})
    assert facts["max_seq_length"] == 256 and facts["lowercase"] is True
    fields = architecture_fields(
        architecture_from(
            {
                CONFIG: {"body": json.dumps(ENCODER), "url": "u"},
                SENTENCE_CONFIG: {"body": json.dumps({"max_seq_length": 256}), "url": "s"},
            }
        )[0]
    )
    assert fields["context_length"] == 256


@pytest.mark.parametrize(
    ("config", "errors", "facts"),
    [
        ('{"num_hidden_layers": 12, "hidden_size": ', ["config_malformed"], {}),
        ("[1, 2, 3]", ["config_malformed"], {}),
        ({"_class_name": "UNet2DConditionModel", "sample_size": 64}, ["config_unknown"], {}),
        ({"num_hidden_layers": "twelve", "hidden_size": 768}, ["config_field_invalid"], {"hidden_size": 768}),
        ({"num_hidden_layers": True, "vocab_size": -5}, ["config_field_invalid"] * 2 + ["config_unknown"], {}),
        ({"num_hidden_layers": 10**30}, ["config_field_invalid", "config_unknown"], {}),
        ({"num_hidden_layers": 2, "id2label": {"a": "x"}, "architectures": [None]}, [], {"layers": 2}),
    ],
)
def test_a_config_that_goes_wrong_costs_its_own_facts_and_says_so(config, errors, facts):
    found, kinds = facts_of(config)
    assert kinds == errors and found == facts


def test_architecture_capability_quotes_every_number_from_the_config_with_the_file_as_evidence():
    item = ArtifactItem(
        kind="model",
        repo_id="org/tagger",
        record=record("org/tagger", pipeline_tag="token-classification"),
        fetched_at="2026-01-01T00:00:00Z",
    )
    files = {
        CONFIG: {"sha": SHA, "body": json.dumps(TAGGER), "url": f"{ENDPOINT}/org/tagger/resolve/{SHA}/config.json"}
    }
    normalized = normalize_artifact(item, ENDPOINT, files)
    by_aspect = {c["aspect"]: c for c in normalized.capabilities}
    architecture, labels = by_aspect["architecture"], by_aspect["labels"]
    for cap in (architecture, labels):
        assert all(e["source"] == CONFIG and e["url"].endswith("/config.json") for e in cap["evidence"])
        stated = {str(e.get("display", e["value"])) for e in cap["evidence"]}
        for number in NUMBER.findall(cap["text"]):
            assert number in stated, (number, cap["text"])
    assert "6 layers" in architecture["text"] and "hidden size 768" in architecture["text"]
    assert labels["text"] == "It predicts 5 labels: O, B-PER, I-PER, B-LOC, I-LOC."
    assert normalized.artifact["labels"] == ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def test_a_config_from_another_commit_is_not_used():
    item = ArtifactItem(kind="model", repo_id="org/m", record=record("org/m"), fetched_at="t")
    files = {CONFIG: {"sha": "f" * 40, "body": json.dumps(ENCODER), "url": "u"}}
    normalized = normalize_artifact(item, ENDPOINT, files)
    assert normalized.artifact["architecture"] is None and normalized.artifact["context_length"] is None


def test_a_quantized_models_safetensors_count_is_said_to_be_the_packed_one():
    rec = record(
        "org/q4", safetensors={"parameters": {"I32": 1_000_000_000, "F16": 300_000_000}, "total": 1_300_000_000}
    )
    item = ArtifactItem(kind="model", repo_id="org/q4", record=rec, fetched_at="t")
    files = {CONFIG: {"sha": SHA, "body": json.dumps(QUANTIZED), "url": "u"}}
    normalized = normalize_artifact(item, ENDPOINT, files)
    (arch,) = [c for c in normalized.capabilities if c["aspect"] == "architecture"]
    assert "They are quantized (4-bit awq)." in arch["text"]
    assert "The 1.3B parameters counted in safetensors are the stored, packed tensors" in arch["text"]
    assert any(e.get("fact") == "quantization" and e["source"] == CONFIG for e in arch["evidence"])
    assert normalized.artifact["parameters"] == 1_300_000_000  # kept as counted, and said which it is
