"""Model and dataset cards: README bytes in, front matter + body + recorded problems out.

huggingface_hub's `ModelCard` / `DatasetCard` do the parsing; this module only decides what a
problem is called and makes sure a broken card still yields its body.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import yaml
from huggingface_hub import DatasetCard, ModelCard
from huggingface_hub.repocard import REGEX_YAML_BLOCK
from huggingface_hub.utils import logging as hf_logging
from markdown_it_pyrs import MarkdownIt
from sentencex import segment

from hubcrawl.crawler.errors import problem
from hubcrawl.crawler.validate import YamlBoundsError, load_yaml, plain_json

# "Repo card metadata block was not found" is logged for every card without front matter:
# over a whole Hub that is millions of lines. We record it as `has_front_matter` instead.
hf_logging.set_verbosity_error()

CARD_CLASSES = {"model": ModelCard, "dataset": DatasetCard}


@dataclass
class ParsedCard:
    front_matter: dict  # the YAML metadata as a plain dict ({} when absent or unreadable)
    body: str  # Markdown after the front matter (the whole text when there is none)
    has_front_matter: bool
    readable: bool  # False when the front matter was there but could not be read
    errors: list[dict] = field(default_factory=list)


def decode_card(body: bytes) -> tuple[str, list[dict]]:
    """README bytes to text. Non-UTF-8 bytes are replaced (not guessed) and recorded."""
    try:
        return body.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        text = body.decode("utf-8", errors="replace").lstrip("\ufeff")
        return text, [{"kind": "card_not_utf8", "detail": f"invalid UTF-8 at byte {exc.start}; replaced"}]


def parse_card(kind: str, text: str) -> ParsedCard:
    """Card text to front matter and body. Never raises: problems land in `errors`.

    The front matter is read once, by the bounded C loader (`validate.load_yaml`: no alias bombs,
    cycles or deep nesting), made plain JSON, then read by huggingface_hub's card data class
    (`ModelCardData` / `DatasetCardData`) with the card regex the Hub itself uses.
    """
    text = text.lstrip("\ufeff")  # a BOM hides the front matter from the card regex
    match = REGEX_YAML_BLOCK.search(text)
    if not match:
        return ParsedCard({}, text, False, readable=True)
    body = text[match.end() :]
    try:
        data = load_yaml(match.group(2))
    except yaml.YAMLError as exc:
        problem_text = getattr(exc, "problem", None) or str(exc) or exc.__class__.__name__
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        kind_of = "card_yaml_bounds" if isinstance(exc, YamlBoundsError) else "card_yaml"
        return ParsedCard(
            {},
            body,
            True,
            readable=False,
            errors=[problem(kind_of, f"invalid YAML front matter: {problem_text}{where}")],
        )
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return ParsedCard(
            {}, body, True, readable=False, errors=[problem("card_not_mapping", "front matter is not a mapping")]
        )
    front_matter, errors = card_metadata(kind, plain_json(data))
    return ParsedCard(front_matter, body, True, readable=True, errors=errors)


def card_metadata(kind: str, front: dict) -> tuple[dict, list[dict]]:
    """The front matter as huggingface_hub's card data class reads it. An invalid `model-index`
    costs the eval results only; metadata the class cannot take at all is kept as it was written."""
    data_class = CARD_CLASSES[kind].card_data_class
    # The class's own switch is ours to set, not the card's: a card writing it stays metadata.
    metadata = {k: v for k, v in front.items() if k != "ignore_metadata_errors"}
    kept = {k: v for k, v in front.items() if k == "ignore_metadata_errors"}
    try:
        return data_class(**metadata).to_dict() | kept, []
    except ValueError as exc:
        error = problem("card_metadata", str(exc))
        try:
            return data_class(**metadata, ignore_metadata_errors=True).to_dict() | kept, [error]
        except Exception:  # noqa: BLE001 - any card the class cannot read keeps its plain metadata
            return front, [error]
    except Exception as exc:  # noqa: BLE001 - metadata of a shape the class does not expect
        return front, [problem("card_metadata", f"{exc.__class__.__name__}: {exc}")]


# Standard card sections, recognised by words in their headings (a heading may name several).
SECTION_KEYWORDS = {
    "description": (
        "description",
        "summary",
        "overview",
        "model details",
        "about",
        "introduction",
        "dataset card for",
        "what is",
    ),
    "intended_uses": (
        "intended use",
        "uses",
        "how to use",
        "usage",
        "direct use",
        "use case",
        "applications",
        "supported tasks",
    ),
    "limitations": ("limitation", "bias", "risk", "out-of-scope", "ethic", "caveat", "safety", "notice"),
    "training_data": (
        "training data",
        "training procedure",
        "training",
        "pretraining",
        "source data",
        "data collection",
        "dataset creation",
    ),
    "evaluation": ("evaluation", "results", "benchmark", "performance", "metrics"),
    "citation": ("citation", "bibtex", "cite", "reference"),
    "license": ("licens",),
    "curation": (
        "curation",
        "preprocess",
        "filtering",
        "dedup",
        "personal and sensitive",
        "annotation",
        "collection process",
    ),
    "structure": ("dataset structure", "data fields", "data splits", "data instances", "data structure"),
}
# markdown-it's Rust port: the same CommonMark + tables, parsed into a tree about ten times faster than
# markdown-it-py (which was half of a card's CPU). Built once: building it costs more than a parse.
MARKDOWN = MarkdownIt("commonmark").enable("table")
# Sentences that say nothing about what the artifact is, does or cannot do: placeholders, pointers,
# install and how-to lines, citations, contact and about-us blurbs, sign-offs.
BOILERPLATE = re.compile(
    r"more information needed|\bpip install|\binstalled\b|\bcit(?:e|ation|ing)\b|bibtex|"
    r"\bcontact\b|\be-?mail\b|\bthank(?:s| you)\b|\byou can (?:use|run|install|load|find|download|try)\b|"
    r"\bthe usage is\b|\bcan be found\b|\bis available (?:at|here|on)\b|\bclick\b|\bsee (?:below|above)\b|"
    r"\bfollowing (?:code|command|snippet|steps)\b|\bour (?:company|team|mission|website)\b|\bwe are an?\b|"
    r"\bfounded in\b|\bjoin (?:us|our)\b|\bdiscord\b|\bnewsletter\b|\bcontent warning\b|\bwe refer to\b|"
    r"\bcode examples?\b|"
    r"^\W*\[?\d{4}[/.-]\d{1,2}[/.-]\d{1,2}\]?|\bwe (?:have )?(?:just )?released\b",  # dated news of releases
    re.IGNORECASE,
)


@dataclass
class Section:
    title: str  # the heading's text; "" for what stands before the first heading
    level: int
    kinds: list[str]  # standard sections this heading names (SECTION_KEYWORDS)
    paragraphs: list[str]  # plain-text paragraphs (no code; tables are kept apart)
    tables: list[list[list[str]]] = field(default_factory=list)  # rows of cell texts, header row first
    items: list[str] = field(default_factory=list)  # list items (also in `paragraphs`): the card's bullets
    facts: list[tuple[str, str, str]] = field(default_factory=list)  # `Key: value` lines: (key, value, line)


# What a template leaves in a section nobody wrote: it documents nothing.
PLACEHOLDER = re.compile(
    r"^\W*(?:\[?more information needed\]?|more info(?:rmation)? (?:needed|coming soon)|tbd|tba|todo|n/?a|"
    r"coming soon|to be (?:added|announced|updated)|none|-+)\W*$",
    re.IGNORECASE,
)


def documented_kinds(sections: list[Section]) -> list[str]:
    """The standard sections a card really fills: a heading counts when its text, or that of the
    headings under it, is more than template placeholders."""
    kinds = set()
    for i, section in enumerate(sections):
        if not section.kinds:
            continue
        j = i + 1
        while j < len(sections) and sections[j].level > section.level:
            j += 1
        texts = [p for s in sections[i:j] for p in s.paragraphs] + [
            cell for s in sections[i:j] for table in s.tables for row in table[1:] for cell in row
        ]
        if any(text.strip() and not PLACEHOLDER.match(text) for text in texts):
            kinds.update(k for k in section.kinds if k in SECTION_KEYWORDS)
    return sorted(kinds)


MAX_HEADING_WORDS = 8  # a longer heading is a title or a sentence ("ELECTRA: Pre-training Text Encoders …")


# News of releases and changelogs: about other models and versions, never quoted (like citations).
NEWS_HEADING = re.compile(r"^\W*(?:latest |recent )?(?:news|updates?|changelog|release notes|what'?s new)\W*$", re.I)


def section_kinds_of(title: str) -> list[str]:
    lowered = title.lower()
    if NEWS_HEADING.match(title):
        return ["news"]
    if len(title.split()) > MAX_HEADING_WORDS and not lowered.startswith("dataset card for"):
        return []
    return [kind for kind, words in SECTION_KEYWORDS.items() if any(w in lowered for w in words)]


def parse_card_sections(body: str) -> list[Section]:
    """Split a card body into headed sections of plain-text paragraphs, list items, `Key: value` lines and
    tables (markdown-it does the parsing; code, HTML and images are not prose)."""
    sections = [Section("", 0, [], [])]

    def add_text(lines: list[str], in_list: bool) -> None:
        text = " ".join(" ".join(lines).split())
        if text:
            section = sections[-1]
            section.paragraphs.append(text)
            if in_list:
                section.items.append(text)
            section.facts.extend((*m.groups(), m.string) for m in map(KEY_VALUE.match, lines) if m)

    def visit(node, in_list: bool) -> None:
        name = node.name
        if name == "heading":
            title = " ".join(" ".join(inline_lines(node.children)).split())
            sections.append(Section(title, node.meta.get("level", 1), section_kinds_of(title), []))
        elif name == "paragraph":
            add_text(inline_lines(node.children), in_list)
        elif name == "table":
            sections[-1].tables.append(
                [
                    [" ".join(" ".join(inline_lines(cell.children)).split()) for cell in row.children]
                    for part in node.children
                    for row in part.children
                ]
            )
        elif name == "list_item":
            # A tight list item holds its text directly; a loose one holds paragraphs and nested lists.
            inline = [c for c in node.children if c.name in INLINE_NODES]
            if inline:
                add_text(inline_lines(inline), True)
            for child in node.children:
                if child.name not in INLINE_NODES:
                    visit(child, True)
        elif name in CONTAINER_NODES:
            for child in node.children:
                visit(child, in_list)

    for node in MARKDOWN.tree(body).children:
        visit(node, False)
    return [s for s in sections if s.title or s.paragraphs or s.tables]


CONTAINER_NODES = {"blockquote", "bullet_list", "ordered_list", "root"}
INLINE_NODES = {"text", "code_inline", "strong", "em", "link", "softbreak", "hardbreak", "image", "html_inline"}


def splits_from_tables(sections: list[Section]) -> dict[str, dict[str, int]]:
    """Split sizes from a card's "Data Splits" table (`| name | train | test |` / `| cfg | 100 | 10 |`)."""
    splits: dict[str, dict[str, int]] = {}
    for section in sections:
        if "split" not in section.title.lower():
            continue
        for table in section.tables:
            if len(table) < 2 or table[0][0].strip().lower() not in ("name", "config", "configuration", "subset"):
                continue
            header = [h.strip() for h in table[0][1:]]
            for row in table[1:]:
                cells = [c.replace(",", "").strip() for c in row[1:]]
                # ASCII digits only, and no more than a count can have ("²" is a digit to str.isdigit)
                if len(cells) == len(header) and all(c.isascii() and c.isdigit() and len(c) <= 19 for c in cells):
                    splits[row[0].strip()] = {h: int(c) for h, c in zip(header, cells, strict=True)}
    return splits


