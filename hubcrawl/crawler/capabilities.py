"""Capability text: an artifact decomposed into what it can do, each claim with the evidence it rests on.

Pure functions over normalized fields, card sections and eval results. The rule that keeps the text
honest: every value a sentence states is taken from an evidence entry, and every number in a text
also stands in its evidence (as `value` or `display`). Where a card says little, fewer capabilities
come out; nothing is padded.
"""

from __future__ import annotations

import re

from hubcrawl.crawler.card_facts import CARD_FACT_PHRASES
from hubcrawl.crawler.card_results import quant_files_from_tables
from hubcrawl.crawler.cards import (
    MIN_SENTENCE_SCORE,
    Section,
    best_sentences,
    parse_card_sections,
    prose_sentences,
    repeated_configs,
    score_sentence,
)
from hubcrawl.crawler.task_reference import TASK_TITLES, task_reference_evidence

MAX_CAPABILITIES = 8  # a reader groups an artifact into 3–8 capabilities
# Where a claim's evidence can come from: the API record, the card, the Hub page, a config file the
# details pass read, or the task reference (how every model of a task works).
EVIDENCE_SOURCES = ("api", "card", "page", "config.json", "sentence_bert_config.json", "task-reference")

DATASET_TASK_TITLES = {task: f"data for {title}" for task, title in TASK_TITLES.items()}
# Curation practices a dataset card may state, and the words that state them.
CURATION_TERMS = {
    "deduplication": ("dedup", "duplicate"),
    "filtering": ("filter",),
    "licence checks": ("licens", "license"),
    "opt-out": ("opt-out", "opt out"),
    "personal data removal": ("personal", "anonymi", "pii"),
    "human annotation": ("annotat", "crowdworker", "crowdsourc"),
}
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def derive_capabilities(fields: dict, sections: list[Section], evals: list[dict], urls: dict) -> list[dict]:
    builders = MODEL_BUILDERS if fields["kind"] == "model" else DATASET_BUILDERS
    capabilities = []
    for build in builders:
        for capability in build(fields, sections, evals, urls) or []:
            if capability and capability["evidence"]:
                capabilities.append(capability)
    return capabilities[:MAX_CAPABILITIES]


# -- evidence helpers --------------------------------------------------------------------------


def field_evidence(name: str, value, url: str | None, source: str = "api", display: str | None = None) -> dict:
    entry = {"source": source, "field": name, "value": value, "url": url}
    if display is not None:
        entry["display"] = display
    return entry


def quote_evidence(section: Section, sentence: str, url: str | None) -> dict:
    return {"source": "card", "section": section.title or "(introduction)", "quote": sentence, "url": url}


# Tags every kind of repo carries: they say nothing about what this one is about.
GENERIC_TAGS = frozenset(
    "transformers pytorch tensorflow safetensors endpoints_compatible autotrain_compatible "
    "text-generation-inference conversational custom_code model-index tensorboard diffusers gguf onnx "
    "sentence-transformers sentence-similarity feature-extraction datasets pandas polars croissant mlcroissant "
    "parquet arrow json csv text image audio video".split()
)


def own_names(f: dict) -> tuple[str, ...]:
    """What a card names when it talks about its own artifact: the repo name (with a format suffix or without)
    and its topic tags (`differential_privacy` -> "differential privacy")."""
    name = f["repo_id"].split("/")[-1].lower()
    topics = {
        re.sub(r"[-_]+", " ", tag.lower())
        for tag in f.get("tags") or []
        if ":" not in tag and len(tag) >= 5 and tag.lower() not in GENERIC_TAGS and tag.lower() != f.get("task")
    }
    return tuple(sorted({name, re.sub(r"[-_](?:gguf|onnx|awq|gptq|mlx|exl2)$", "", name)} | topics))


def card_sentences(f, sections, kinds: tuple[str, ...], limit: int = 2, **weights) -> list[tuple[Section, str]]:
    """The sentences of these sections that claim most (numbers, comparisons, mechanisms, names)."""
    return best_sentences(sections, kinds, limit, own_names(f), **weights)


