"""Ranking: the match graph and a 0–100 score for every artifact. docs/ranking.md explains the method.

Every weight lives in METHOD, which carries a version; each stored score keeps its four parts and
that version. The same database gives the same scores: nothing here depends on time or order.
"""

from __future__ import annotations

import math

from hubcrawl.crawler.clock import now_iso
from hubcrawl.db import replace_scores, save_search_order
from hubcrawl.db.graph import (
    count_nonzero_signals,
    iter_rank_inputs,
    iter_rank_signals,
    nth_nonzero_signal,
    save_match_graph,
    stage_rank_signals,
)

METHOD = {
    "version": "2026.11.2",
    # The four parts of `overall` (they sum to 1).
    "weights": {"adoption": 0.35, "quality": 0.30, "ecosystem": 0.20, "match_graph": 0.15},
    # Adoption: log-scaled counters, normalized within each kind.
    "adoption": {"downloads": 0.45, "likes": 0.30, "spaces": 0.10, "children": 0.15},
    # Quality: card completeness and structure, licence, eval results; problems are penalties.
    "quality": {"card_length": 0.20, "sections": 0.35, "license": 0.15, "evidence": 0.15, "metadata": 0.15},
    "quality_card_length_full": 3000,  # characters at which card length earns its full share
    "quality_sections": ("description", "intended_uses", "limitations", "training_data", "evaluation", "citation"),
    "quality_penalty_per_error": 0.10,
    "quality_penalty_max": 0.30,
    # Ecosystem: how many ways it can be used, and what is built on it.
    "ecosystem": {"libraries": 0.20, "formats": 0.25, "inference": 0.20, "spaces": 0.15, "built_on": 0.20},
    "ecosystem_libraries_full": 2,
    "ecosystem_formats_full": 3,
    # Match graph edges.
    "edges": {"trained_on": 1.0, "evaluated_on": 0.8, "fine_tuned_from": 1.0, "similar_max": 0.6},
    "similar": {"max_df": 50, "min_shared": 2, "per_artifact": 10},
    # A raw signal is divided by this quantile of the non-zero values of its kind, then capped at 1:
    # the long tail of zeros does not move the scale, and one outlier does not flatten everyone else.
    "scale_quantile": 0.99,
}

PARTS = tuple(METHOD["weights"])  # adoption, quality, ecosystem, match_graph

# Card problems that cost quality (fetch failures are not the card's fault and cost nothing).
QUALITY_PENALTY_KINDS = ("card_yaml", "card_not_mapping", "card_metadata", "card_not_utf8")
ARTIFACT_COLUMNS = (
    "id",
    "kind",
    "repo_id",
    "task",
    "datasets",
    "base_models",
    "downloads",
    "likes",
    "spaces",
    "children",
    "libraries",
    "formats",
    "inference",
    "card_length",
    "gated",
    "card_sections",
    "has_license",
    "eval_count",
    "rows",
    "parameters",
    "languages",
    "errors",
    "card_validation_errors",
)


def rank(db) -> dict:
    """Rebuild the match graph, then score every artifact. Returns counts for the CLI.

    SQLite builds the graph and sorts the signals (db/graph.py); Python streams the rows once to compute
    each artifact's own signals and once more to score them: memory does not grow with the database."""
    edges = save_match_graph(db, METHOD["edges"], METHOD["similar"])
    rows = iter_rank_inputs(db, ARTIFACT_COLUMNS)
    count = stage_rank_signals(db, (raw_signals(r) for r in rows))
    scales = {
        kind: {key: robust_scale(db, kind, key) for key in ("adoption", "spaces", "built_on", "graph")}
        for kind in ("model", "dataset")
    }
    ranked_at = now_iso()
    replace_scores(db, (score_row(r, scales[r["kind"]], ranked_at) for r in iter_rank_signals(db)))
    save_search_order(db)
    return {"artifacts": count, "edges": edges}


def robust_scale(db, kind: str, signal: str) -> float:
    """The scale quantile of the non-zero values of a signal within a kind (0 when all are zero)."""
    count = count_nonzero_signals(db, kind, signal)
    if not count:
        return 0.0
    return nth_nonzero_signal(db, kind, signal, min(count - 1, int(METHOD["scale_quantile"] * (count - 1) + 0.5)))


