"""The read model behind `show` and the site's artifact pages: one artifact as the contract shapes it."""

from __future__ import annotations

from hubcrawl.crawler.items import hub_page_url
from hubcrawl.crawler.ranking import PARTS
from hubcrawl.db import counter_history, eval_rows, get_capabilities, get_scores, lineage_edges, times_matched

SCORE_KEYS = ("overall", *PARTS)
LIST_COLUMNS = (
    "formats",
    "tasks",
    "languages",
    "card_sections",
    "base_models",
    "datasets",
    "libraries",
    "labels",
    "errors",
)
COLUMNS = (
    "author",
    "sha",
    "last_modified",
    "downloads",
    "likes",
    "license",
    "pricing",
    "gated",
    "parameters",
    "card_length",
    "rows",
    "context_length",
    "fetched_at",
)


def artifact_view(database, artifact: dict, endpoint: str) -> dict:
    """The contract's `show` JSON shape: fields, capabilities with evidence, eval results, scores."""
    kind = artifact["kind"]
    view = {
        "kind": kind,
        "repo_id": artifact["repo_id"],
        "url": hub_page_url(endpoint, kind, artifact["repo_id"]),
        "type": kind.capitalize(),
    }
    view.update({column: artifact[column] for column in COLUMNS})
    view.update({column: artifact[column] or [] for column in LIST_COLUMNS})
    # Architecture facts as values (their file and key are in the capabilities' evidence).
    view["architecture"] = {name: fact["value"] for name, fact in (artifact["architecture"] or {}).items()}
    view.update(
        capabilities=get_capabilities(database, artifact["id"]),
        eval_results=[{k: v for k, v in e.items() if k != "artifact_id"} for e in eval_rows(database, artifact["id"])],
        scores=get_scores(database, artifact["id"]) or dict.fromkeys(SCORE_KEYS),
        times_matched=times_matched(database, artifact["id"]),
    )
    return view


# The lineage graph's groups: an edge kind seen from this artifact (outgoing: it points at the other end).
LINEAGE_GROUPS = {
    ("fine_tuned_from", True): "Built on",
    ("trained_on", True): "Trained on",
    ("evaluated_on", True): "Evaluated on",
    ("fine_tuned_from", False): "Built on it",
    ("trained_on", False): "Trained on it",
    ("evaluated_on", False): "Evaluated on it",
}


def artifact_page_view(database, artifact: dict, endpoint: str) -> dict:
    """The site's artifact page: the `show` view, its counters over the crawl runs, and its lineage grouped
    upstream (what it was made from) and downstream (what was made from it)."""
    view = artifact_view(database, artifact, endpoint)
    view["history"] = counter_history(database, artifact["id"])
    nodes: dict[tuple[str, bool], list[dict]] = {}
    for edge in lineage_edges(database, artifact["id"]):
        url = hub_page_url(endpoint, edge["other_kind"], edge["repo_id"])
        nodes.setdefault((edge["kind"], bool(edge["outgoing"])), []).append(
            {"id": edge["id"], "repo_id": edge["repo_id"], "url": url}
        )
    view["lineage"] = {
        side: [
            {"label": label, "nodes": nodes[key]}
            for key, label in LINEAGE_GROUPS.items()
            if key in nodes and key[1] == outgoing
        ]
        for side, outgoing in (("upstream", True), ("downstream", False))
    }
    return view
