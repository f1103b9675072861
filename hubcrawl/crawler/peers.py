"""Peer statistics for comparison lines: an artifact's peers are the other artifacts of its kind and
task. Each group's values are collected and sorted once, and shared by every record."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

SHARED_MEASURES = ("datasets", "base_models")  # lists whose names peers share: the top holders of each are kept
TOP_HOLDERS = 4  # enough to name three besides the artifact itself
SCALAR_MEASURES = ("parameters", "rows", "context_length")  # compared by value; lists by their length
ARCHITECTURE_MEASURES = ("layers", "hidden_size", "kv_heads")  # config.json facts peers are compared on


@dataclass
class PeerGroup:
    """Statistics of one (kind, task) group."""

    members: list[str] = field(default_factory=list)
    downloads: list[int] = field(default_factory=list)  # sorted ascending
    values: dict[str, list[float]] = field(default_factory=dict)  # sorted ascending, per measure
    counts: dict[str, Counter] = field(default_factory=dict)  # how many members have each format, dataset …
    holders: dict[str, list[tuple[float, str]]] = field(default_factory=dict)  # (value, id), sorted, per measure
    # per list measure and name: the most downloaded members listing it, as (downloads, id), most first
    top_holders: dict[str, dict[str, list[tuple[int, str]]]] = field(default_factory=dict)


class Peers:
    """Every group of a database, and the eval results peers report, by (kind, task, dataset, metric)."""

    def __init__(self, artifacts: Iterable[dict], eval_rows: Iterable[dict]) -> None:
        """`artifacts` is read once, row by row (a stream from the database is not held); each eval row
        carries its artifact's `kind` and `task`."""
        self.groups: dict[tuple, PeerGroup] = defaultdict(PeerGroup)
        for a in artifacts:
            add_member(self.groups[group_key(a)], a)
        for g in self.groups.values():
            g.downloads.sort()
            for values in g.values.values():
                values.sort()
            for holders in g.holders.values():
                holders.sort()
        self.evals: dict[str, list[dict]] = defaultdict(list)
        for r in eval_rows:
            # training-split numbers are not evaluation; a number without its dataset compares with nothing
            if (r["split"] or "").lower() != "train" and r["dataset"]:
                self.evals[r["artifact_id"]].append(r)
        self.eval_values: dict[tuple, list[float]] = defaultdict(list)  # sorted, one value per artifact
        self.eval_holders: dict[tuple, list[tuple[float, str]]] = defaultdict(list)  # (value, id), sorted
        for artifact_id, results in self.evals.items():
            # One value per artifact, dataset and metric: the first it reports (as its own lines use).
            for e in {(e["dataset"], e["metric"]): e for e in reversed(results)}.values():
                key = (e["kind"], e["task"], e["dataset"], e["metric"])
                self.eval_values[key].append(e["value"])
                self.eval_holders[key].append((e["value"], artifact_id))
        for values in (*self.eval_values.values(), *self.eval_holders.values()):
            values.sort()

    def of(self, a: dict) -> PeerGroup:
        return self.groups[group_key(a)]


def group_key(a: dict) -> tuple[str, str | None]:
    return a["kind"], a["task"]


def add_member(g: PeerGroup, a: dict) -> None:
    g.members.append(a["id"])
    g.downloads.append(a["downloads"] or 0)
    g.holders.setdefault("downloads", []).append((a["downloads"] or 0, a["id"]))
    for measure in SCALAR_MEASURES:
        if a[measure]:
            g.values.setdefault(measure, []).append(a[measure])
            g.holders.setdefault(measure, []).append((a[measure], a["id"]))
    facts = a["architecture"] if isinstance(a["architecture"], dict) else {}
    for fact in ARCHITECTURE_MEASURES:
        value = facts.get(fact, {}).get("value") if isinstance(facts.get(fact), dict) else None
        if isinstance(value, int):
            g.values.setdefault(fact, []).append(value)
    if a["labels"]:  # only classifiers and taggers state labels: the others are not peers on it
        g.values.setdefault("labels", []).append(len(a["labels"]))
    for measure in ("languages", "formats", "configs"):
        g.values.setdefault(measure, []).append(len(a[measure] or []))
    for measure in ("formats", "datasets", "base_models", "card_sections"):
        g.counts.setdefault(measure, Counter()).update(set(a[measure] or []))
    for measure in SHARED_MEASURES:
        by_name = g.top_holders.setdefault(measure, {})
        for name in set(a[measure] or []):
            top = by_name.setdefault(name, [])
            bisect.insort(top, (-(a["downloads"] or 0), a["id"]))
            del top[TOP_HOLDERS:]
    g.counts.setdefault("inference", Counter())[a["inference"]] += 1


def median_without(values: list[float], value: float) -> float:
    """The median of sorted `values` once one occurrence of `value` is left out, without copying the list:
    peer groups are large and every artifact needs its own."""
    skip = bisect.bisect_left(values, value)
    size = len(values) - 1

    def at(k: int) -> float:
        return values[k] if k < skip else values[k + 1]

    if size % 2:
        return at(size // 2)
    return (at(size // 2 - 1) + at(size // 2)) / 2


def nearest(holders: list[tuple[float, str]], value: float, own_id: str, k: int = 2) -> list[tuple[float, str]]:
    """The k peers whose value is closest to this one (ties: the larger value, then the id), itself left out."""
    at = bisect.bisect_left(holders, (value, ""))
    window = [h for h in holders[max(0, at - k - 1) : at + k + 1] if h[1] != own_id]
    return sorted(window, key=lambda h: (abs(h[0] - value), -h[0], h[1]))[:k]
