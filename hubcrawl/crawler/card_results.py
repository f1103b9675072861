"""Results a card states in its tables (pure): `| testset | BLEU | chr-F |` rows, `| Metric | dev | test |`
rows, and comparison tables where only this model's own row counts. Each becomes an eval result with
`source: "card-table"` and the row it was read from; training-split and per-epoch numbers are not
evaluation and are left out, and a cell that is not one plain number is never guessed at.
"""

from __future__ import annotations

import re

from hubcrawl.crawler.cards import Section, prose_sentences

# Metric names as cards write them in table headers and first columns (data; the key is the metric).
METRIC_NAMES: dict[str, re.Pattern] = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "f1": r"^(?:macro[- ]|micro[- ]|weighted[- ])?f1(?:[- ]score)?\b",
        "accuracy": r"^acc(?:uracy)?\b",
        "precision": r"^precision\b",
        "recall": r"^recall\b",
        "bleu": r"^(?:sacre)?bleu\b",
        "chrf": r"^chr-?f\b",
        "rouge1": r"^rouge-?1\b",
        "rouge2": r"^rouge-?2\b",
        "rougeL": r"^rouge-?l(?:sum)?\b",
        "wer": r"^wer\b",
        "cer": r"^cer\b",
        "exact_match": r"^(?:em|exact[ _-]?match)\b",
        "ndcg": r"^ndcg(?:@\d+)?\b",
        "mrr": r"^mrr(?:@\d+)?\b",
        "map": r"^map\b",
        "ap": r"^(?:box |mask )?ap(?:50|75)?\b",
        "perplexity": r"^(?:ppl|perplexity)\b",
        "pearson": r"^pearson\b",
        "spearman": r"^spearman\b",
        "matthews_correlation": r"^(?:mcc|matthews)\b",
        # a speed the card states: a cost, compared like a result
        "throughput": r"^(?:docs?|documents|queries|sentences|tokens|samples|images|passages)\s*(?:/|per)\s*s(?:ec(?:ond)?)?\b",
    }.items()
}
SPLITS = {"test": "test", "dev": "validation", "validation": "validation", "val": "validation", "eval": "validation"}
TRAINING_LOG = re.compile(r"^(?:epoch|step|training loss|train loss)$", re.IGNORECASE)
MODEL_COLUMN = re.compile(r"^(?:model|model[ -]name|checkpoint|name|system)$", re.IGNORECASE)
PLAIN_NUMBER = re.compile(r"^\s*(-?\d{1,9}(?:\.\d{1,9})?)\s*%?\s*$")
MAX_RESULTS = 40


def metric_of(text: str) -> str | None:
    text = text.strip().strip("*_` ")
    return next((name for name, pattern in METRIC_NAMES.items() if pattern.match(text)), None)


def split_of(text: str) -> str | None:
    return SPLITS.get(text.strip().strip("*_` ").lower())


def number_of(text: str) -> float | None:
    match = PLAIN_NUMBER.match(text.strip().strip("*_`"))
    return float(match.group(1)) if match else None


def results_from_tables(sections: list[Section], repo_id: str) -> list[dict]:
    """Eval results from the card's tables, each with the row it came from."""
    own_name = repo_id.split("/")[-1].lower()
    out = []
    for section in sections:
        if "train" in section.title.lower() and "evaluation" not in section.kinds:
            continue  # training logs and hyperparameters, not evaluation
        for table in section.tables:
            if len(table) < 2 or any(TRAINING_LOG.match(h.strip()) for h in table[0]):
                continue
            out += metric_columns(table, own_name) or metric_rows(table)
    return out[:MAX_RESULTS]


