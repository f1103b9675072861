"""The read model behind `show` and the site's artifact pages: one artifact as the contract shapes it."""

from __future__ import annotations

from hubcrawl.crawler.items import URL_PREFIX
from hubcrawl.crawler.ranking import PARTS
from hubcrawl.db import eval_rows, get_capabilities, get_scores, times_matched

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
        "url": f"{endpoint}/{URL_PREFIX[kind]}{artifact['repo_id']}",
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
