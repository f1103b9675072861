"""Peer statistics for comparison lines: an artifact's peers are the other artifacts of its kind and
task. Which values and names each artifact contributes is said here; SQLite keeps them, sorted and
counted, for the pass (db/peers.py), so a pass over the whole Hub holds lookups, not groups."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Iterator
from functools import lru_cache

from hubcrawl.db import eval_rows
from hubcrawl.db.peers import (
    count_peer_names,
    count_peer_values_below,
    eval_measure,
    is_eval_measure,
    peer_middle,
    peer_neighbours,
    peer_place,
    stage_peers,
    top_name_holders,
)

SHARED_MEASURES = ("datasets", "base_models")  # lists whose names peers share: the top holders of each are named
TOP_HOLDERS = 4  # enough to name three besides the artifact itself
SCALAR_MEASURES = ("parameters", "rows", "context_length")  # compared by value; lists by their length
ARCHITECTURE_MEASURES = ("layers", "hidden_size", "kv_heads")  # config.json facts peers are compared on
LENGTH_MEASURES = ("languages", "formats", "configs")  # lists compared by how many items they hold
NAMED_MEASURES = ("formats", "datasets", "base_models", "card_sections")  # lists whose names are counted
NEAREST_MEASURES = ("downloads", *SCALAR_MEASURES)  # measures whose nearest peers are named
EXCLUDED_SPLIT = "train"  # training-split numbers are not evaluation


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def member_values(a: dict) -> Iterator[tuple[str, float]]:
    """The (measure, value) pairs an artifact is compared on."""
    yield "downloads", a["downloads"] or 0
    for measure in SCALAR_MEASURES:
        if is_number(a[measure]) and a[measure]:
            yield measure, a[measure]
    facts = a["architecture"] if isinstance(a["architecture"], dict) else {}
    for fact in ARCHITECTURE_MEASURES:
        value = facts.get(fact, {}).get("value") if isinstance(facts.get(fact), dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            yield fact, value
    if a["labels"]:  # only classifiers and taggers state labels: the others are not peers on it
        yield "labels", len(a["labels"])
    for measure in LENGTH_MEASURES:
        yield measure, len(a[measure] or [])


def member_names(a: dict) -> Iterator[tuple[str, str | None]]:
    """The (measure, name) pairs an artifact lists: each name once, and its hosted inference mode."""
    for measure in NAMED_MEASURES:
        for name in sorted({n for n in a[measure] or [] if isinstance(n, str)}):
            yield measure, name
    yield "inference", a["inference"]


def compared_results(rows: Iterable[dict]) -> list[dict]:
    """An artifact's results that peers are compared on: with their dataset, and not training numbers."""
    return [r for r in rows if (r["split"] or "").lower() != EXCLUDED_SPLIT and r["dataset"]]


class Peers:
    """Every group of a database, staged once per pass; `of(a)` gives an artifact's group."""

    def __init__(self, db, artifacts: Iterable[dict]) -> None:
        """`artifacts` is read once, row by row (a stream from the database is not held)."""
        self.db = db
        stage_peers(db, (self.member_rows(a) for a in artifacts), EXCLUDED_SPLIT)
        # Groups and their medians are few and asked for often: the last few are kept.
        self.middle = lru_cache(maxsize=4096)(lambda kind, task, measure: peer_middle(db, kind, task, measure))

    @staticmethod
    def member_rows(a: dict) -> tuple[list, list]:
        group, downloads = (a["kind"], a["task"]), a["downloads"] or 0
        values = [(*group, measure, value, a["id"]) for measure, value in member_values(a)]
        names = [(*group, measure, name, downloads, a["id"]) for measure, name in member_names(a)]
        return values, names

    def of(self, a: dict) -> PeerGroup:
        return PeerGroup(self, a["kind"], a["task"])

    def results(self, artifact_id: str) -> list[dict]:
        return compared_results(eval_rows(self.db, artifact_id))


class PeerGroup:
    """One (kind, task) group, as the lines ask about it."""

    def __init__(self, peers: Peers, kind: str, task: str | None) -> None:
        self.peers, self.db, self.kind, self.task = peers, peers.db, kind, task

    @property
    def size(self) -> int:
        """Its members (every member has a downloads value)."""
        return self.stating("downloads")

    def stating(self, measure: str) -> int:
        """How many members state a measure (itself included when it does)."""
        return self.peers.middle(self.kind, self.task, measure)[0]

    def median_without(self, measure: str, value: float) -> float:
        """The median of the measure's values once one occurrence of `value` is left out: from the values around
        the median alone, since leaving one value out moves the median by at most one place."""
        size, around = self.peers.middle(self.kind, self.task, measure)
        size -= 1

        def at(k: int) -> float:  # the k-th value of the list without `value`
            return around[k] if around[k] < value else around[k + 1]

        if size % 2:
            return at(size // 2)
        return (at(size // 2 - 1) + at(size // 2)) / 2

    def below(self, measure: str, value: float, own_id: str) -> int:
        """How many values of the measure are under `value` (from the artifact's own place when it is its value)."""
        own = peer_place(self.db, own_id, measure)
        if own and own[0] == value:
            return own[1]
        return count_peer_values_below(self.db, self.kind, self.task, measure, value)

    def place_from_top(self, measure: str, own_id: str) -> int:
        """1 + how many members have more of the measure than the artifact."""
        own = peer_place(self.db, own_id, measure)
        return own[2] if own else 1

    def nearest(self, measure: str, value: float, own_id: str, k: int = 2) -> list[tuple[float, str]]:
        """The k peers whose value is closest (ties: the larger value, then the id), itself left out."""
        if measure not in NEAREST_MEASURES and not is_eval_measure(measure):
            return []
        return nearest(peer_neighbours(self.db, self.kind, self.task, measure, value, k), value, own_id, k)

    def count(self, measure: str, name: str | None) -> int:
        """How many members list a name (or have this inference mode)."""
        return count_peer_names(self.db, self.kind, self.task, measure, name)

    def top_holders(self, measure: str, name: str) -> list[str]:
        return top_name_holders(self.db, self.kind, self.task, measure, name, TOP_HOLDERS)


def result_measure(result: dict) -> str:
    return eval_measure(result["dataset"], result["metric"])


def nearest(holders: list[tuple[float, str]], value: float, own_id: str, k: int = 2) -> list[tuple[float, str]]:
    """The k holders whose value is closest to this one (ties: the larger value, then the id), itself left out.
    `holders` is sorted by (value, id)."""
    at = bisect.bisect_left(holders, (value, ""))
    window = [h for h in holders[max(0, at - k - 1) : at + k + 1] if h[1] != own_id]
    return sorted(window, key=lambda h: (abs(h[0] - value), -h[0], h[1]))[:k]