def description_sentences(f, sections: list[Section], limit: int = 2) -> list[tuple[Section, str]]:
    """What the card says the artifact is: its description sections, else its opening, untitled or top-level
    prose. A sentence stating a result is left to the results capability."""
    found = card_sentences(f, sections, ("description",), limit, skip=RESULT_CLAIM)
    if found:
        return found
    opening = [s for s in sections[:4] if not s.kinds and not HOW_TO_HEADING.search(s.title)]
    return best_sentences(opening, None, limit, own_names(f), skip=RESULT_CLAIM)


# Headings of instructions rather than description: their sentences say how to run it, not what it is.
HOW_TO_HEADING = re.compile(
    r"download|install|prompt|quick ?start|getting started|troubleshoot|how to|example|run(?:ning)? |table of contents",
    re.IGNORECASE,
)


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


# What a capability can be about (size, languages and inference are no longer made: they are rows of the
# feature table; stored capabilities of those aspects still render). Comparisons measure each aspect:
# compare.py has a line-maker for every one of them, or fails to import.
ASPECTS = (
    "task",
    "training_data",
    "base_model",
    "evals",
    "formats",
    "size",
    "architecture",
    "labels",
    "languages",
    "uses",
    "limitations",
    "inference",
    "scale",
    "curation",
    "configs",
)


def capability(title: str, text: str, evidence: list[dict], aspect: str) -> dict:
    """`aspect` (one of ASPECTS) says what the capability is about: comparisons measure it against peers."""
    if aspect not in ASPECTS:
        raise ValueError(f"unknown capability aspect {aspect!r}")
    return {"title": title, "text": " ".join(text.split()), "evidence": evidence, "aspect": aspect}


