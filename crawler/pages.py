"""Hub web pages: HTML in, what the API does not give out (BeautifulSoup does the parsing).

The page header is a Svelte island, `<div class="SVELTE_HYDRATER contents" data-target="ModelHeader"
data-props="…">`, whose props hold the repo object as the page knows it: the dataset viewer's row
count, modalities and formats, discussion counts, the card's validation errors, paper titles behind
`arxiv:` tags. A gated repo's page also shows its card, which `/resolve/` refuses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bs4 import BeautifulSoup

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
        errors.append({"kind": "page_no_props", "detail": "no ModelHeader/DatasetHeader props on the page"})
    else:
        try:
            props = json.loads(header["data-props"])
        except ValueError as exc:
            errors.append({"kind": "page_bad_props", "detail": f"header props are not JSON: {exc}"[:300]})
    card = soup.select_one("div.prose.hf-sanitized")
    card_text = None
    if card is not None:
        for box in card.select("div.not-prose"):  # the YAML metadata box, not card prose
            box.decompose()
        card_text = card.get_text("\n", strip=True) or None
    return ParsedPage(props=props, fields=page_fields(props) if props else {}, card_text=card_text, errors=errors)


def page_fields(props: dict) -> dict:
    """Fields from the header props. Keys are present only when the page states them."""
    repo = props.get("model") or props.get("dataset") or {}
    out: dict = {}
    stats = props.get("discussionsStats")
    if isinstance(stats, dict):
        out["discussions"] = {k: stats.get(k) for k in ("open", "closed", "total")}
    viewer = repo.get("datasetsServerInfo")
    if isinstance(viewer, dict):
        if isinstance(viewer.get("numRows"), int):
            out["rows"] = viewer["numRows"]
        for key in ("modalities", "formats", "libraries"):
            if viewer.get(key):
                out[f"viewer_{key}"] = list(viewer[key])
        if viewer.get("viewer"):
            out["viewer"] = viewer["viewer"]
    card_error = repo.get("cardError")
    if isinstance(card_error, dict) and card_error.get("errors"):
        out["card_validation_errors"] = [
            {"message": e.get("message"), "path": e.get("path")} for e in card_error["errors"] if isinstance(e, dict)
        ]
    papers = [
        {"id": t["id"].split(":", 1)[1], "title": (t.get("extra") or {}).get("paperTitle")}
        for t in repo.get("tag_objs") or []
        if isinstance(t, dict) and t.get("type") == "arxiv" and ":" in str(t.get("id"))
    ]
    if papers:
        out["paper_titles"] = papers
    for key in ("homepage", "gated", "downloads", "downloadsAllTime", "likes", "inference"):
        if key in repo:
            out[key] = repo[key]
    if repo.get("gguf", {}).get("total"):
        out["gguf_total"] = repo["gguf"]["total"]
    if (repo.get("config") or {}).get("model_type"):
        out["model_type"] = repo["config"]["model_type"]
    return out
