"""Normalizers: raw Hub answers in, database rows out. Pure functions, no network, no database.

`normalize_artifact(item)` is what the pipeline calls for every crawled repo and what
`hubcrawl normalize` re-runs over stored raw records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any

from huggingface_hub.hf_api import DatasetInfo, ModelInfo

from crawler.cards import ParsedCard, decode_card, parse_card
from crawler.items import ArtifactItem, artifact_key

# Repos created before the Hub stored creation dates all carry this value: it means "unknown".
CREATED_AT_SENTINEL = "2022-03-02T23:29:04"

# Licences under which use is free but not for commercial purposes.
NON_COMMERCIAL_LICENSES = {
    "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cc-by-nc-nd-2.0", "afl-3.0-nc",
    "deepfloyd-if-license", "llama2", "etalab-2.0-nc",
}  # fmt: skip
UNKNOWN_LICENSES = {None, "", "unknown"}

# File name rules and tags that say which weight/serialization formats a model ships.
MODEL_FORMAT_FILES = [
    ("Safetensors", lambda n: n.endswith(".safetensors")),
    ("PyTorch", lambda n: n.endswith((".pt", ".pth")) or (n.endswith(".bin") and "pytorch_model" in n)),
    ("TensorFlow", lambda n: n.endswith((".h5", "saved_model.pb")) or n.startswith("tf_model")),
    ("JAX/Flax", lambda n: n.endswith(".msgpack")),
    ("ONNX", lambda n: n.endswith(".onnx")),
    ("Rust", lambda n: n.endswith(".ot")),
    ("OpenVINO", lambda n: n.startswith("openvino") and n.endswith(".xml")),
    ("Core ML", lambda n: n.endswith((".mlmodel", ".mlpackage")) or ".mlpackage/" in n),
    ("GGUF", lambda n: n.endswith(".gguf")),
    ("TFLite", lambda n: n.endswith(".tflite")),
]
MODEL_FORMAT_TAGS = {
    "safetensors": "Safetensors", "pytorch": "PyTorch", "tf": "TensorFlow", "tensorflow": "TensorFlow",
    "jax": "JAX/Flax", "flax": "JAX/Flax", "onnx": "ONNX", "rust": "Rust", "openvino": "OpenVINO",
    "coreml": "Core ML", "gguf": "GGUF", "tflite": "TFLite", "mlx": "MLX",
}  # fmt: skip
FORMAT_ORDER = [name for name, _ in MODEL_FORMAT_FILES] + ["MLX"]
DATASET_FILE_FORMATS = {
    ".parquet": "parquet", ".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json",
    ".arrow": "arrow", ".txt": "text", ".tar": "webdataset", ".zip": "zip", ".xml": "xml",
    ".wav": "audio", ".mp3": "audio", ".flac": "audio", ".jpg": "imagefolder", ".png": "imagefolder",
}  # fmt: skip
IGNORED_FILES = {".gitattributes", "README.md"}


@dataclass
class NormalizedArtifact:
    artifact: dict  # the `artifacts` row
    card: dict | None  # the `cards` row, when a card answer (200) came back
    errors: list[dict]


def normalize_artifact(item: ArtifactItem) -> NormalizedArtifact:
    """Every database row one crawled repo yields. Never raises on bad Hub data."""
    errors = list(item.fetch_errors)
    info = None
    if item.record is not None:
        info, record_errors = parse_api_record(item.kind, item.record)
        errors += record_errors

    parsed = None
    card_row = None
    if item.card_body is not None:
        text, decode_errors = decode_card(item.card_body)
        parsed = parse_card(item.kind, text)
        parsed.errors[:0] = decode_errors
        errors += parsed.errors
        card_row = card_row_for(item, parsed, text)

    artifact = derive_fields(item.kind, item.repo_id, item.record or {}, info, parsed)
    artifact.update(fetched_at=item.fetched_at, errors=errors, record=item.record)
    return NormalizedArtifact(artifact=artifact, card=card_row, errors=errors)


def parse_api_record(kind: str, record: dict) -> tuple[ModelInfo | DatasetInfo | None, list[dict]]:
    """The raw camelCase API record through huggingface_hub's own parser."""
    info_class = ModelInfo if kind == "model" else DatasetInfo
    try:
        return info_class(**record), []
    except Exception as exc:  # the parser is strict about a few shapes (dates, safetensors)
        return None, [{"kind": "record_invalid", "detail": f"{exc.__class__.__name__}: {exc}"[:300]}]


def card_row_for(item: ArtifactItem, parsed: ParsedCard, text: str) -> dict:
    return {
        "artifact_id": artifact_key(item.kind, item.repo_id),
        "url": item.card_url,
        "sha": (item.record or {}).get("sha"),
        "front_matter": parsed.front_matter,
        "has_front_matter": parsed.has_front_matter,
        "body": parsed.body,
        "length": len(parsed.body.strip()),
        # The raw text is only worth its space when the parser could not read it.
        "raw_text": text if parsed.card is None and parsed.has_front_matter else None,
        "errors": parsed.errors,
        "fetched_at": item.fetched_at,
    }


