"""Normalizers: raw Hub answers in, database rows out. Pure functions: no network, no database,
no environment, no clock (the fetch time and the Hub's address come in with the sources).

`normalize_artifact(item)` is what the pipeline calls for every crawled repo and what
`hubcrawl normalize` re-runs over stored raw records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from huggingface_hub import parse_eval_result_entries
from huggingface_hub.hf_api import DatasetInfo, ModelInfo
from huggingface_hub.repocard_data import model_index_to_eval_results

from hubcrawl.crawler.capabilities import derive_capabilities
from hubcrawl.crawler.card_facts import parse_card_facts
from hubcrawl.crawler.card_results import compared_in_tables, eval_row, results_from_sentences, results_from_tables
from hubcrawl.crawler.cards import (
    ParsedCard,
    decode_card,
    distinct_rows,
    documented_kinds,
    parse_card,
    parse_card_sections,
    splits_from_tables,
)
from hubcrawl.crawler.config import DEFAULT_ENDPOINT
from hubcrawl.crawler.configs import architecture_fields, architecture_from
from hubcrawl.crawler.errors import problem
from hubcrawl.crawler.items import ArtifactItem, FileItem, artifact_key
from hubcrawl.crawler.pages import ParsedPage, page_fields
from hubcrawl.crawler.validate import bound_integers, check_record, finite_number

# Repos created before the Hub stored creation dates all carry this value: it means "unknown".
CREATED_AT_SENTINEL = "2022-03-02T23:29:04"

# Licences under which use is free but not for commercial purposes.
NON_COMMERCIAL_LICENSES = {
    "cc-by-nc-2.0",
    "cc-by-nc-3.0",
    "cc-by-nc-4.0",
    "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0",
    "cc-by-nc-sa-3.0",
    "cc-by-nc-sa-4.0",
    "cc-by-nc-nd-2.0",
    "afl-3.0-nc",
    "deepfloyd-if-license",
    "llama2",
    "etalab-2.0-nc",
}
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
    "safetensors": "Safetensors",
    "pytorch": "PyTorch",
    "tf": "TensorFlow",
    "tensorflow": "TensorFlow",
    "jax": "JAX/Flax",
    "flax": "JAX/Flax",
    "onnx": "ONNX",
    "rust": "Rust",
    "openvino": "OpenVINO",
    "coreml": "Core ML",
    "gguf": "GGUF",
    "tflite": "TFLite",
    "mlx": "MLX",
}
FORMAT_ORDER = [name for name, _ in MODEL_FORMAT_FILES] + ["MLX"]
DATASET_FILE_FORMATS = {
    ".parquet": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".json": "json",
    ".jsonl": "json",
    ".arrow": "arrow",
    ".txt": "text",
    ".tar": "webdataset",
    ".zip": "zip",
    ".xml": "xml",
    ".wav": "audio",
    ".mp3": "audio",
    ".flac": "audio",
    ".jpg": "imagefolder",
    ".png": "imagefolder",
}
IGNORED_FILES = {".gitattributes", "README.md"}


@dataclass
class Sources:
    """Everything known about one repo, raw: what the crawl fetched or what the database kept."""

    kind: str
    repo_id: str
    record: dict | None
    fetched_at: str
    card: ParsedCard | None = None
    card_url: str | None = None
    page: ParsedPage | None = None
    page_url: str | None = None
    fetch_errors: list[dict] = field(default_factory=list)
    endpoint: str = DEFAULT_ENDPOINT  # the Hub the evidence URLs point at (HF_ENDPOINT, read by the caller)
    files: dict[str, dict] = field(default_factory=dict)  # config files at the current commit: {path: row}


@dataclass
class NormalizedArtifact:
    artifact: dict  # the `artifacts` row
    card: dict | None  # the `cards` row, when a card answer (200) came back in this crawl
    capabilities: list[dict]
    eval_results: list[dict]
    errors: list[dict]

    def rows(self) -> dict:
        """As the database takes it (`db.save_artifacts`): plain rows, no class of ours."""
        return {
            "artifact": self.artifact,
            "card": self.card,
            "capabilities": self.capabilities,
            "eval_results": self.eval_results,
        }


# The Hub's adoption counters (camelCase in its records and page props) and the columns they land in.
COUNTER_COLUMNS = {
    "downloads": "downloads",
    "downloadsAllTime": "downloads_all_time",
    "likes": "likes",
    "trendingScore": "trending_score",
}


def counter_fields(record: dict) -> dict:
    """A record's adoption counters as columns (a missing one is None)."""
    return {column: record.get(key) for key, column in COUNTER_COLUMNS.items()}


