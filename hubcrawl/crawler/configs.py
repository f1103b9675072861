"""Architecture facts from a model's config files: their text in, facts with the file and key each
came from out. Pure. A config that cannot be read, or names nothing known, is an error on the
artifact; a fact is never guessed (no parameter count is worked out from layer sizes).
"""

from __future__ import annotations

import math
import re

from hubcrawl.crawler.errors import problem
from hubcrawl.crawler.validate import MAX_DEPTH, load_json

CONFIG = "config.json"
SENTENCE_CONFIG = "sentence_bert_config.json"  # sentence-transformers: the input length it really uses
DETAIL_FILES = (CONFIG, SENTENCE_CONFIG)  # what the details pass fetches, where the file list has it

# Each fact and the names model families give it in config.json (the attribute_maps of transformers'
# config classes, and older names), with the largest value believed. The first name present wins.
CONFIG_NAMES: dict[str, tuple[tuple[str, ...], int]] = {
    "layers": (("num_hidden_layers", "n_layer", "n_layers", "num_layers"), 100_000),
    "decoder_layers": (("decoder_layers", "num_decoder_layers"), 100_000),
    "hidden_size": (("hidden_size", "d_model", "n_embd", "dim", "model_dim"), 10_000_000),
    "heads": (("num_attention_heads", "n_head", "n_heads", "num_heads", "encoder_attention_heads"), 100_000),
    "kv_heads": (("num_key_value_heads", "n_kv_heads", "num_kv_heads", "multi_query_group_num"), 100_000),
    "intermediate_size": (
        ("intermediate_size", "ffn_dim", "n_inner", "d_ff", "hidden_dim", "encoder_ffn_dim"),
        100_000_000,
    ),
    "context_length": (
        ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "n_ctx", "max_sequence_length"),
        1_000_000_000,
    ),
    "sliding_window": (("sliding_window",), 1_000_000_000),
    "vocab_size": (("vocab_size", "n_vocab", "padded_vocab_size"), 1_000_000_000),
}
# Multimodal and composite models keep their language model's config one level down.
NESTED_CONFIGS = ("text_config", "llm_config", "language_config", "thinker_config")
DTYPES = {"float32", "float16", "bfloat16", "float64", "int8", "uint8", "float8_e4m3fn", "float8_e5m2"}
DEFAULT_LABEL = re.compile(r"LABEL_\d+")
MAX_LABELS = 1000
MAX_TEXT = 200


def architecture_from(files: dict[str, dict]) -> tuple[dict, list[dict]]:
    """Facts from the stored config files ({path: row with "body", "url"}), and the problems found.
    Each fact is {"value", "file", "key"}; labels are a list, the rest numbers or short text."""
    facts, errors = {}, []
    config = files.get(CONFIG)
    if config and config.get("body") is not None:
        parsed, problems = read_json(config["body"], CONFIG)
        errors += problems
        if parsed is not None:
            found, problems = config_facts(parsed)
            errors += problems
            if not found:
                errors.append(problem("config_unknown", "config.json names no architecture field hubcrawl knows"))
            facts.update(found)
    sentence = files.get(SENTENCE_CONFIG)
    if sentence and sentence.get("body") is not None:
        parsed, problems = read_json(sentence["body"], SENTENCE_CONFIG)
        errors += problems
        if parsed is not None:
            facts.update(sentence_facts(parsed))
    return facts, errors


def read_json(text: str, path: str) -> tuple[dict | None, list[dict]]:
    parsed, cut = load_json(text.encode("utf-8", "replace"), dict, MAX_DEPTH)
    if parsed is None:
        return None, [problem("config_malformed", f"{path} is not a JSON object")]
    return parsed, [
        problem("config_malformed", f"{path} nested past {MAX_DEPTH} levels; the deep part dropped")
    ] if cut else []