def distinct_rows(splits: dict[str, dict[str, int]]) -> int | None:
    """Rows over a dataset's configurations, each set of identical split sizes counted once: configurations
    with exactly the same splits (gsm8k's main and socratic, wikitext's raw and tokenized) hold the same
    examples in another form, and adding them up would double the dataset."""
    distinct = {tuple(sorted(by_split.items())) for by_split in splits.values() if by_split}
    return sum(n for shape in distinct for _, n in shape) or None


def repeated_configs(splits: dict[str, dict[str, int]]) -> int:
    """How many configurations repeat another's split sizes (and were not counted again)."""
    shapes = [tuple(sorted(by_split.items())) for by_split in splits.values() if by_split]
    return len(shapes) - len(set(shapes))


# `**Developed by:** X`, `- learning_rate: 5e-05`, `Source Language: English`: a short key, a colon, a value.
KEY_VALUE = re.compile(r"^\s*([A-Za-z][\w()/'.&-]*(?: [\w()/'.&-]+){0,5}?)\s*(?::|\s=)\s+(\S.{0,300}?)\s*$")


def inline_lines(nodes) -> list[str]:
    """The reader-visible lines of inline nodes: words, code and link text, without images or HTML."""
    lines: list[list[str]] = [[]]

    def gather(node) -> None:
        if node.name == "text":
            lines[-1].append(node.meta.get("content", ""))
        elif node.name in ("softbreak", "hardbreak"):
            lines.append([])
        elif node.name not in ("image", "html_inline"):
            for child in node.children:
                gather(child)

    for node in nodes:
        gather(node)
    return [" ".join("".join(parts).split()) for parts in lines]