def normalize_artifact(
    item: ArtifactItem, endpoint: str = DEFAULT_ENDPOINT, files: dict[str, dict] | None = None
) -> NormalizedArtifact:
    """Every database row one crawled repo yields (with the config files stored for its commit, if
    any). Never raises on bad Hub data."""
    sources = Sources(
        item.kind,
        item.repo_id,
        item.record,
        item.fetched_at,
        card_url=item.card_url,
        fetch_errors=list(item.fetch_errors),
        endpoint=endpoint,
        files=files_at_commit(files or {}, item.record),
    )
    text = None
    if item.card_body is not None:
        text, decode_errors = decode_card(item.card_body)
        sources.card = parse_card(item.kind, text)
        sources.card.errors[:0] = decode_errors
    normalized = derive_artifact(sources)
    if sources.card is not None:
        normalized.card = card_row_for(sources, text)
    return normalized


def derive_artifact(src: Sources) -> NormalizedArtifact:
    """The pure core: raw sources in, the artifact row, its capabilities and eval results out.

    The crawl pipeline, the pages pipeline and `hubcrawl normalize` all come through here.
    """
    errors = list(src.fetch_errors)
    info, record = None, None
    if src.record is not None:
        record, record_errors = check_record(src.record)
        info, parse_errors = parse_api_record(src.kind, record)
        errors += record_errors + parse_errors
    card = src.card
    card_url = src.card_url
    if card is not None:
        errors += card.errors
    elif src.page is not None and src.page.card_text:
        # A gated repo's page shows the card that /resolve/ refused: its text is still evidence.
        card, card_url = ParsedCard({}, src.page.card_text, False, readable=True), src.page_url
    elif isinstance((record or {}).get("description"), str) and record["description"].strip():
        # A dataset's API record carries the opening of its card: with no card read, that text is the evidence.
        card = ParsedCard({}, record["description"], False, readable=True)
        card_url = f"{src.endpoint}/api/{src.kind}s/{src.repo_id}"
    if src.page is not None:
        errors += src.page.errors

    artifact = derive_fields(src.kind, src.repo_id, record or {}, info, card)
    sections = parse_card_sections(card.body) if card is not None else []
    evals = eval_results_from(card.front_matter if card is not None else {}, record or {})
    if src.kind == "model":
        # A table repeating what model-index reports is not a second result.
        for stated in (results_from_tables(sections, src.repo_id), results_from_sentences(sections)):
            reported = {e["metric"].lower() for e in evals if e["metric"]}
            evals += [r for r in stated if r["metric"].lower() not in reported]
    artifact.update(card_fields(src.kind, artifact, card, sections))
    artifact["card_facts"] = parse_card_facts(sections)
    artifact["card_comparisons"] = compared_in_tables(sections, src.repo_id) if src.kind == "model" else []
    if src.page is not None:
        artifact.update(merge_page_fields(src.kind, artifact, src.page.fields))
    facts, config_errors = architecture_from(src.files)
    errors += [e for row in src.files.values() for e in row.get("errors") or []] + config_errors
    artifact.update(architecture_fields(facts))
    errors += bound_integers(artifact)  # before anything quotes a number SQLite could not hold
    urls = {
        "api": f"{src.endpoint}/api/{src.kind}s/{src.repo_id}",
        "card": card_url,
        "page": src.page_url,
        "files": {path: row.get("url") for path, row in src.files.items()},
    }
    capabilities = derive_capabilities(artifact, sections, evals, urls)
    artifact.update(
        fetched_at=src.fetched_at,
        errors=errors,
        fetch_errors=src.fetch_errors,
        record=src.record,
        eval_count=len(evals),
        capability_count=len(capabilities),
        # What full-text search and the match graph's similarity read (an FTS5 index over it).
        capability_text="\n".join(f"{c['title']}. {c['text']}" for c in capabilities),
    )
    return NormalizedArtifact(artifact, None, capabilities, evals, errors)


