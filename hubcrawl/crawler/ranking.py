"""Ranking: the match graph and a 0–100 score for every artifact. docs/ranking.md explains the method.

Every weight lives in METHOD, which carries a version; each stored score keeps its four parts and
that version. The same database gives the same scores: nothing here depends on time or order.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from hubcrawl.crawler.clock import now_iso
from hubcrawl.db import eval_rows, iter_artifact_rows, rare_term_postings, replace_edges, replace_scores

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


GRAPH_COLUMNS = ("id", "kind", "repo_id", "task", "datasets", "base_models")  # what the match graph reads


def rank(db) -> dict:
    """Rebuild the match graph, then score every artifact. Returns counts for the CLI."""
    graph, signals = load_artifacts(db)
    edges = build_edges(db, graph)
    replace_edges(db, edges)
    scores = score_signals(signals, edges)
    replace_scores(db, scores)
    return {"artifacts": len(scores), "edges": len(edges)}


def load_artifacts(db) -> tuple[dict[str, dict], dict[str, dict]]:
    """Each artifact, read once as a stream: what the match graph needs, and its own signals (the rest of
    the row is not kept)."""
    graph, signals = {}, {}
    for row in iter_artifact_rows(db, ("rowid as _rowid", *ARTIFACT_COLUMNS)):
        graph[row["id"]] = {"_rowid": row["_rowid"], **{c: row[c] for c in GRAPH_COLUMNS}}
        signals[row["id"]] = own_signals(row)
    return graph, signals


# -- the match graph ---------------------------------------------------------------------------


def name_index(artifacts: dict[str, dict], kind: str) -> dict[str, str]:
    """repo_id -> artifact id, plus bare names that only one repo has (legacy ids like `squad`)."""
    index, by_name = {}, defaultdict(list)
    for a in artifacts.values():
        if a["kind"] == kind:
            index[a["repo_id"].lower()] = a["id"]
            by_name[a["repo_id"].split("/")[-1].lower()].append(a["id"])
    for name, ids in by_name.items():
        if len(ids) == 1:
            index.setdefault(name, ids[0])
    return index


def build_edges(db, artifacts: dict[str, dict]) -> list[dict]:
    weights = METHOD["edges"]
    datasets, models = name_index(artifacts, "dataset"), name_index(artifacts, "model")
    edges: dict[tuple[str, str, str], float] = {}

    def add(source: str, target: str | None, kind: str, weight: float) -> None:
        if target and target != source:
            key = (source, target, kind)
            edges[key] = max(edges.get(key, 0.0), weight)

    for a in artifacts.values():
        if a["kind"] != "model":
            continue
        for name in a["datasets"] or []:
            add(a["id"], datasets.get(str(name).lower()), "trained_on", weights["trained_on"])
        for name in a["base_models"] or []:
            add(a["id"], models.get(str(name).lower()), "fine_tuned_from", weights["fine_tuned_from"])
    # A result without its dataset (a card's `Docs / Sec` column) is evidence of nothing to link to.
    for artifact_id, dataset in sorted({(e["artifact_id"], e["dataset"]) for e in eval_rows(db) if e["dataset"]}):
        add(artifact_id, datasets.get(str(dataset).lower()), "evaluated_on", weights["evaluated_on"])
    for source, target, weight in similar_pairs(db, artifacts):
        add(source, target, "similar", weight)
    return [{"source": s, "target": t, "kind": k, "weight": round(w, 4)} for (s, t, k), w in sorted(edges.items())]


def similar_pairs(db, artifacts: dict[str, dict]) -> list[tuple[str, str, float]]:
    """Artifacts of the same kind and task whose capability text shares rare terms (FTS5's index).

    Similarity = shared rare terms / sqrt(rare terms of each), each artifact keeping its strongest few.
    """
    cfg = METHOD["similar"]
    by_rowid = {a["_rowid"]: a for a in artifacts.values()}
    postings = rare_term_postings(db, cfg["max_df"])
    term_counts: Counter = Counter()
    shared: Counter = Counter()
    for docs in postings.values():
        term_counts.update(docs)
        groups = defaultdict(list)  # only same kind and task can be similar: pair within groups
        for doc in docs:
            a = by_rowid.get(doc)
            if a and a["task"]:
                groups[(a["kind"], a["task"])].append(doc)
        for members in groups.values():
            members.sort()
            for i, doc_a in enumerate(members):
                for doc_b in members[i + 1 :]:
                    shared[(doc_a, doc_b)] += 1
    best: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (doc_a, doc_b), count in shared.items():
        if count >= cfg["min_shared"]:
            a, b = by_rowid[doc_a], by_rowid[doc_b]
            similarity = count / math.sqrt(term_counts[doc_a] * term_counts[doc_b])
            best[a["id"]].append((similarity, b["id"]))
            best[b["id"]].append((similarity, a["id"]))
    pairs = {}
    for source, candidates in best.items():
        for similarity, target in sorted(candidates, key=lambda c: (-c[0], c[1]))[: cfg["per_artifact"]]:
            key = tuple(sorted((source, target)))
            pairs[key] = max(pairs.get(key, 0.0), similarity * METHOD["edges"]["similar_max"])
    return [(s, t, w) for (s, t), w in sorted(pairs.items())]


# -- scores ------------------------------------------------------------------------------------


def score_artifacts(artifacts: dict[str, dict], edges: list[dict]) -> list[dict]:
    """Scores of whole artifact rows."""
    return score_signals({a_id: own_signals(a) for a_id, a in artifacts.items()}, edges)


def score_signals(artifacts: dict[str, dict], edges: list[dict]) -> list[dict]:
    """Scores from each artifact's own signals (`own_signals`) and the match graph's edges."""
    degree: dict[str, float] = defaultdict(float)
    built_on: dict[str, int] = defaultdict(int)  # models trained on or fine-tuned from it
    for e in edges:
        degree[e["source"]] += e["weight"]
        degree[e["target"]] += e["weight"]
        if e["kind"] in ("trained_on", "fine_tuned_from"):
            built_on[e["target"]] += 1

    raw = {a_id: raw_signals(a, degree[a_id], built_on[a_id]) for a_id, a in artifacts.items()}
    scales = {}
    for kind in ("model", "dataset"):
        members = [raw[i] for i, a in artifacts.items() if a["kind"] == kind]
        scales[kind] = {
            key: robust_scale([m[key] for m in members]) for key in ("adoption", "spaces", "built_on", "graph")
        }

    weights, ranked_at, out = METHOD["weights"], now_iso(), []
    for a_id, a in artifacts.items():
        r, scale = raw[a_id], scales[a["kind"]]
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
        overall = round(100 * sum(weights[k] * parts[k] for k in weights), 1)
        out.append(
            {
                "artifact_id": a_id,
                "kind": a["kind"],
                "overall": overall,
                **parts,
                "method_version": METHOD["version"],
                "ranked_at": ranked_at,
            }
        )
    return out


def own_signals(a: dict) -> dict:
    """What an artifact's own row says, before the graph and before normalization within its kind."""
    w = METHOD["adoption"]
    return {
        "kind": a["kind"],
        "adoption": sum(w[key] * math.log1p(count(a.get(key))) for key in w),
        "quality": quality_part(a),
        "ecosystem_own": ecosystem_own(a),
        "spaces": math.log1p(count(a.get("spaces"))),
        "children": count(a.get("children")),
    }


def raw_signals(own: dict, graph_degree: float, built_on: int) -> dict:
    """Per-artifact signals before normalization within its kind."""
    return dict(own, built_on=math.log1p(built_on + own["children"]), graph=math.log1p(graph_degree))


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


def robust_scale(values: list[float]) -> float:
    """The scale quantile of the non-zero values (0 when all are zero)."""
    nonzero = sorted(v for v in values if v > 0)
    if not nonzero:
        return 0.0
    index = min(len(nonzero) - 1, int(METHOD["scale_quantile"] * (len(nonzero) - 1) + 0.5))
    return nonzero[index]


def scaled(value: float, scale: float) -> float:
    return min(1.0, value / scale) if scale > 0 else 0.0