# "achieves an AP (average precision) of 42.0 on COCO 2017 validation", "reaches an accuracy of 91.3 on the dev
# set": a metric, its value, and where it was measured. Only a sentence's first result counts: what follows is
# usually another model's number given for comparison.
RESULT_SENTENCE = re.compile(
    r"\b(?P<metric>AP|mAP|F1(?:[- ]score)?|accuracy|(?:sacre)?BLEU(?: score)?|ROUGE-?(?:1|2|L)|WER|CER|"
    r"exact match|EM|NDCG@\d+|MRR@\d+|perplexity)(?:\s*\([^()]{1,40}\))?\s+(?:score\s+)?(?:of|=|:|is|was)\s+"
    r"(?P<value>\d{1,4}(?:\.\d{1,4})?)\s*%?(?:\s+on\s+(?:the\s+)?(?P<target>[^,;()]{2,60}?))?\s*(?:[.,;(]|$)",
    re.IGNORECASE,
)
SPLIT_AT_END = re.compile(r"\s*\b(test|dev|validation|val|eval)(?:uation)?(?:\s+(?:set|split|data))?$", re.IGNORECASE)


def results_from_sentences(sections: list[Section]) -> list[dict]:
    """Eval results the card's prose states, each with its sentence; `Metric: value` lines of a results list too."""
    out = []
    for section in sections:
        if {"citation", "news"} & set(section.kinds) or (
            "train" in section.title.lower() and "evaluation" not in section.kinds
        ):
            continue
        for paragraph in section.paragraphs:
            for sentence in prose_sentences(paragraph, max_words=80):
                match = RESULT_SENTENCE.search(sentence)
                if match is None or "train" in (match.group("target") or "").lower():
                    continue
                metric = metric_of(match.group("metric"))
                dataset, split = target_of(match.group("target"))
                if metric:
                    out.append(
                        text_result(dataset, split, metric, match.group("metric"), match.group("value"), sentence)
                    )
        for key, value, line in section.facts:
            metric, number = metric_of(key), number_of(value)
            if metric and number is not None and key.strip().lower() not in ("loss", "train loss"):
                out.append(text_result(None, None, metric, key, value, line))
    return out[:MAX_RESULTS]


def target_of(target: str | None) -> tuple[str | None, str | None]:
    """ "COCO 2017 validation" -> ("COCO 2017", "validation"); "dev set" -> (None, "validation")."""
    if not target:
        return None, None
    target = target.strip().strip("*_` ")
    match = SPLIT_AT_END.search(target)
    split = split_of(match.group(1)) if match else None
    dataset = target[: match.start()].strip() if match else target
    if dataset.lower() in ("", "the", "its", "our", "this"):
        dataset = None
    return dataset, split


def text_result(dataset, split, metric: str, metric_name: str, value: str, quote: str) -> dict:
    return eval_row(
        "card-text",
        float(value.strip().strip("*_`%")),
        dataset=dataset,
        dataset_name=dataset,
        split=split,
        metric=metric,
        metric_name=metric_name.strip().strip("*_` "),
        quote=quote,
    )


def compared_in_tables(sections: list[Section], repo_id: str) -> list[dict]:
    """The other models a card's own comparison table lists beside this one (the table must hold this model's
    row too): {model, values: {column: number}, quote} per row, numbers as the table states them."""
    own_name = repo_id.split("/")[-1].lower()
    out = []
    for table in (t for section in sections for t in section.tables):
        if len(table) < 3 or not MODEL_COLUMN.match(table[0][0].strip()):
            continue
        labels = [row[0].strip().strip("*_` ").lower().split("/")[-1] for row in table[1:] if row]
        if own_name not in labels:
            continue
        columns = {j: h.strip() for j, h in enumerate(table[0]) if j and metric_of(h)}
        for row in table[1:]:
            label = row[0].strip().strip("*_` ") if row else ""
            values = {columns[j]: number_of(row[j]) for j in columns if j < len(row) and number_of(row[j]) is not None}
            if label and values and label.lower().split("/")[-1] != own_name:
                out.append(
                    {"model": label, "values": values, "quote": "| " + " | ".join(c.strip() for c in row) + " |"}
                )
    return out[:MAX_RESULTS]


