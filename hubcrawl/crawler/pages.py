"""Hub web pages: HTML in, what the API does not give out (BeautifulSoup does the parsing).

The page header is a Svelte island, `<div class="SVELTE_HYDRATER contents" data-target="ModelHeader"
data-props="…">`, whose props hold the repo object as the page knows it: the dataset viewer's row
count, modalities and formats, discussion counts, the card's validation errors, paper titles behind
`arxiv:` tags. A gated repo's page also shows its card, which `/resolve/` refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bs4 import BeautifulSoup

from hubcrawl.crawler.errors import problem
from hubcrawl.crawler.validate import MAX_DEPTH, check_count, check_gated, check_text, load_json

HEADER_TARGETS = ("ModelHeader", "DatasetHeader")


@dataclass
class ParsedPage:
    props: dict | None  # the header's data-props, as JSON
    fields: dict  # what the page adds to the artifact (see page_fields)
    card_text: str | None  # the rendered card's text, when the page shows it
    errors: list[dict] = field(default_factory=list)


def parse_hub_page(html: str) -> ParsedPage:
    """Never raises: a page without the expected header props is a recorded `page_no_props` error."""
    soup = BeautifulSoup(html, "lxml")
    props = None
    errors: list[dict] = []
    header = soup.find("div", attrs={"data-target": HEADER_TARGETS})
    if header is None or not header.get("data-props"):
        errors.append(problem("page_no_props", "no ModelHeader/DatasetHeader props on the page"))
    else:
        props, cut = load_json(header["data-props"], dict)
        if props is None:
            errors.append(problem("page_bad_props", "header props are not a JSON object"))
        elif cut:
            errors.append(problem("page_props_too_deep", f"header props nested deeper than {MAX_DEPTH} levels; cut"))
    card = soup.select_one("div.prose.hf-sanitized")
    card_text = None
    if card is not None:
        for box in card.select("div.not-prose"):  # the YAML metadata box, not card prose
            box.decompose()
        card_text = card.get_text("\n", strip=True) or None
    return ParsedPage(props=props, fields=page_fields(props) if props else {}, card_text=card_text, errors=errors)


def page_fields(props) -> dict:
    """Fields from the header props. Keys are present only when the page states them, with the
    type the column needs: props are read as anyone could have written them."""
    if not isinstance(props, dict):
        return {}
    repo = mapping(props.get("model")) or mapping(props.get("dataset"))
    out: dict = {}
    stats = mapping(props.get("discussionsStats"))
    if stats:
        out["discussions"] = {k: stats.get(k) for k in ("open", "closed", "total") if check_count(stats.get(k))}
    viewer = mapping(repo.get("datasetsServerInfo"))
    if check_count(viewer.get("numRows")):
        out["rows"] = viewer["numRows"]
    for key in ("modalities", "formats", "libraries"):
        values = [v for v in viewer.get(key) or [] if isinstance(v, str)] if isinstance(viewer.get(key), list) else []
        if values:
            out[f"viewer_{key}"] = values
    if isinstance(viewer.get("viewer"), str):
        out["viewer"] = viewer["viewer"]
    card_errors = mapping(repo.get("cardError")).get("errors")
    if isinstance(card_errors, list) and card_errors:
        out["card_validation_errors"] = [
            {
                "message": str(e.get("message"))[:500],
                "path": e.get("path") if isinstance(e.get("path"), (str, list)) else None,
            }
            for e in card_errors
            if isinstance(e, dict)
        ]
    tags = repo.get("tag_objs") if isinstance(repo.get("tag_objs"), list) else []
    papers = [
        {
            "id": t["id"].split(":", 1)[1],
            "title": title if isinstance(title := mapping(t.get("extra")).get("paperTitle"), str) else None,
        }
        for t in tags
        if isinstance(t, dict) and t.get("type") == "arxiv" and isinstance(t.get("id"), str) and ":" in t["id"]
    ]
    if papers:
        out["paper_titles"] = papers
    for key, check in (
        ("homepage", check_text),
        ("gated", check_gated),
        ("downloads", check_count),
        ("downloadsAllTime", check_count),
        ("likes", check_count),
        ("inference", check_text),
    ):
        if key in repo and check(repo[key]):
            out[key] = repo[key]
    if check_count(total := mapping(repo.get("gguf")).get("total")) and total:
        out["gguf_total"] = total
    if isinstance(model_type := mapping(repo.get("config")).get("model_type"), str):
        out["model_type"] = model_type
    return out


def mapping(value) -> dict:
    """A value that should be a mapping, or an empty one."""
    return value if isinstance(value, dict) else {}
