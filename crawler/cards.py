"""Model and dataset cards: README bytes in, front matter + body + recorded problems out.

huggingface_hub's `ModelCard` / `DatasetCard` do the parsing; this module only decides what a
problem is called and makes sure a broken card still yields its body.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from huggingface_hub import DatasetCard, ModelCard
from huggingface_hub.repocard import REGEX_YAML_BLOCK
from huggingface_hub.utils import logging as hf_logging

# "Repo card metadata block was not found" is logged for every card without front matter:
# over a whole Hub that is millions of lines. We record it as `has_front_matter` instead.
hf_logging.set_verbosity_error()

CARD_CLASSES = {"model": ModelCard, "dataset": DatasetCard}


@dataclass
class ParsedCard:
    front_matter: dict  # the YAML metadata as a plain dict ({} when absent or unreadable)
    body: str  # Markdown after the front matter (the whole text when there is none)
    has_front_matter: bool
    card: ModelCard | DatasetCard | None  # the huggingface_hub object, when the YAML parsed
    errors: list[dict] = field(default_factory=list)


def decode_card(body: bytes) -> tuple[str, list[dict]]:
    """README bytes to text. Non-UTF-8 bytes are replaced (not guessed) and recorded."""
    try:
        return body.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        text = body.decode("utf-8", errors="replace").lstrip("\ufeff")
        return text, [{"kind": "card_not_utf8", "detail": f"invalid UTF-8 at byte {exc.start}; replaced"}]


def parse_card(kind: str, text: str) -> ParsedCard:
    """Parse card text with huggingface_hub. Never raises: problems land in `errors`."""
    text = text.lstrip("\ufeff")  # a BOM hides the front matter from the card regex
    card_class = CARD_CLASSES[kind]
    match = REGEX_YAML_BLOCK.search(text)
    errors: list[dict] = []
    try:
        card = card_class(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        errors.append({"kind": "card_yaml", "detail": f"invalid YAML front matter: {problem}{where}"})
        card = None
    except ValueError as exc:
        if "should be a dict" in str(exc):
            errors.append({"kind": "card_not_mapping", "detail": "front matter is not a mapping"})
            card = None
        else:
            # Typically an invalid `model-index`: keep the rest of the metadata, drop eval results.
            errors.append({"kind": "card_metadata", "detail": _one_line(str(exc))})
            card = card_class(text, ignore_metadata_errors=True)
    except (TypeError, AttributeError) as exc:  # metadata of the wrong shape inside CardData
        errors.append({"kind": "card_metadata", "detail": _one_line(f"{exc.__class__.__name__}: {exc}")})
        card = None

    if card is not None:
        return ParsedCard(
            front_matter=card.data.to_dict(),
            body=card.text,
            has_front_matter=bool(match),
            card=card,
            errors=errors,
        )
    body = text[match.end() :] if match else text
    return ParsedCard(front_matter={}, body=body, has_front_matter=bool(match), card=None, errors=errors)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