def derive_fields(
    kind: str,
    repo_id: str,
    record: dict,
    info: ModelInfo | DatasetInfo | None,
    card: ParsedCard | None,
) -> dict:
    """The feature columns of `artifacts` from what the API and the card say."""
    # The API's cardData is the Hub's own parse of the card; a card we fetched is newer or equal.
    meta = dict(record.get("cardData") or {})
    if card is not None and card.card is not None:
        meta.update(card.front_matter)
    tags = [t for t in (record.get("tags") or []) if isinstance(t, str)]
    siblings = [s.get("rfilename", "") for s in record.get("siblings") or [] if isinstance(s, dict)]

    licenses = license_ids(tags, meta)
    license = licenses[0] if licenses else None
    gated = gated_mode(record, meta)
    tasks = task_list(kind, record, meta, tags)
    return {
        "id": artifact_key(kind, repo_id),
        "kind": kind,
        "repo_id": repo_id,
        "hub_id": record.get("_id"),
        "author": record.get("author") or (repo_id.split("/")[0] if "/" in repo_id else None),
        "sha": record.get("sha"),
        "last_modified": iso(info.last_modified if info else None),
        "created_at": created_at(info),
        "downloads": record.get("downloads"),
        "downloads_all_time": record.get("downloadsAllTime"),
        "likes": record.get("likes"),
        "trending_score": record.get("trendingScore"),
        "private": record.get("private"),
        "disabled": record.get("disabled"),
        "gated": gated,
        "license": license,
        "licenses": licenses,
        "license_name": meta.get("license_name") if license == "other" else None,
        "pricing": pricing(license, gated),
        "task": tasks[0] if tasks else None,
        "tasks": tasks,
        "library_name": record.get("library_name") or meta.get("library_name"),
        "parameters": parameter_count(record),
        "formats": model_formats(siblings, tags) if kind == "model" else dataset_formats(siblings, tags),
        "languages": languages(meta, tags),
        "tags": tags,
        "datasets": datasets_used(meta, tags) if kind == "model" else [],
        "base_models": base_models(meta, tags) if kind == "model" else [],
        "papers": sorted({t.split(":", 1)[1] for t in tags if t.startswith("arxiv:")}),
        "spaces": len(record.get("spaces") or []) if "spaces" in record else None,
        "card_length": len(card.body.strip()) if card is not None else None,
    }


def as_list(value: Any) -> list:
    """Card metadata is not type-checked: a list field may arrive as a scalar (huggingface_hub#2642)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v for v in value if v not in (None, "")]
    return [value]


def license_ids(tags: list[str], meta: dict) -> list[str]:
    """Canonical licence ids: the Hub's `license:` tags, else the card's `license` (or legacy `licenses`)."""
    from_tags = [t.split(":", 1)[1] for t in tags if t.startswith("license:")]
    found = from_tags or as_list(meta.get("license")) or as_list(meta.get("licenses"))
    return dedupe(str(v).strip().lower() for v in found)


def gated_mode(record: dict, meta: dict) -> str | None:
    """'auto' / 'manual' from the API; 'yes' when only the card's `extra_gated_*` keys say so."""
    gated = record.get("gated")
    if gated in ("auto", "manual"):
        return gated
    if gated is True:
        return "yes"
    if gated is None and any(k.startswith("extra_gated") for k in meta):
        return "yes"
    return None


def pricing(license: str | None, gated: str | None) -> str:
    """The documented mapping (docs/ranking.md): licence and gating to a price class."""
    if license in UNKNOWN_LICENSES:
        return "Unknown"
    if license in NON_COMMERCIAL_LICENSES or (license or "").startswith("cc-by-nc"):
        return "Free (non-commercial)"
    if gated:
        return "Free (gated)"
    return "Free"


def task_list(kind: str, record: dict, meta: dict, tags: list[str]) -> list[str]:
    if kind == "model":
        found = [record.get("pipeline_tag") or meta.get("pipeline_tag")]
    else:
        found = as_list(meta.get("task_categories")) + [
            t.split(":", 1)[1] for t in tags if t.startswith("task_categories:")
        ]
    return dedupe(str(t) for t in found if t)


def parameter_count(record: dict) -> int | None:
    """Counted parameters only (safetensors, then GGUF metadata); never guessed from a name."""
    for key in ("safetensors", "gguf"):
        total = (record.get(key) or {}).get("total")
        if isinstance(total, int) and total > 0:
            return total
    return None


def model_formats(siblings: list[str], tags: list[str]) -> list[str]:
    found = {MODEL_FORMAT_TAGS[t] for t in tags if t in MODEL_FORMAT_TAGS}
    for name in siblings:
        lowered = name.lower()
        found |= {fmt for fmt, matches in MODEL_FORMAT_FILES if matches(lowered)}
    return [f for f in FORMAT_ORDER if f in found]


def dataset_formats(siblings: list[str], tags: list[str]) -> list[str]:
    found = {t.split(":", 1)[1] for t in tags if t.startswith("format:")}
    for name in siblings:
        if name in IGNORED_FILES:
            continue
        suffixes = PurePosixPath(name.lower()).suffixes
        for suffix in suffixes[-2:]:
            if suffix in DATASET_FILE_FORMATS:
                found.add(DATASET_FILE_FORMATS[suffix])
    return sorted(found)


def languages(meta: dict, tags: list[str]) -> list[str]:
    found = as_list(meta.get("language")) or as_list(meta.get("languages"))
    found += [t.split(":", 1)[1] for t in tags if t.startswith("language:")]
    return dedupe(str(v) for v in found)


def datasets_used(meta: dict, tags: list[str]) -> list[str]:
    found = as_list(meta.get("datasets")) + [t.split(":", 1)[1] for t in tags if t.startswith("dataset:")]
    return dedupe(str(v) for v in found)


def base_models(meta: dict, tags: list[str]) -> list[str]:
    found = as_list(meta.get("base_model"))
    # Tags look like `base_model:owner/name` or `base_model:finetune:owner/name`.
    found += [t.split(":")[-1] for t in tags if t.startswith("base_model:")]
    return dedupe(str(v) for v in found)


def created_at(info: ModelInfo | DatasetInfo | None) -> str | None:
    value = iso(info.created_at if info else None)
    return None if value is None or value.startswith(CREATED_AT_SENTINEL) else value


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def dedupe(values) -> list:
    return list(dict.fromkeys(values))


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

