"""Facts a card states about how a model was made (pure): `Key: value` lines and hyperparameter lists
(`- learning_rate: 5e-05`, `**Hardware Type:** 8 A100`), and a few facts stated in prose ("input text
longer than 256 word pieces is truncated"). Each fact keeps the line or sentence it was read from.

Which keys name which fact is data (`CARD_FACT_KEYS`); a key not listed is not a fact.
"""

from __future__ import annotations

import re

from hubcrawl.crawler.cards import PLACEHOLDER, Section, prose_sentences

# fact -> the keys that state it (lower case, `_` read as a space). Order is the order a reader wants them in.
CARD_FACT_KEYS: dict[str, re.Pattern] = {
    fact: re.compile(pattern)
    for fact, pattern in {
        "source_language": r"^source lang(?:uage)?s?(?: ?\(s\))?$",
        "target_language": r"^target lang(?:uage)?s?(?: ?\(s\))?$",
        "base_model": r"^(?:base|language|parent|original|pre-?trained|foundation) model$|^fine-?tuned from(?: model)?$",
        "training_data": r"^(?:training|train|fine-?tuning|pre-?training) (?:data|dataset|datasets|corpus|corpora)$",
        "eval_data": r"^(?:eval(?:uation)?|test|validation) (?:data|dataset|datasets|set|sets)$",
        "hardware": r"^(?:training )?hardware(?: type| used)?$|^(?:training )?infrastructure$|^compute$",
        "training_time": r"^(?:training time|hours used|training duration|time to train)$",
        "epochs": r"^(?:num |number of )?(?:train(?:ing)? )?epochs$",
        "steps": r"^(?:num |number of )?(?:train(?:ing)? )?steps$|^training steps$",
        "learning_rate": r"^(?:learning rate|lr)$",
        "batch_size": r"^(?:train|training|total train)? ?batch size$",
        "sequence_length": r"^(?:max(?:imum)? )?(?:seq(?:uence)?|input) (?:length|len)$|^max length$",
        "context_length": r"^(?:max(?:imum)? )?context (?:length|window|size)$",
        # pretraining objectives named as list keys: "Masked language modeling (MLM): taking a sentence, …"
        "objective": r"^(?:masked|causal|permuted|autoregressive) language model(?:l)?ing\b|^next sentence prediction\b|"
        r"^sentence order prediction\b|^replaced token detection\b|^(?:span corruption|denoising)\b",
        "optimizer": r"^optimi[sz]er$",
        "precision": r"^training regime$|^(?:mixed )?precision$",
    }.items()
}
# How each fact reads in a sentence.
CARD_FACT_PHRASES = {
    "source_language": "source language {}",
    "target_language": "target language {}",
    "base_model": "base model {}",
    "training_data": "training data {}",
    "eval_data": "evaluation data {}",
    "hardware": "hardware {}",
    "training_time": "training time {}",
    "epochs": "{} epochs",
    "steps": "{} training steps",
    "learning_rate": "learning rate {}",
    "batch_size": "batch size {}",
    "sequence_length": "sequence length {}",
    "context_length": "a context length of {}",
    "input_limit": "inputs cut at {}",
    "objective": "{}",
    "optimizer": "optimizer {}",
    "precision": "precision {}",
}
# Facts a card states in a sentence rather than a `Key: value` line: (fact, pattern whose group 1 is the value).
PROSE_FACTS = (
    (
        "input_limit",
        re.compile(r"(?:longer than|truncated (?:to|at))\s+(\d[\d,]{0,9}\s+(?:tokens|word ?pieces|positions))", re.I),
    ),
    (
        "sequence_length",
        re.compile(
            r"(?:limited to|(?:maximum|max|sequence) length of)\s+(\d[\d,]{0,9}\s+(?:tokens|word ?pieces|positions))",
            re.I,
        ),
    ),
    (
        "context_length",
        re.compile(r"(?:context (?:length|window) of)\s+(\d[\d,]{0,9}\s+(?:tokens|positions))", re.I),
    ),
    (
        "hardware",
        re.compile(
            r"\b(?:on|using|with)\s+((?:\d+|one|two|four|eight|sixteen)\s+(?:cloud\s+)?"
            r"(?:(?:NVIDIA\s+)?[A-Z]\d{2,4}\w*\s+GPUs?|GPUs?|TPUs?(?:\s+v\d[\w-]*)?|TPU\s+(?:v\d[\w-]*\s+)?(?:pods?|chips?)))",
            re.I,
        ),
    ),
)
MAX_VALUE = 120  # characters of a fact's value: longer is prose, not a value


def fact_of_key(key: str) -> str | None:
    normalized = " ".join(key.lower().replace("_", " ").replace("*", "").split())
    return next((fact for fact, pattern in CARD_FACT_KEYS.items() if pattern.match(normalized)), None)


def parse_card_facts(sections: list[Section]) -> list[dict]:
    """Each fact once (the first statement wins), as {fact, value, section, quote}."""
    found: dict[str, dict] = {}
    objectives: list[dict] = []
    for section in sections:
        if "citation" in section.kinds:
            continue
        for key, value, line in section.facts:
            fact = fact_of_key(key)
            if fact == "objective":  # several objectives are several facts; the key names each one
                objectives.append(fact_row(fact, key.strip(), section, line))
                continue
            value = re.sub(r"^full\s+", "", value.strip().rstrip(".,;"), flags=re.I)  # "Full 32,768 tokens"
            if fact and fact not in found and 0 < len(value) <= MAX_VALUE and not PLACEHOLDER.match(value):
                found[fact] = fact_row(fact, value, section, line)
        for paragraph in section.paragraphs:
            for fact, pattern in PROSE_FACTS:
                if fact in found or not (match := pattern.search(paragraph)):
                    continue
                sentence = next((s for s in prose_sentences(paragraph, max_words=80) if match.group(1) in s), None)
                if sentence is not None:
                    found[fact] = fact_row(fact, " ".join(match.group(1).split()), section, sentence)
    ordered = [found[fact] for fact in CARD_FACT_KEYS if fact in found]
    return ordered + [found[f] for f in ("input_limit",) if f in found] + objectives[:4]


def fact_row(fact: str, value: str, section: Section, quote: str) -> dict:
    return {"fact": fact, "value": value, "section": section.title or "(introduction)", "quote": quote}