def human_count(n: int) -> str:
    """66362880 -> '66.4M'; 7241732096 -> '7.2B'."""
    for size, suffix in ((1_000_000_000_000, "T"), (1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if n >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".") + suffix
    return str(n)


def name_list(values: list[str], limit: int = 4) -> str:
    shown = [str(v) for v in values[:limit]]
    if len(values) > limit:  # no count here: a number in the text must stand in its evidence
        return ", ".join(shown) + " and others"
    return " and ".join(shown) if len(shown) <= 2 else ", ".join(shown[:-1]) + " and " + shown[-1]


# -- model capabilities ------------------------------------------------------------------------


def model_task(f, sections, evals, urls):
    """What it is and does: its task and how every model of that task works, the languages it translates
    between, and the card's own description, chosen by what its sentences claim."""
    task = f["task"]
    described = description_sentences(f, sections, 2)
    facts = {fact["fact"]: fact for fact in f.get("card_facts") or []}
    objectives = [fact for fact in f.get("card_facts") or [] if fact["fact"] == "objective"]
    stated = [facts[name] for name in ("context_length", "input_limit") if name in facts]
    translates = "source_language" in facts and "target_language" in facts
    if not (task or described or objectives or stated or translates):
        return None
    evidence, parts = [], []
    if task:
        title = TASK_TITLES.get(task, task.replace("-", " "))
        evidence.append(field_evidence("pipeline_tag", task, urls["api"]))
        parts.append(f"Tagged for {title} ({task})")
        if f["library_name"]:
            evidence.append(field_evidence("library_name", f["library_name"], urls["api"]))
            parts[-1] += f" and loads with the {f['library_name']} library"
        parts[-1] += "."
        if (how := task_reference_evidence(task)) is not None:
            evidence.append(how)
            parts.append(how["quote"])
    else:
        title = "purpose stated in its card"
    if translates:
        source, target = facts["source_language"], facts["target_language"]
        evidence += [card_fact_evidence(source, urls), card_fact_evidence(target, urls)]
        parts.append(f"It translates {source['value']} into {target['value']}, as its card states.")
        title = title if task else f"translation from {source['value']} into {target['value']}"
    for section, sentence in described:
        if any(fact["quote"] == sentence for fact in f.get("card_facts") or []):
            continue  # a `Key: value` line the card facts below already say
        evidence.append(quote_evidence(section, sentence, urls["card"]))
        parts.append(f"Its card says: “{sentence}”")
    if objectives:
        evidence += [card_fact_evidence(fact, urls) for fact in objectives]
        named_objectives = name_list([fact["value"] for fact in objectives])
        parts.append(f"Its card names its training objectives: {named_objectives}.")
    if stated:
        evidence += [card_fact_evidence(fact, urls) for fact in stated]
        parts.append(f"Its card gives {name_list([CARD_FACT_PHRASES[x['fact']].format(x['value']) for x in stated])}.")
    return [capability(title, " ".join(parts), evidence, "task")]


def card_fact_evidence(fact: dict, urls: dict) -> dict:
    """Evidence for a fact the card states in a `Key: value` line or a sentence."""
    return {
        "source": "card",
        "section": fact["section"],
        "quote": fact["quote"],
        "fact": fact["fact"],
        "value": fact["value"],
        "url": urls["card"],
    }


# The card facts that say how a model was trained, in the order a reader wants them.
TRAINING_FACTS = (
    "hardware",
    "training_time",
    "epochs",
    "steps",
    "batch_size",
    "learning_rate",
    "optimizer",
    "precision",
    "sequence_length",
)


def model_training_data(f, sections, evals, urls):
    """How it was trained: on what (metadata and card), with which settings and hardware (card facts), and the
    training sentences that claim most. The metadata's dataset list alone is a table row, not a capability."""
    facts = [fact for fact in f.get("card_facts") or [] if fact["fact"] in TRAINING_FACTS]
    sentences = card_sentences(f, sections, ("training_data",), 2)
    out = []
    if facts or sentences:
        evidence, parts = [], []
        if f["datasets"]:
            evidence.append(field_evidence("datasets", f["datasets"], urls["api"] or urls["card"]))
            parts.append(f"Trained or fine-tuned on {name_list(f['datasets'])}, as its metadata lists.")
        if facts:
            evidence += [card_fact_evidence(fact, urls) for fact in facts]
            stated = [CARD_FACT_PHRASES[fact["fact"]].format(fact["value"]) for fact in facts]
            parts.append(f"The card gives {name_list(stated, 6)}.")
        for section, sentence in sentences:
            evidence.append(quote_evidence(section, sentence, urls["card"]))
            parts.append(f"“{sentence}”")
        title = f"trained on {name_list(f['datasets'], 2)}" if f["datasets"] else "how it was trained"
        out.append(capability(title, " ".join(parts), evidence, "training_data"))
    if f["task"] == "question-answering" and any(
        "squad_v2" in d.lower() or "squad-v2" in d.lower() for d in f["datasets"]
    ):
        out.append(
            capability(
                "detects unanswerable questions",
                "SQuAD 2.0, which it was trained on, mixes answerable questions with unanswerable ones, so the "
                "model is trained to return no span when the passage holds no answer.",
                [field_evidence("datasets", f["datasets"], urls["api"] or urls["card"], display="SQuAD 2.0")],
                "training_data",
            )
        )
    return out


def eval_evidence(e: dict, dataset: str, urls: dict) -> dict:
    return {
        "source": "api" if e["source"] == "eval_results" else "card",
        "field": e["source"],
        "value": e["value"],
        "display": f"{e['value']:.4g}",
        "dataset": dataset,
        "metric": e["metric"],
        "metric_name": e["metric_name"],
        "config": e["config"],
        "split": e["split"],
        "verified": e["verified"],
        "url": urls["api"] if e["source"] == "eval_results" else urls["card"],
        **({"quote": e["quote"]} if e.get("quote") else {}),
    }


def model_evals(f, sections, evals, urls):
    """How well: results per dataset (at most two datasets); a metric reported on three or more test sets
    becomes its range, with the sets at both ends named. Training-split numbers are not evaluation."""
    stated = evals
    evals = [e for e in evals if (e["split"] or "").lower() != "train"]
    if f.get("card_comparisons") and any(e["metric"] != "throughput" for e in evals):
        evals = [e for e in evals if e["metric"] != "throughput"]  # stated beside the compared models instead
    if not evals:
        return None
    by_dataset: dict[str, list[dict]] = {}
    for e in evals:
        by_dataset.setdefault(e["dataset_name"] or e["dataset"] or "its card's results", []).append(e)
    by_metric: dict[str, list[tuple[str, dict]]] = {}
    for dataset, results in by_dataset.items():
        for e in results:
            by_metric.setdefault(e["metric"], []).append((dataset, e))
    out = []
    for metric, results in by_metric.items():
        if len({d for d, _ in results}) < 3:
            continue
        low, high = min(results, key=lambda r: r[1]["value"]), max(results, key=lambda r: r[1]["value"])
        name = high[1]["metric_name"] or metric
        out.append(
            capability(
                f"{name} on {len(results)} test sets",
                f"Its evaluation reports {name} on {len(results)} test sets, from {low[1]['value']:.4g} on {low[0]} to "
                f"{high[1]['value']:.4g} on {high[0]}.",
                [eval_evidence(e, d, urls) for d, e in results],
                "evals",
            )
        )
    summarized = {e["metric"] for cap in out for e in cap["evidence"]}
    for dataset, results in list(by_dataset.items()):
        shown = [e for e in results if e["metric"] not in summarized][:4]
        if not shown or len(out) >= 3:
            continue
        phrases = []
        for e in shown:
            where = ", ".join(x for x in (e["config"], f"{e['split']} split" if e["split"] else None) if x)
            phrases.append(f"{e['metric_name'] or e['metric']} {e['value']:.4g}" + (f" ({where})" if where else ""))
        verified = " Results are marked verified." if all(e["verified"] for e in shown) else ""
        on = f" on {dataset}" if dataset != "its card's results" else ""
        text, evidence = (
            f"Its evaluation reports {'; '.join(phrases)}{on}.{verified}",
            [eval_evidence(e, dataset, urls) for e in shown],
        )
        if (beside := card_comparison(f, shown, stated, urls)) is not None:
            text, evidence = f"{text} {beside[0]}", evidence + beside[1]
        out.append(capability(f"reported results{on}" if on else "reported results", text, evidence, "evals"))
    return out


def table_rows_evidence(field: str, count: int, rows: list[str], urls: dict) -> list[dict]:
    """Evidence for a claim about a card table: how many rows it counts, and the rows it quotes."""
    counted = {"source": "card", "field": field, "value": count, "display": str(count), "url": urls["card"]}
    return [counted] + [{"source": "card", "field": field, "quote": row, "url": urls["card"]} for row in rows]


def card_comparison(f, shown: list[dict], evals: list[dict], urls: dict) -> tuple[str, list[dict]] | None:
    """The card's own table beside this model: the two models nearest on the first result, with the speed
    column when the table has one ("74.31 for org/bigger, at 960 vs 1,800 docs per second")."""
    compared = f.get("card_comparisons") or []
    first = next((e for e in shown if e["source"] == "card-table" and e["metric"] != "throughput"), None)
    if first is None or not compared:
        return None
    column = first["metric_name"]
    rivals = [(c["values"][column], c) for c in compared if column in c["values"]]
    if not rivals:
        return None
    close = sorted(rivals, key=lambda r: (abs(r[0] - first["value"]), r[1]["model"]))[:2]
    speed = next((e for e in evals if e["source"] == "card-table" and e["metric"] == "throughput"), None)
    named = []
    for value, rival in close:
        at = ""
        if speed is not None and speed["metric_name"] in rival["values"]:
            at = f", at {rival['values'][speed['metric_name']]:g} vs {speed['value']:g} {speed['metric_name']}"
        named.append(f"{value:g} for {rival['model']}{at}")
    text = (
        f"Its card's table sets it beside {len(rivals)} other models on {column}, where it has {first['value']:g}: "
        + "; ".join(named)
        + "."
    )
    evidence = table_rows_evidence("card_comparisons", len(rivals), [rival["quote"] for _, rival in close], urls)
    if speed is not None:
        evidence.append(eval_evidence(speed, "its card's results", urls))
    return text, evidence


# A sentence that states how well the model does: a comparison, or a result with a number.
RESULT_CLAIM = re.compile(
    r"\b(?:outperform\w*|surpass\w*|better than|on par with)\b|"
    r"\b(?:achiev\w*|reach\w*|obtain\w*)\b[^.]{0,80}\d|"
    r"\d(?:\.\d+)?\s*%?\s*(?:f1|accuracy|bleu|rouge|wer|ap|map|ndcg|mrr|exact match|points?)\b|"
    r"\b(?:f1|accuracy|bleu|rouge|wer|ap|map|ndcg|mrr)\b[^.]{0,40}\d",
    re.IGNORECASE,
)


def model_stated_results(f, sections, evals, urls):
    """What the card's prose says about how well the model does (comparisons, scores), quoted."""
    found = []
    read = {e.get("quote") for e in evals}  # sentences already read as eval results are shown there
    names = own_names(f)
    for section in sections:
        if any(k in section.kinds for k in ("citation", "news", "training_data")):
            continue
        for paragraph in section.paragraphs:
            for sentence in prose_sentences(paragraph, max_words=50):
                if (
                    RESULT_CLAIM.search(sentence)
                    and score_sentence(sentence, names) >= MIN_SENTENCE_SCORE  # not news of other releases
                    and sentence not in read
                    and sentence not in (q for _, q in found)
                ):
                    found.append((section, sentence))
    if not found:
        return None
    found = found[:2]
    evidence = [quote_evidence(section, sentence, urls["card"]) for section, sentence in found]
    text = " ".join(f"The card states: “{sentence}”" for _, sentence in found)
    return [capability("results stated in its card", text, evidence, "evals")]


def model_formats(f, sections, evals, urls):
    formats = f["formats"]
    source = f["provenance"].get("formats") or "files"
    evidence = [
        field_evidence(
            "formats",
            formats,
            urls["card"] if source == "card" else urls["api"],
            source="card" if source == "card" else "api",
        )
    ]
    out = []
    quants = quant_files_from_tables(sections) if "GGUF" in formats else []
    if len(quants) >= 2:
        # A quantization ladder is a deployment story: which file fits which memory, at what quality.
        small, large = min(quants, key=lambda q: q["gigabytes"]), max(quants, key=lambda q: q["gigabytes"])
        recommended = [q["quant"] for q in quants if re.search(r"(?<!not )recommended", q["note"], re.I)]
        text = (
            f"Ships {len(quants)} GGUF quantizations for llama.cpp and compatible local runtimes, from "
            f"{small['quant']} at {small['size']} to {large['quant']} at {large['size']}, as its card's file table lists."
        )
        if recommended:
            text += f" The card recommends {name_list(recommended, 4)}."
        quoted = [q for q in quants if q in (small, large) or q["quant"] in recommended]
        table_evidence = table_rows_evidence("file table", len(quants), [q["quote"] for q in quoted], urls)
        out.append(capability(f"{len(quants)} GGUF quantizations", text, evidence + table_evidence, "formats"))
    if "ONNX" in formats and (f["library_name"] or "") == "transformers.js":
        out.append(
            capability(
                "in-browser inference with Transformers.js",
                "ONNX weights packaged for the transformers.js library, which runs models in the browser or Node.js.",
                evidence + [field_evidence("library_name", f["library_name"], urls["api"] or urls["card"])],
                "formats",
            )
        )
    return out


# How each architecture fact reads in a sentence, in the order a reader scans them.
ARCHITECTURE_PHRASES = (
    ("layers", "{} layers"),
    ("decoder_layers", "{} decoder layers"),
    ("hidden_size", "hidden size {}"),
    ("heads", "{} attention heads"),
    ("kv_heads", "{} key/value heads"),
    ("intermediate_size", "feed-forward size {}"),
    ("context_length", "{} positions"),
    ("max_seq_length", "inputs cut at {} tokens (sentence-transformers)"),
    ("sliding_window", "a sliding attention window of {} tokens"),
    ("vocab_size", "a vocabulary of {} tokens"),
)


def fact_evidence(name: str, fact: dict, urls: dict, display: str | None = None) -> dict:
    """Evidence for one architecture fact: the config file, its key and the value as stated."""
    entry = field_evidence(
        fact["key"], fact["value"], urls["files"].get(fact["file"]), source=fact["file"], display=display
    )
    entry["fact"] = name
    return entry


def model_architecture(f, sections, evals, urls):
    facts = f.get("architecture") or {}
    parts, evidence = [], []
    for name, phrase in ARCHITECTURE_PHRASES:
        if name in facts:
            display = f"{facts[name]['value']:,}"
            parts.append(phrase.format(display))
            evidence.append(fact_evidence(name, facts[name], urls, display))
    # The card's own list of design choices ("Grouped-Query Attention", "Sliding-Window Attention").
    choices = [
        (section, item)
        for section in sections
        if "architecture" in section.title.lower()
        for item in section.items
        if len(item.split()) <= 8 and not item.endswith(":")
    ][:6]
    if not parts and not choices:
        return None
    listed = f"Its card lists these architecture choices: {name_list([item for _, item in choices], 6)}."
    listed_evidence = [quote_evidence(sec, item, urls["card"]) for sec, item in choices]
    if not parts:
        return [capability("architecture choices", listed, listed_evidence, "architecture")]
    if "kv_heads" in facts and "heads" in facts and facts["kv_heads"]["value"] < facts["heads"]["value"]:
        parts[[n for n, _ in ARCHITECTURE_PHRASES if n in facts].index("kv_heads")] += " (grouped-query attention)"
    extras = []
    if "class" in facts:
        evidence.append(fact_evidence("class", facts["class"], urls))
        extras.append(f"Its weights load as {facts['class']['value']}.")
    if "dtype" in facts:
        evidence.append(fact_evidence("dtype", facts["dtype"], urls))
        extras.append(f"They are stored as {facts['dtype']['value']}.")
    if quantization := facts.get("quantization"):
        method, bits = quantization["value"].get("method"), quantization["value"].get("bits")
        display = f"{bits}" if bits else None
        evidence.append(fact_evidence("quantization", quantization, urls, display))
        words = " ".join(w for w in (f"{bits}-bit" if bits else "", method or "") if w)
        extras.append(f"They are quantized ({words}).")
        if f["parameters"] and (f["provenance"].get("parameters") or "").startswith("safetensors"):
            # Quantized weights are packed several to a stored value: the safetensors count is the stored one.
            evidence.append(
                field_evidence("parameters", f["parameters"], urls["api"], display=human_count(f["parameters"]))
            )
            extras.append(
                f"The {human_count(f['parameters'])} parameters counted in safetensors are the stored, packed "
                "tensors, not the weights before quantization."
            )
    family = facts.get("model_type", {}).get("value")
    if family:
        evidence.append(fact_evidence("model_type", facts["model_type"], urls))
    title = f"{family} architecture" if family else "architecture"
    text = f"Its config gives {', '.join(parts)}. " + " ".join(extras)
    if choices:
        text, evidence = f"{text} {listed}", evidence + listed_evidence
    return [capability(title, text, evidence, "architecture")]


def model_labels(f, sections, evals, urls):
    labels = f.get("labels") or []
    fact = (f.get("architecture") or {}).get("labels") or {"key": "id2label", "file": "config.json"}
    if not labels:
        return None
    shown = ", ".join(labels[:12]) + (", …" if len(labels) > 12 else "")
    evidence = [fact_evidence("labels", dict(fact, value=labels), urls, display=str(len(labels)))]
    noun = "label" if len(labels) == 1 else "labels"
    return [
        capability(f"predicts {len(labels)} {noun}", f"It predicts {len(labels)} {noun}: {shown}.", evidence, "labels")
    ]


LIMITATION_WORDS = re.compile(r"\b(not|limit\w*|bias\w*|risk\w*|cannot|should|may|only|out-of-scope|harm\w*)\b", re.I)


def uses_and_limits(f, sections, evals, urls):
    """Quotes from the card's uses and limitations sections; a shared "uses & limitations" section
    gives its limiting sentences to the limitations capability, the others to uses."""
    uses = [
        (sec, s)
        for sec, s in card_sentences(f, sections, ("intended_uses",), 6)
        if "limitations" not in sec.kinds or not LIMITATION_WORDS.search(s)
    ][:2]
    limits = [
        (sec, s)
        for sec, s in card_sentences(f, sections, ("limitations",), 6, signals=((LIMITATION_WORDS, 3.0),))
        if (sec, s) not in uses and ("intended_uses" not in sec.kinds or LIMITATION_WORDS.search(s))
    ][:2]
    out = []
    for quoted, title in ((uses, "documented intended uses"), (limits, "documented limitations")):
        if quoted:
            text = " ".join(f"“{s}”" for _, s in quoted)
            aspect = "uses" if "uses" in title else "limitations"
            out.append(
                capability(
                    title,
                    f"The card states: {text}",
                    [quote_evidence(sec, s, urls["card"]) for sec, s in quoted],
                    aspect,
                )
            )
    return out


# What a gate's terms oblige a user to: the sentences worth quoting from them (obligations, not definitions).
OBLIGATION = re.compile(
    r"\b(?:agree\w*|must|not|can'?t|cannot|only|prohibit\w*|consent|identity|share|commercial|redistribut\w*)\b", re.I
)
TERMS_SIGNALS = ((OBLIGATION, 3.0), (re.compile(r"\bmeans\b"), -4.0))


def access_terms(f, sections, evals, urls):
    """A gated repo's access terms (its `extra_gated_prompt`): what a user must agree to before downloading.
    The terms are Markdown (numbered rules, whole licence texts): read as a card, the obligations kept."""
    terms = f.get("access_terms")
    if not terms:
        return None
    parsed = parse_card_sections(terms)
    candidates = [
        s for sec in parsed for p in sec.paragraphs if p not in sec.items for s in prose_sentences(p, min_words=5)
    ]
    candidates += [item for sec in parsed for item in sec.items if 5 <= len(item.split()) <= 60]
    scored = {s: score_sentence(s, signals=TERMS_SIGNALS, base=()) for s in dict.fromkeys(candidates)}
    best = sorted((s for s in scored if scored[s] >= MIN_SENTENCE_SCORE), key=lambda s: -scored[s])[:2]
    quoted = [s for s in scored if s in best]  # in the order the terms state them
    if not quoted:
        return None
    evidence = [
        {"source": "card", "field": "extra_gated_prompt", "quote": q, "url": urls["card"] or urls["api"]}
        for q in quoted
    ]
    gate = "Access is gated; the terms a user accepts say: " if f.get("gated") else "Its card sets access terms: "
    text = gate + " ".join(f"“{q}”" for q in quoted)
    return [capability("access terms", text, evidence, "uses")]


# -- dataset capabilities ----------------------------------------------------------------------


def dataset_contents(f, sections, evals, urls):
    described = description_sentences(f, sections, 2)
    tasks = [t for t in f["tasks"] if t != "other"]  # "other" says nothing a reader could use
    if not described and not tasks:
        return None
    evidence, parts = [], []
    if tasks:
        evidence.append(field_evidence("task_categories", tasks, urls["api"] or urls["card"]))
        parts.append(f"Tagged for {name_list(tasks)}.")
    for section, sentence in described:
        evidence.append(quote_evidence(section, sentence, urls["card"]))
        parts.append(f"“{sentence}”")
    title = (
        DATASET_TASK_TITLES.get(tasks[0], f"data for {tasks[0].replace('-', ' ')}")
        if tasks
        else "contents stated in its card"
    )
    if f.get("display_name"):  # the name its card gives it; the id stays in the evidence
        evidence.append(field_evidence("pretty_name", f["display_name"], urls["api"] or urls["card"], source="card"))
        title = f"{f['display_name']}: {title}"
    return [capability(title, " ".join(parts), evidence, "task")]


def dataset_scale(f, sections, evals, urls):
    rows, splits = f.get("rows"), f.get("splits") or {}
    categories = [c for c in f.get("size_categories") or [] if c.lower() != "unknown"]
    if not rows:  # a size category alone is one metadata field: a row of the feature table
        return None
    evidence, parts = [], []
    if rows:
        source = f["provenance_rows"] or "card dataset_info"
        url = urls["page"] if source.startswith("page") else urls["api"] or urls["card"]
        evidence.append(
            field_evidence(
                "rows", rows, url, source="page" if source.startswith("page") else "card", display=f"{rows:,}"
            )
        )
        parts.append(f"{rows:,} examples ({source})")
        if splits and not source.startswith("page"):
            split_text = []
            for config, by_split in list(splits.items())[:3]:
                listed = ", ".join(f"{name} {n:,}" for name, n in by_split.items())
                split_text.append(f"{config}: {listed}" if len(splits) > 1 else listed)
            evidence.append(
                field_evidence(
                    "splits", splits, urls["api"] or urls["card"], source="card", display="; ".join(split_text)
                )
            )
            parts[-1] += f", split as {'; '.join(split_text)}"
            if repeated_configs(splits):
                parts[-1] += " (configurations with the same split sizes counted once)"
    if f.get("bytes"):
        evidence.append(
            field_evidence("bytes", f["bytes"], urls["api"] or urls["card"], source="card", display=f"{f['bytes']:,}")
        )
        parts.append(f"{f['bytes']:,} bytes of data")
    if categories:
        evidence.append(field_evidence("size_categories", categories, urls["api"] or urls["card"]))
        stated = f"size category {name_list(categories)}"
        if rows and not any(size_category_holds(c, rows) for c in categories):
            stated = f"its metadata's {stated}, which this count does not fall in"
        parts.append(stated)
    title = f"{human_count(rows)} examples"
    evidence[0]["display"] += f" / {human_count(rows)}"
    return [capability(title, sentence_case("; ".join(parts)) + ".", evidence, "scale")]


SIZE_BOUND = re.compile(r"^(?:(\d+)([KMBT])?<)?n(?:<(\d+)([KMBT])?|>(\d+)([KMBT])?)?$")
SIZE_UNIT = {None: 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}


def size_category_holds(category: str, rows: int) -> bool:
    """Whether a row count falls in a Hub size category (`1K<n<10K`, `n<1K`, `n>1T`); an unknown form holds."""
    match = SIZE_BOUND.match(category.replace(" ", ""))
    if not match:
        return True
    low_n, low_u, high_n, high_u, over_n, over_u = match.groups()
    low = int(low_n) * SIZE_UNIT[low_u] if low_n else int(over_n) * SIZE_UNIT[over_u] if over_n else 0
    high = int(high_n) * SIZE_UNIT[high_u] if high_n else None
    return rows >= low and (high is None or rows <= high)


def dataset_curation(f, sections, evals, urls):
    out_evidence, practices = [], []
    meta_bits = []
    for section in sections:
        searchable = "curation" in section.kinds or "training_data" in section.kinds or "license" in section.kinds
        for paragraph in section.paragraphs if searchable else []:
            for sentence in prose_sentences(paragraph):
                lowered = sentence.lower()
                hits = [
                    p for p, words in CURATION_TERMS.items() if any(w in lowered for w in words) and p not in practices
                ]
                if hits and len(out_evidence) < 3:
                    practices += hits
                    out_evidence.append(quote_evidence(section, sentence, urls["card"]))
    for key in ("annotations_creators", "source_datasets"):
        if f.get(key):
            out_evidence.append(field_evidence(key, f[key], urls["api"] or urls["card"], source="card"))
            meta_bits.append(f"{key.replace('_', ' ')}: {name_list(f[key])}")
    if not out_evidence:
        return None
    quotes = [e["quote"] for e in out_evidence if "quote" in e]
    text = (f"The card documents {name_list(practices)}: " + " ".join(f"“{q}”" for q in quotes)) if practices else ""
    if meta_bits:
        text += (" " if text else "") + "Metadata: " + "; ".join(meta_bits) + "."
    title = f"documented curation: {name_list(practices, 2)}" if practices else "documented provenance"
    return [capability(title, text, out_evidence, "curation")]


def dataset_access(f, sections, evals, urls):
    formats, modalities, libs = f["formats"], f.get("modalities") or [], f.get("libraries") or []
    if not (formats or libs):
        return None
    evidence, parts = [], []
    if formats:
        evidence.append(field_evidence("formats", formats, urls["api"]))
        parts.append(f"files in {name_list(formats)}")
    if modalities:
        evidence.append(field_evidence("modalities", modalities, urls["api"]))
        parts.append(f"{name_list(modalities)} modalities")
    if libs:
        evidence.append(field_evidence("libraries", libs, urls["api"]))
        parts.append(f"loads with {name_list(libs)}")
    title = "ready-to-load Parquet files" if "parquet" in formats else f"ready-to-load {name_list(formats or libs, 2)}"
    return [capability(title, sentence_case("; ".join(parts)) + ".", evidence, "formats")]


def dataset_configs(f, sections, evals, urls):
    configs = f.get("configs") or []
    if len(configs) < 2:
        return None
    evidence = [
        field_evidence("configs", configs, urls["api"] or urls["card"], source="card", display=str(len(configs)))
    ]
    return [
        capability(
            f"{len(configs)} configurations",
            f"It comes in {len(configs)} configurations: {name_list(configs, 12)}.",
            evidence,
            "configs",
        )
    ]


MODEL_BUILDERS = [
    model_task,
    model_training_data,
    model_evals,
    model_stated_results,
    model_architecture,
    model_labels,
    model_formats,
    uses_and_limits,
    access_terms,
]
DATASET_BUILDERS = [
    dataset_contents,
    dataset_scale,
    dataset_curation,
    dataset_access,
    dataset_configs,
    uses_and_limits,
    access_terms,
]


def numbers_in(text: str) -> list[str]:
    """Numbers as written in a text (the evidence check compares these)."""
    return NUMBER.findall(text)