def parse_api_record(kind: str, record: dict) -> tuple[ModelInfo | DatasetInfo | None, list[dict]]:
    """The raw camelCase API record through huggingface_hub's own parser."""
    info_class = ModelInfo if kind == "model" else DatasetInfo
    try:
        return info_class(**record), []
    except Exception as exc:  # the parser is strict about a few shapes (dates, safetensors)
        return None, [{"kind": "record_invalid", "detail": f"{exc.__class__.__name__}: {exc}"[:300]}]


def card_row_for(src: Sources, text: str) -> dict:
    card = src.card
    return {
        "artifact_id": artifact_key(src.kind, src.repo_id),
        "url": src.card_url,
        "sha": (src.record or {}).get("sha"),
        "front_matter": card.front_matter,
        "has_front_matter": card.has_front_matter,
        "body": card.body,
        "length": len(card.body.strip()),
        # The raw text is only worth its space when the parser could not read it.
        "raw_text": None if card.readable else text,
        "errors": card.errors,
        "fetched_at": src.fetched_at,
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
    if card is not None and card.readable:
        meta.update(card.front_matter)
    tags = [t for t in (record.get("tags") or []) if isinstance(t, str)]
    siblings = [s.get("rfilename", "") for s in record.get("siblings") or [] if isinstance(s, dict)]

    licenses = license_ids(tags, meta)
    license = licenses[0] if licenses else None
    gated = gated_mode(record, meta)
    tasks = task_list(kind, record, meta, tags)
    parameters, parameters_from = parameter_count(record)
    fields = {
        "id": artifact_key(kind, repo_id),
        "kind": kind,
        "repo_id": repo_id,
        "hub_id": record.get("_id"),
        "author": record.get("author") or (repo_id.split("/")[0] if "/" in repo_id else None),
        "sha": record.get("sha"),
        "last_modified": iso(info.last_modified if info else None),
        "created_at": created_at(info),
        **counter_fields(record),
        "private": record.get("private"),
        "disabled": record.get("disabled"),
        "gated": gated,
        "access_terms": bounded_text(meta.get("extra_gated_prompt"), MAX_ACCESS_TERMS),
        "display_name": bounded_text(meta.get("pretty_name"), MAX_DISPLAY_NAME),
        "license": license,
        "licenses": licenses,
        "license_name": meta.get("license_name") if license == "other" else None,
        "pricing": pricing(license, gated),
        "task": tasks[0] if tasks else None,
        "tasks": tasks,
        "library_name": record.get("library_name") or meta.get("library_name"),
        "libraries": libraries(record, meta, tags),
        "parameters": parameters,
        "formats": model_formats(siblings, tags) if kind == "model" else dataset_formats(siblings, tags),
        "languages": languages(meta, tags),
        "tags": tags,
        "datasets": datasets_used(meta, tags) if kind == "model" else [],
        "base_models": base_models(meta, tags) if kind == "model" else [],
        "papers": sorted({t.split(":", 1)[1] for t in tags if t.startswith("arxiv:")}),
        "spaces": len(record.get("spaces") or []) if "spaces" in record else None,
        "children": record.get("childrenModelCount"),
        "inference": inference_mode(record, tags),
        "modalities": sorted({t.split(":", 1)[1] for t in tags if t.startswith("modality:")}),
        "provenance": {
            "parameters": parameters_from,
            "formats": "siblings and tags" if siblings else ("tags" if tags else None),
        },
    }
    if kind == "dataset":
        fields.update(dataset_stats(meta))
    return fields


MAX_DISPLAY_NAME = 120  # characters of a card's pretty_name
MAX_ACCESS_TERMS = 4000  # characters of a gate's prompt kept: terms, not a licence's full text


def bounded_text(value: Any, limit: int) -> str | None:
    """A free-text metadata value, cut at `limit` characters; anything but a string is no value."""
    return value.strip()[:limit] or None if isinstance(value, str) else None


def as_list(value: Any) -> list:
    """Card metadata is not type-checked: a list field may arrive as a scalar (huggingface_hub#2642), or as
    older dataset cards wrote it, one list per configuration (`{mlqa: [question-answering], …}`)."""
    if value is None:
        return []
    if isinstance(value, dict):
        return list(dict.fromkeys(v for values in value.values() for v in as_list(values) if isinstance(v, str)))
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


def parameter_count(record: dict) -> tuple[int | None, str | None]:
    """Counted parameters (safetensors, then GGUF metadata) and where they came from; never guessed."""
    for key in ("safetensors", "gguf"):
        total = (record.get(key) or {}).get("total")
        if isinstance(total, int) and total > 0:
            return total, f"{key}.total"
    return None, None


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
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dedupe(values) -> list:
    return list(dict.fromkeys(values))


def libraries(record: dict, meta: dict, tags: list[str]) -> list[str]:
    found = [record.get("library_name") or meta.get("library_name")]
    found += [t.split(":", 1)[1] for t in tags if t.startswith("library:")]
    return dedupe(str(v) for v in found if v)


def inference_mode(record: dict, tags: list[str]) -> str | None:
    """How one can run it hosted: 'warm' (serverless now), or 'endpoints' (Inference Endpoints-compatible)."""
    if record.get("inference") == "warm":
        return "warm"
    if "endpoints_compatible" in tags:
        return "endpoints"
    return None


def dataset_stats(meta: dict) -> dict:
    """Rows, bytes, configs and splits as the card's `dataset_info` / `configs` state them."""
    infos = meta.get("dataset_info")
    infos = infos if isinstance(infos, list) else [infos] if isinstance(infos, dict) else []
    splits: dict[str, dict[str, int]] = {}
    size = download = 0
    for info in infos:
        if not isinstance(info, dict):
            continue
        config = str(info.get("config_name") or "default")
        for split in as_list(info.get("splits")):
            if isinstance(split, dict) and isinstance(split.get("num_examples"), int):
                splits.setdefault(config, {})[str(split.get("name"))] = split["num_examples"]
        size += info["dataset_size"] if isinstance(info.get("dataset_size"), int) else 0
        download += info["download_size"] if isinstance(info.get("download_size"), int) else 0
    configs = [
        str(c.get("config_name")) for c in as_list(meta.get("configs")) if isinstance(c, dict) and c.get("config_name")
    ]
    configs = dedupe(configs + [c for c in splits if c != "default" or len(splits) > 1])
    size_categories = meta.get("size_categories")
    if isinstance(size_categories, dict):  # per-config categories, as old multi-config cards have
        size_categories = sorted({v for vs in size_categories.values() for v in as_list(vs)})
    return {
        "size_categories": [str(v) for v in as_list(size_categories)],
        "splits": splits,
        "rows": distinct_rows(splits),
        "bytes": size or None,
        "download_bytes": download or None,
        "configs": configs,
        "annotations_creators": [str(v) for v in as_list(meta.get("annotations_creators"))],
        "source_datasets": [str(v) for v in as_list(meta.get("source_datasets"))],
        "provenance_rows": "card dataset_info" if splits else None,
    }


# Sentences in which a card states its parameter count: "7 billion parameters", "Number of Parameters: 3.09B".
# An explicit "Number of Parameters" wins; a bound ("< 1B"), the end of a range ("0.5 to 72B") or of a list
# ("8B and 70B parameters") is no count.
PARAMETER_PATTERNS = [
    re.compile(r"number of parameters\W{0,4}(\d+(?:\.\d+)?)\s*(billion|million|[BM])\b", re.I),
    re.compile(
        r"(?<![<>~≈\d.])(?<!to )(?<!and )(?<!or )(?<!, )(?<![<>~≈] )(?<!-)\b(\d+(?:\.\d+)?)\s*(billion|million|[BM])\s+"
        r"parameters\b",
        re.I,
    ),
]
SCALE = {"b": 1_000_000_000, "billion": 1_000_000_000, "m": 1_000_000, "million": 1_000_000}
# How cards name the model they start from, when a repo id follows (a bare name is not resolved: no guess).
BASE_MODEL_PATTERNS = [
    re.compile(r"fine-?tuned (?:version|checkpoint) of \[?`?([\w.-]+/[\w.-]+)", re.I),
    re.compile(r"fine-?tune checkpoint of \[?`?([\w.-]+/[\w.-]+)", re.I),
    re.compile(r"fine-?tuned from \[?`?([\w.-]+/[\w.-]+)", re.I),
    re.compile(r"\*\*(?:base|language) model:?\*\*:?\s*\[?`?([\w.-]+/[\w.-]+)", re.I),
    re.compile(r"\bwe use(?:d)? the pre-?trained \[?`?([\w.-]+/[\w.-]+)", re.I),
    re.compile(r"original model\W{0,4}(?:https?://[^/\s]+/)([\w.-]+/[\w.-]+)", re.I),
]


def stated_parameters(body: str) -> tuple[int, str] | None:
    """The parameter count a card states, with its sentence. A card naming several counts ("sizes of 7B, 13B
    and 34B parameters") describes a family, not this model: no count is taken from it."""
    for pattern in PARAMETER_PATTERNS:
        matches = list(pattern.finditer(body))
        counts = {finite_number(float(m.group(1)) * SCALE[m.group(2).lower()]) for m in matches}
        if len(counts) > 1:
            return None
        if matches and None not in counts:
            return round(counts.pop()), f"card: {sentence_around(body, matches[0])}"
    return None


def card_fields(kind: str, fields: dict, card: ParsedCard | None, sections) -> dict:
    """What the card's body adds: quality signals, and facts the API did not state."""
    if card is None:
        return {"card_length": None, "card_sections": [], "has_license": bool(fields["license"])}
    out = {
        "card_length": len(card.body.strip()),
        "card_sections": documented_kinds(sections),
        "has_license": bool(fields["license"]),
    }
    provenance = dict(fields["provenance"])
    if fields["parameters"] is None and (stated := stated_parameters(card.body)) is not None:
        out["parameters"], provenance["parameters"] = stated
    if kind == "dataset" and not fields.get("splits"):
        splits = splits_from_tables(sections)
        if splits:
            out["splits"] = splits
            out["rows"] = distinct_rows(splits)
            out["provenance_rows"] = "card Data Splits table"
    if kind == "model":
        own = fields["repo_id"].lower()
        stated = [
            m.group(1).rstrip(".")
            for p in BASE_MODEL_PATTERNS
            for m in p.finditer(card.body)
            if m.group(1).rstrip(".").lower() != own and not m.group(1).lower().startswith(("http", "www."))
        ]
        if stated:
            out["base_models"] = dedupe(fields["base_models"] + stated)
        if not provenance.get("formats"):  # no file list: the card's own words about its files
            found = set(fields["formats"])
            if (fields["library_name"] or "") == "transformers.js" or re.search(r"\.onnx\b", card.body):
                found.add("ONNX")
            if re.search(r"\.gguf\b", card.body):
                found.add("GGUF")
            if found != set(fields["formats"]):
                out["formats"] = [f for f in FORMAT_ORDER if f in found]
                provenance["formats"] = "card"
    out["provenance"] = provenance
    return out


def sentence_around(text: str, match: re.Match) -> str:
    start = max(text.rfind("\n", 0, match.start()), text.rfind(". ", 0, match.start()) + 1, 0)
    end = min(i for i in (text.find("\n", match.end()), text.find(". ", match.end()), len(text)) if i >= 0)
    return " ".join(text[start : end + 1].split()).strip("*-# ")


def merge_page_fields(kind: str, fields: dict, page: dict) -> dict:
    """The page fills what the API and the card left open (and carries counts only it has)."""
    out = {
        "discussions": (page.get("discussions") or {}).get("total"),
        "card_validation_errors": page.get("card_validation_errors") or [],
        "paper_titles": page.get("paper_titles") or [],
        "viewer": page.get("viewer"),
    }
    if page.get("rows") and kind == "dataset":
        out["rows"] = page["rows"]
        out["provenance_rows"] = "page (dataset viewer)"
    if page.get("viewer_modalities"):
        out["modalities"] = dedupe(fields["modalities"] + page["viewer_modalities"])
    if page.get("viewer_formats") and kind == "dataset":
        out["formats"] = sorted(set(fields["formats"]) | set(page["viewer_formats"]))
    if page.get("viewer_libraries"):
        out["libraries"] = dedupe(fields["libraries"] + page["viewer_libraries"])
    if fields["parameters"] is None and page.get("gguf_total"):
        out["parameters"] = page["gguf_total"]
        out["provenance"] = dict(fields["provenance"], parameters="page gguf.total")
    for key, column in COUNTER_COLUMNS.items():
        if fields.get(column) is None and isinstance(page.get(key), int):
            out[column] = page[key]
    if fields.get("gated") is None and page.get("gated") in ("auto", "manual"):
        out["gated"] = page["gated"]
        out["pricing"] = pricing(fields["license"], page["gated"])
    return out


def eval_results_from(front_matter: dict, record: dict) -> list[dict]:
    """Eval results through huggingface_hub's parsers: the card's `model-index` and the API's `evalResults`."""
    out = []
    model_index = front_matter.get("model-index")
    if model_index:
        try:
            _, results = model_index_to_eval_results(model_index)
        except Exception:  # noqa: BLE001 - recorded as a card_metadata error by parse_card
            results = []
        for r in results:
            if (value := finite_number(r.metric_value)) is not None:
                out.append(
                    eval_row(
                        "model-index",
                        value,
                        task=r.task_type,
                        dataset=r.dataset_type,
                        dataset_name=r.dataset_name,
                        config=r.dataset_config,
                        split=r.dataset_split,
                        metric=r.metric_type,
                        metric_name=r.metric_name,
                        verified=r.verified,
                    )
                )
    entries = record.get("evalResults")
    if isinstance(entries, list):
        try:
            parsed = parse_eval_result_entries(entries)
        except Exception:  # noqa: BLE001 - entries of any shape: no results rather than no repo
            parsed = []
        for e in parsed:
            if (value := finite_number(e.value)) is not None:
                out.append(
                    eval_row(
                        "eval_results",
                        value,
                        task=e.task_id,
                        dataset=e.dataset_id,
                        dataset_name=e.dataset_id,
                        metric=e.task_id,
                        verified=e.verify_token,
                    )
                )
    return out


def sources_from_rows(
    artifact: dict, card: dict | None, page: dict | None, files: dict[str, dict], endpoint: str = DEFAULT_ENDPOINT
) -> Sources:
    """Rebuild a repo's raw sources from its stored rows, for re-normalizing without a crawl."""
    sources = Sources(
        artifact["kind"],
        artifact["repo_id"],
        artifact.get("record"),
        artifact["fetched_at"],
        fetch_errors=artifact.get("fetch_errors") or [],
        endpoint=endpoint,
        files=files_at_commit(files, artifact.get("record")),
    )
    if card is not None:
        if card.get("raw_text"):  # the parser could not read it then; a newer parser may now
            sources.card = parse_card(artifact["kind"], card["raw_text"])
        else:
            sources.card = ParsedCard(
                card["front_matter"] or {},
                card["body"] or "",
                bool(card["has_front_matter"]),
                readable=True,
                errors=card["errors"] or [],
            )
        sources.card_url = card["url"]
    if page is not None:
        sources.page, sources.page_url = page_from_row(page), page["url"]
    return sources


def files_at_commit(files: dict[str, dict], record: dict | None) -> dict[str, dict]:
    """Config files fetched at the record's commit: an older commit's config may not describe this one."""
    sha = record.get("sha") if isinstance(record, dict) else None
    return {path: row for path, row in files.items() if sha and row.get("sha") == sha}


def file_row_for(item: FileItem) -> dict:
    """The `repo_files` row of one fetched file; a body that is not UTF-8 is not kept (and said so)."""
    text, errors = None, list(item.fetch_errors)
    if item.body is not None:
        try:
            text = item.body.decode("utf-8")
        except UnicodeDecodeError:
            errors.append(problem("config_not_utf8", f"{item.path} is not UTF-8", url=item.url))
    return {
        "artifact_id": artifact_key(item.kind, item.repo_id),
        "path": item.path,
        "sha": item.sha,
        "url": item.url,
        "status": item.status,
        "body": text,
        "errors": errors,
        "fetched_at": item.fetched_at,
    }


def page_from_row(page: dict) -> ParsedPage:
    props = page.get("props")
    return ParsedPage(
        props=props,
        fields=page_fields(props) if props else {},
        card_text=page.get("card_text"),
        errors=page.get("errors") or [],
    )


def page_row_for(
    kind: str,
    repo_id: str,
    url: str,
    fetched_at: str,
    status: int | None,
    parsed: ParsedPage | None,
    fetch_errors: list[dict],
) -> dict:
    return {
        "artifact_id": artifact_key(kind, repo_id),
        "url": url,
        "status": status,
        "props": parsed.props if parsed else None,
        "card_text": parsed.card_text if parsed else None,
        "errors": fetch_errors + (parsed.errors if parsed else []),
        "fetched_at": fetched_at,
    }