def score_row(r: dict, scale: dict, ranked_at: str) -> dict:
    """An artifact's score from its raw signals and its kind's scales."""
    eco_w = METHOD["ecosystem"]
    parts = {
        "adoption": scaled(r["adoption"], scale["adoption"]),
        "quality": r["quality"],
        "ecosystem": r["ecosystem_own"]
        + eco_w["spaces"] * scaled(r["spaces"], scale["spaces"])
        + eco_w["built_on"] * scaled(r["built_on"], scale["built_on"]),
        "match_graph": scaled(r["graph"], scale["graph"]),
    }
    parts = {k: round(min(1.0, max(0.0, v)), 4) for k, v in parts.items()}
    weights = METHOD["weights"]
    return {
        "artifact_id": r["artifact_id"],
        "kind": r["kind"],
        "overall": round(100 * sum(weights[k] * parts[k] for k in weights), 1),
        **parts,
        "method_version": METHOD["version"],
        "ranked_at": ranked_at,
    }


def raw_signals(a: dict) -> dict:
    """What an artifact's row and its place in the match graph say, before normalization within its kind."""
    w = METHOD["adoption"]
    return {
        "artifact_id": a["id"],
        "kind": a["kind"],
        "adoption": sum(w[key] * math.log1p(count(a.get(key))) for key in w),
        "quality": quality_part(a),
        "ecosystem_own": ecosystem_own(a),
        "spaces": math.log1p(count(a.get("spaces"))),
        "built_on": math.log1p(a["graph_built_on"] + count(a.get("children"))),
        "graph": math.log1p(a["graph_degree"]),
    }


def count(value) -> float:
    """A counter as ranking reads it: anything but a non-negative finite number counts as 0.
    The crawl stores only valid counts, but anyone can write to the database."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return 0
    return value


def quality_part(a: dict) -> float:
    w = METHOD["quality"]
    sections = set(a.get("card_sections") or [])
    wanted = METHOD["quality_sections"]
    has_evidence = count(a.get("eval_count")) > 0 if a["kind"] == "model" else count(a.get("rows")) > 0
    declared = [a.get("task"), a.get("languages"), a.get("parameters") if a["kind"] == "model" else a.get("rows")]
    known = (
        w["license"] * (1.0 if a.get("has_license") else 0.0)
        + w["evidence"] * (1.0 if has_evidence else 0.0)
        + w["metadata"] * sum(1 for d in declared if d) / len(declared)
    )
    if a.get("gated") and a.get("card_length") is None:
        # The Hub would not serve the card (and no page showed it): judged on what is known of it
        # (licence, results, metadata from cardData), scaled to the whole part, not as an empty card.
        score = known / (w["license"] + w["evidence"] + w["metadata"])
    else:
        score = known + (
            w["card_length"]
            * min(1.0, math.log1p(count(a.get("card_length"))) / math.log1p(METHOD["quality_card_length_full"]))
            + w["sections"] * len(sections & set(wanted)) / len(wanted)
        )
    problems = [e for e in a.get("errors") or [] if e.get("kind") in QUALITY_PENALTY_KINDS]
    problems += a.get("card_validation_errors") or []
    penalty = min(METHOD["quality_penalty_max"], METHOD["quality_penalty_per_error"] * len(problems))
    return max(0.0, score - penalty)


def ecosystem_own(a: dict) -> float:
    """The parts of ecosystem that need no normalization (counts with a natural "enough")."""
    w = METHOD["ecosystem"]
    return (
        w["libraries"] * min(1.0, len(a.get("libraries") or []) / METHOD["ecosystem_libraries_full"])
        + w["formats"] * min(1.0, len(a.get("formats") or []) / METHOD["ecosystem_formats_full"])
        + w["inference"] * (1.0 if a.get("inference") else 0.0)
    )


def scaled(value: float, scale: float) -> float:
    return min(1.0, value / scale) if scale > 0 else 0.0