def config_facts(config: dict) -> tuple[dict, list[dict]]:
    facts, errors = {}, []
    nested = next((n for n in NESTED_CONFIGS if isinstance(config.get(n), dict)), None)
    for fact, (names, upper) in CONFIG_NAMES.items():
        for where, source in ((config, ""), (config.get(nested) if nested else None, f"{nested}.")):
            if not isinstance(where, dict):
                continue
            key = next((k for k in names if where.get(k) is not None), None)
            if key is None:
                continue
            value = where[key]
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= upper:
                facts[fact] = fact_entry(value, CONFIG, source + key)
            else:
                errors.append(
                    problem("config_field_invalid", f"{source}{key}: {value!r:.60} is not a count", field=key)
                )
            break
    if "sliding_window" in facts and config.get("use_sliding_window") is False:
        del facts["sliding_window"]  # declared but switched off (Qwen2)
    architectures = config.get("architectures")
    if isinstance(architectures, list) and architectures and short_text(architectures[0]):
        facts["class"] = fact_entry(architectures[0], CONFIG, "architectures")
    elif short_text(config.get("architecture")):  # timm
        facts["class"] = fact_entry(config["architecture"], CONFIG, "architecture")
    if short_text(config.get("model_type")):
        facts["model_type"] = fact_entry(config["model_type"], CONFIG, "model_type")
    dtype_key = "torch_dtype" if "torch_dtype" in config else "dtype"
    if config.get(dtype_key) in DTYPES:
        facts["dtype"] = fact_entry(config[dtype_key], CONFIG, dtype_key)
    if (rope := rope_scaling(config.get("rope_scaling"))) is not None:
        facts["rope_scaling"] = fact_entry(rope, CONFIG, "rope_scaling")
    if (quantization := quantization_of(config.get("quantization_config"))) is not None:
        facts["quantization"] = fact_entry(quantization, CONFIG, "quantization_config")
    labels = labels_of(config.get("id2label"))
    if labels:
        facts["labels"] = fact_entry(labels, CONFIG, "id2label")
    return facts, errors


def sentence_facts(config: dict) -> dict:
    facts = {}
    length = config.get("max_seq_length")
    if isinstance(length, int) and not isinstance(length, bool) and 0 < length <= 1_000_000_000:
        facts["max_seq_length"] = fact_entry(length, SENTENCE_CONFIG, "max_seq_length")
    if isinstance(config.get("do_lower_case"), bool):
        facts["lowercase"] = fact_entry(config["do_lower_case"], SENTENCE_CONFIG, "do_lower_case")
    return facts


def fact_entry(value, file: str, key: str) -> dict:
    return {"value": value, "file": file, "key": key}


def short_text(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_TEXT


def labels_of(id2label) -> list[str]:
    """What a classifier or tagger predicts, in id order; none when the labels are the default LABEL_n."""
    if not isinstance(id2label, dict) or not id2label or len(id2label) > MAX_LABELS:
        return []
    try:
        pairs = sorted((int(k), v) for k, v in id2label.items())
    except (TypeError, ValueError):
        return []
    labels = [v for _, v in pairs if short_text(v)]
    if len(labels) != len(pairs) or all(DEFAULT_LABEL.fullmatch(v) for v in labels):
        return []
    return labels


def rope_scaling(value) -> dict | None:
    if not isinstance(value, dict):
        return None
    kind = value.get("rope_type") or value.get("type")
    factor = value.get("factor")
    out = {"type": kind} if short_text(kind) else {}
    if isinstance(factor, (int, float)) and not isinstance(factor, bool) and math.isfinite(factor) and factor > 0:
        out["factor"] = factor
    original = value.get("original_max_position_embeddings")
    if isinstance(original, int) and not isinstance(original, bool) and original > 0:
        out["original_context_length"] = original
    return out or None


def quantization_of(value) -> dict | None:
    if not isinstance(value, dict):
        return None
    out = {}
    if short_text(value.get("quant_method")):
        out["method"] = value["quant_method"]
    bits = value.get("bits")
    if isinstance(bits, int) and not isinstance(bits, bool) and 0 < bits <= 64:
        out["bits"] = bits
    elif value.get("load_in_4bit") is True:
        out["bits"] = 4
    elif value.get("load_in_8bit") is True:
        out["bits"] = 8
    return out or None


def architecture_fields(facts: dict) -> dict:
    """The artifact columns the facts fill (each None when unknown, so a stale value never stays)."""
    length = facts.get("max_seq_length") or facts.get("context_length")
    labels = facts.get("labels")
    return {
        "architecture": {k: v for k, v in facts.items() if k != "labels"} or None,
        "context_length": length["value"] if length else None,
        "labels": labels["value"] if labels else None,
    }