def metric_columns(table: list[list[str]], own_name: str) -> list[dict]:
    """`| testset | BLEU | chr-F |`: a metric per column, a dataset (or split, or model) per row."""
    header = table[0]
    metrics = {j: metric_of(h) for j, h in enumerate(header) if j and metric_of(h)}
    if not metrics:
        return []
    by_model = bool(MODEL_COLUMN.match(header[0].strip()))
    out = []
    for row in table[1:]:
        if not row:
            continue
        label = row[0].strip()
        if by_model and label.lower().split("/")[-1] != own_name:
            continue  # another model's numbers: the card's comparison, not this model's result
        split = split_of(label)
        if split == "train" or label.lower() == "train":
            continue
        for j, metric in metrics.items():
            value = number_of(row[j]) if j < len(row) else None
            if value is None:
                continue
            dataset = parenthetical(header[j]) or (None if by_model or split else label)
            out.append(result(dataset, split, metric, header[j], value, row))
    return out


def metric_rows(table: list[list[str]]) -> list[dict]:
    """`| Metric | dev | test |`: a metric per row, a split (or dataset) per column."""
    header = table[0]
    out = []
    for row in table[1:]:
        metric = metric_of(row[0]) if row else None
        if metric is None:
            continue
        for j in range(1, min(len(row), len(header))):
            value = number_of(row[j])
            column = header[j].strip()
            if value is None or column.lower() == "train":
                continue
            split = split_of(column)
            dataset = None if split or not column or column.lower() in ("value", "score") else column
            out.append(result(dataset, split, metric, row[0].strip(), value, row))
    return out


def parenthetical(text: str) -> str | None:
    match = re.search(r"\(([^()]{2,80})\)", text)
    return match.group(1).strip() if match else None


def result(dataset: str | None, split: str | None, metric: str, metric_name: str, value: float, row: list[str]) -> dict:
    return eval_row(
        "card-table",
        value,
        dataset=dataset,
        dataset_name=dataset,
        split=split,
        metric=metric,
        metric_name=metric_name.strip().strip("*_` "),
        quote="| " + " | ".join(cell.strip() for cell in row) + " |",
    )


def eval_row(source: str, value: float, **fields) -> dict:
    """One `eval_results` row, whatever reported it (model-index, the API, a card table): every column,
    None where the source says nothing."""
    columns = ("task", "dataset", "dataset_name", "config", "split", "metric", "metric_name")
    row = {"source": source, **dict.fromkeys(columns), **fields, "value": value}
    return dict(row, verified=bool(fields.get("verified")), quote=fields.get("quote"))


# A GGUF card's file table: `| Filename | Quant type | File Size | Description |` or TheBloke's
# `| Name | Quant method | Bits | Size | Max RAM required | Use case |`.
QUANT_NAME = re.compile(r"\b(I?Q\d(?:_[A-Z0-9]+)*|BF16|F16|F32|FP16)\b", re.IGNORECASE)
FILE_SIZE = re.compile(r"^\s*(\d{1,5}(?:\.\d{1,3})?)\s*(GB|GiB|MB|MiB)\s*$", re.IGNORECASE)


def quant_files_from_tables(sections: list[Section]) -> list[dict]:
    """The quantizations a GGUF card's file table lists: {quant, gigabytes, note, quote} per row."""
    out = []
    for table in (t for section in sections for t in section.tables):
        header = [h.strip().lower() for h in table[0]] if table else []
        size_col = next((j for j, h in enumerate(header) if h in ("size", "file size")), None)
        quant_col = next((j for j, h in enumerate(header) if h.startswith("quant")), None)
        if size_col is None or quant_col is None:
            continue
        note_col = next((j for j, h in enumerate(header) if h in ("description", "use case")), None)
        for row in table[1:]:
            if len(row) <= max(size_col, quant_col):
                continue
            quant, size = QUANT_NAME.search(row[quant_col]), FILE_SIZE.match(row[size_col])
            if quant is None or size is None:
                continue
            gigabytes = float(size.group(1)) / (1000 if size.group(2).upper().startswith("M") else 1)
            out.append(
                {
                    "quant": quant.group(1).upper(),
                    "gigabytes": gigabytes,
                    "size": row[size_col].strip(),
                    "note": row[note_col].strip() if note_col is not None and note_col < len(row) else "",
                    "quote": "| " + " | ".join(cell.strip() for cell in row) + " |",
                }
            )
    return out[:MAX_RESULTS]