HEADLESS = re.compile(r"^(?:is|are|was|were|has|have)\b")
LIST_MARKER = re.compile(r"^(?:\d{1,2}|[a-z])[).]\s")
BRACKETED_URL = re.compile(r"[(<\[]\s*https?://[^\s)>\]]+\s*[)>\]]")


@functools.lru_cache(maxsize=4096)  # every capability reads the same paragraphs: segment each once
def prose_sentences(paragraph: str, *, min_words: int = 6, max_words: int = 60) -> tuple[str, ...]:
    """Sentences worth quoting: whole sentences of ordinary length that say something about the
    artifact; not link lists, table debris or boilerplate. Boundaries come from sentencex, which
    knows "et al.", "e.g.", version numbers and URLs."""
    out = []
    for sentence in segment("en", paragraph):
        sentence = sentence.strip()
        words = sentence.split()
        if (
            min_words <= len(words) <= max_words
            and sentence[-1:] in ".!"
            and "http" not in BRACKETED_URL.sub("", sentence)  # a link in brackets is a reference, not debris
            and not LIST_MARKER.match(sentence)  # "3) 32B model …": list debris run together
            and not HEADLESS.match(sentence)  # "is a new dataset for …": its subject was a link or an image
            and not BOILERPLATE.search(sentence)
        ):
            out.append(sentence)
    return tuple(out)


# What makes a sentence worth quoting (weights are data): the numbers, comparisons, mechanisms and names a
# careful reader would keep, and the pointers, how-tos and general remarks they would skip.
SENTENCE_SIGNALS: tuple[tuple[re.Pattern, float], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), weight)
    for pattern, weight in (
        # a quantity: a number with a unit, a scale or a percentage
        (
            r"\d[\d,.]*\s*(?:%|percent\b|[KMBT]\b|k\b|x\d+|billion|million|thousand|-?dimensional|dimensions?\b|"
            r"tokens?\b|word ?pieces|layers?\b|heads?\b|parameters?\b|hours?\b|days?\b|epochs?\b|steps?\b|"
            r"[GT]PUs?\b|images?\b|examples?\b|pairs?\b|sentences?\b|problems?\b|languages?\b|classes\b|"
            r"samples?\b|documents?\b|articles?\b|words?\b|questions?\b|clips?\b|speakers?\b|pixels?\b|"
            r"docs?\b|queries\b|books?\b|files?\b|GB\b|MB\b|TB\b)",
            3.0,
        ),
        (
            r"\b(?:outperform\w*|surpass\w*|better than|worse than|compared (?:to|with)|on par with|"
            r"state[- ]of[- ]the[- ]art|versus)\b",
            3.0,
        ),
        (r"\b(?:f1|accuracy|bleu|rouge|wer|ndcg|mrr|exact match|perplexity|average precision)\b", 1.5),
        # how it works or what it was made from
        (
            r"\b(?:trained|fine-?tuned|pre-?trained|distill\w*|maps?|encod\w+|classif\w+|predicts?|generat\w+|"
            r"translat\w+|mask\w*|attention|objective|contrastive|architecture|transformer|encoder|decoder|"
            r"quantiz\w+|detect\w*|segment\w*|rank\w*|retriev\w+|consists? of|contains?|collection of|"
            r"comprises?|derived from|extracted from|collected|annotated|labell?ed|solve|answer\w*)\b",
            2.0,
        ),
        (r"\b(?:this|the|our) (?:model|dataset|corpus|checkpoint|benchmark|data ?set)\b", 1.0),
        # what sets it apart, in the card's own words
        (
            r"\b(?:defining|key|main|distinguishing|core|novel) (?:feature|difference|idea|innovation|contribution)\b|"
            r"\bunlike\b|\bin contrast (?:to|with)\b",
            2.5,
        ),
        # a definition: "X is a ... model / dataset / collection"
        (
            r"\b(?:is|are) an? (?:[\w'-]+ ){0,10}(?:model|dataset|corpus|benchmark|collection|version|checkpoint|"
            r"transformer|encoder|decoder|network|variant|series|family|set)\b",
            2.0,
        ),
        # named models, datasets and benchmarks: words mixing capitals and digits, or all capitals
        (r"(?<!^)\b(?:[A-Z][a-z]*[A-Z0-9][\w.-]*|[A-Z]{2,}[\w.-]*)\b", 0.5),
        # pointers, how-tos and remarks about something else
        (
            r"^(?:to |you |please |see |check |refer |using |run |install |download |note\b|for more|"
            r"for (?:details|further|additional)|here is|here are|below|in order to|if\b|first,|then,|next,)",
            -4.0,
        ),
        (
            r"\bet al\b|\bsignificant research\b|\bresearch has (?:shown|explored)\b|\backnowledg|\bsponsor|"
            r"\bcopyright\b|\ball rights reserved\b|\bdisclaimer\b|\bthis (?:model )?card\b|\bthis section\b|"
            r"\bthis list\b|\bthe team releasing\b|\bwritten by\b|\bhugging ?face team\b|\bleaderboard\b|"
            r"\bcolab\b|\bnotebook\b|\bblog post\b|\b(?:here|below|above)\W*$",
            -4.0,
        ),
        (r"\b(?:you|your)\b", -1.5),
    )
)
MIN_SENTENCE_SCORE = 2.0  # below this a sentence says nothing a reader would keep


def score_sentence(
    sentence: str, names: tuple[str, ...] = (), signals: tuple = (), base: tuple = SENTENCE_SIGNALS
) -> float:
    """How much a sentence claims: each signal counts once per match (a quantity up to twice); each of the
    artifact's own names or topics adds a point (two at most); very short or very long sentences lose one."""
    score = 0.0
    for pattern, weight in base + signals:
        hits = len(pattern.findall(sentence))
        if hits:
            score += weight * min(hits, 2 if weight >= 3 else 1)
    lowered = sentence.lower()
    score += min(2, sum(1 for name in names if name and name in lowered))
    words = len(sentence.split())
    if words < 8 or words > 45:
        score -= 1.0
    return score


UNQUOTED_KINDS = {"citation", "news"}  # sections whose sentences are never the artifact's own claims
OPENING_BONUS = 1.5  # a section's first sentence usually says what the section is about


def best_sentences(
    sections: list[Section],
    kinds: tuple[str, ...] | None,
    limit: int = 2,
    names: tuple[str, ...] = (),
    signals: tuple = (),
    skip: re.Pattern | None = None,
) -> list[tuple[Section, str]]:
    """The `limit` sentences that claim most, from the sections of these kinds (all when None), in card order;
    `signals` add weights of their own, `skip` leaves sentences out."""
    scored, seen = [], set()
    for section in sections:
        if (kinds is not None and not any(k in section.kinds for k in kinds)) or UNQUOTED_KINDS & set(section.kinds):
            continue
        for index, sentence in enumerate(s for paragraph in section.paragraphs for s in prose_sentences(paragraph)):
            if sentence in seen or (skip is not None and skip.search(sentence)):
                continue
            seen.add(sentence)
            score = score_sentence(sentence, names, signals) + (OPENING_BONUS if index == 0 else 0.0)
            if score >= MIN_SENTENCE_SCORE:
                scored.append((-score, len(scored), section, sentence))
    chosen = sorted(scored, key=lambda x: x[:2])[:limit]
    return [(section, sentence) for _, _, section, sentence in sorted(chosen, key=lambda x: x[1])]
