"""Comparison records: "A vs B" with a feature table, both sides' capabilities measured against their
peers, and a verdict that names what decided it.

Peers of an artifact are the other artifacts of its kind and task (its kind alone when it has no
task). Every number in a **Unique** or **vs alternatives** line comes with its `basis`: the values
and peer statistics it was computed from, so it can be recomputed from the database.
"""

from __future__ import annotations

from collections import OrderedDict

import inflect

from hubcrawl.crawler.capabilities import ARCHITECTURE_PHRASES, ASPECTS, human_count
from hubcrawl.crawler.clock import now_iso
from hubcrawl.crawler.peers import ARCHITECTURE_MEASURES, SCALAR_MEASURES, Peers, result_measure
from hubcrawl.crawler.ranking import METHOD, PARTS
from hubcrawl.db import (
    DatabaseError,
    artifact_row,
    capability_rows,
    comparison_stands,
    comparison_state,
    count_capabilities,
    get_scores,
    iter_artifact_rows,
    stage_pairs,
    staged_pairs,
    times_matched,
    to_json,
)

PART_LABELS = {"adoption": "Adoption", "quality": "Quality", "ecosystem": "Ecosystem", "match_graph": "Match Graph"}
PEER_COLUMNS = (
    "id",
    "license",
    "last_modified",
    "context_length",
    "labels",
    "architecture",
    "kind",
    "repo_id",
    "sha",
    "task",
    "downloads",
    "parameters",
    "formats",
    "languages",
    "rows",
    "size_categories",
    "display_name",
    "configs",
    "card_sections",
    "datasets",
    "base_models",
    "inference",
    "pricing",
)
SIDES_KEPT = 2048  # capability sides kept in memory during a pass (each is recomputed if needed again)
DOWNLOADS_WINDOW_DAYS = 30  # the Hub's `downloads` counts the last 30 days


class RowCache:
    """A mapping read through to the database on a miss, keeping the last `size` rows (a missing row is None
    to `get` and a KeyError to `[]`)."""

    def __init__(self, fetch, size: int = 4096) -> None:
        self.fetch, self.size, self.rows = fetch, size, OrderedDict()

    def get(self, key: str, default=None):
        if key in self.rows:
            self.rows.move_to_end(key)
            return self.rows[key]
        row = self.fetch(key)
        self.rows[key] = row
        if len(self.rows) > self.size:
            self.rows.popitem(last=False)
        return row if row is not None else default

    def __getitem__(self, key: str):
        row = self.get(key)
        if row is None:
            raise KeyError(key)
        return row


class Comparator:
    """Holds what comparisons read (artifacts, scores, capabilities, peers) for one pass over the database."""

    def __init__(self, db) -> None:
        # Rows and scores are read per artifact when a record or a line needs them, the last few kept; the
        # peer statistics are staged in SQLite (db/peers.py): a pass holds nothing for every artifact.
        self.artifacts = RowCache(lambda i: artifact_row(db, i, PEER_COLUMNS))
        self.scores = RowCache(lambda i: get_scores(db, i))
        self.peers = Peers(db, iter_artifact_rows(db, PEER_COLUMNS))
        self.db = db
        # Sides are computed on demand from each artifact's own capability rows, and only a few are kept.
        self.sides: OrderedDict[str, list[dict]] = OrderedDict()
        self.created_at = now_iso()

    # -- the lines under each capability -------------------------------------------------------

    def side(self, artifact_id: str) -> list[dict]:
        """An artifact's capabilities with their Unique / vs alternatives lines (the last few kept)."""
        if artifact_id in self.sides:
            self.sides.move_to_end(artifact_id)
            return self.sides[artifact_id]
        a = self.artifacts[artifact_id]
        side = [
            dict(
                {k: v for k, v in cap.items() if k != "evidence"}, **self.lines(a, cap["aspect"], cap["evidence"] or [])
            )
            for cap in capability_rows(self.db, artifact_id)
        ]
        self.sides[artifact_id] = side
        if len(self.sides) > SIDES_KEPT:
            self.sides.popitem(last=False)
        return side

    def count(self, artifact_id: str) -> int:
        """How many capabilities an artifact has (its side if kept, else counted by SQLite: nothing per artifact
        is held for the whole pass)."""
        if artifact_id in self.sides:
            return len(self.sides[artifact_id])
        return count_capabilities(self.db, artifact_id)

    def side_row(self, artifact_id: str) -> dict:
        """An artifact's `comparison_sides` row: its capabilities with their lines, encoded once and stored once
        however many records it is in."""
        return {
            "artifact_id": artifact_id,
            "capabilities": to_json(self.side(artifact_id)),
            "method_version": METHOD["version"],
            "created_at": self.created_at,
        }

    def lines(self, a: dict, aspect: str, evidence: list[dict] = ()) -> dict:
        g = self.peers.of(a)
        n = g.size - 1  # peers exclude the artifact itself
        group = f"{a['kind']}s tagged “other”" if a["task"] == "other" else f"{a['task'] or 'untagged'} {a['kind']}s"
        if n <= 0:  # said once, under the task; the other capabilities have nothing to be measured against
            text = f"No other {one_of(group)} is in the database to compare with."
            return {"unique": text if aspect == "task" else None, "vs_alternatives": None, "basis": {"peers": 0}}
        if aspect == "evals":  # measured on the results this capability shows, not another one's
            return self.lines_evals(a, g, n, group, evidence)
        # A row written by another hubcrawl may name an aspect this one does not know: it is measured as
        # what every capability is, a capability of its task.
        return LINE_MAKERS.get(aspect, Comparator.lines_task)(self, a, g, n, group)

    def lines_task(self, a, g, n, group):
        """Unique: its size against the peers nearest in size (or, with no size, being the most downloaded).
        vs alternatives: its downloads against the peers nearest in downloads, by name."""
        downloads = a["downloads"] or 0
        rank = g.place_from_top("downloads", a["id"])  # 1 = most downloaded
        peer_median = g.median_without("downloads", downloads)
        close = g.nearest("downloads", downloads, a["id"])
        basis = {
            "nearest": close,
            "measure": "downloads",
            "value": downloads,
            "rank": rank,
            "group_size": n + 1,
            "peer_median": peer_median,
            "peers": n,
            "window_days": DOWNLOADS_WINDOW_DAYS,
        }
        unique = None
        # A model's size has no capability of its own (a dataset's rows have theirs): it is said here.
        params = a["parameters"] if a["kind"] == "model" else None
        near_size = g.nearest("parameters", params, a["id"]) if params else []
        if near_size:
            shown = [(human_count(v), i) for v, i in near_size]
            unique = (
                f"{human_count(params)} parameters, against "
                + " and ".join(f"{v} for {i}" for v, i in shown)
                + f", the {group} nearest in size."
            )
            basis["size"] = {"measure": "parameters", "value": params, "display": human_count(params), "nearest": shown}
        elif rank == 1:
            unique = f"The most downloaded of the {n + 1:,} {group} in the last {DOWNLOADS_WINDOW_DAYS} days."
        vs = (
            f"{counted(downloads, 'download')} in the last {DOWNLOADS_WINDOW_DAYS} days, against "
            + ", ".join(f"{fmt(v)} for {i}" for v, i in close)
            + f" (the {group} nearest in downloads; peer median {fmt(peer_median)} over {counted(n, 'peer')})."
        )
        return {"unique": unique, "vs_alternatives": vs, "basis": basis}

    def nearest_by_downloads(self, a, g, k: int = 4) -> list[str]:
        """The ids of the k peers nearest in downloads: the alternatives a user weighs it against."""
        return [i for _, i in g.nearest("downloads", a["downloads"] or 0, a["id"], k)]

    def numeric_lines(self, a, g, n, group, measure: str, noun: str):
        value = a[measure] if measure in SCALAR_MEASURES else len(a[measure] or [])
        if not value:
            return nothing_to_measure(n)
        stating = g.stating(measure) - 1  # peers that state it: the artifact itself left out
        if not stating:
            text = f"No other {one_of(group)} states its {WORDS.plural_noun(noun)}."
            return {"unique": text, "vs_alternatives": None, "basis": {"measure": measure, "value": value, "peers": 0}}
        peer_median = g.median_without(measure, value)
        below = g.below(measure, value, a["id"])  # peers with less: the artifact itself is not below itself
        close = g.nearest(measure, value, a["id"])
        share = round(100 * below / stating)
        stated = f"{fmt(value)} {WORDS.plural_noun(noun, value)}"
        return {
            "unique": f"{stated}: {rank_among(below, stating, 'more than', 'states')} ({group}).",
            "vs_alternatives": f"{stated} vs a peer median of {fmt(peer_median)} ({counted(stating, 'peer')})"
            f"{named(close, fmt)}.",
            "basis": {
                "nearest": close,
                "measure": measure,
                "value": value,
                "peer_median": peer_median,
                "peers": stating,
                "peers_below": below,
                "share_below": share,
            },
        }

    def lines_architecture(self, a, g, n, group):
        """Its context against the peers that state one; its layers, width and key/value heads against
        the medians of the peers whose config states them."""
        lines = self.numeric_lines(a, g, n, group, "context_length", "position")
        facts = a["architecture"] or {}
        compared, basis = [], {}
        for fact in ARCHITECTURE_MEASURES:
            phrase = dict(ARCHITECTURE_PHRASES)[fact]
            value = facts.get(fact, {}).get("value")
            stating = g.stating(fact)
            if not isinstance(value, int) or stating < 2:
                continue
            peer_median = g.median_without(fact, value)
            compared.append(
                f"{phrase.format(f'{value:,}')} vs a median of {fmt(peer_median)} over {counted(stating - 1, 'peer')}"
            )
            basis[fact] = {"value": value, "peer_median": peer_median, "peers": stating - 1}
        if compared:
            lines["vs_alternatives"] = "; ".join(compared) + " (config.json)."
            lines["basis"] = dict(lines["basis"], architecture=basis)
        return lines

    def lines_labels(self, a, g, n, group):
        return self.numeric_lines(a, g, n, group, "labels", "label")

    def lines_size(self, a, g, n, group):
        return self.numeric_lines(a, g, n, group, "parameters", "parameter")

    def lines_scale(self, a, g, n, group):
        return self.numeric_lines(a, g, n, group, "rows", "row")

    def lines_languages(self, a, g, n, group):
        return self.numeric_lines(a, g, n, group, "languages", "language")

    def lines_configs(self, a, g, n, group):
        return self.numeric_lines(a, g, n, group, "configs", "configuration")

    def lines_formats(self, a, g, n, group):
        """Unique only when few peers ship its rarest format; vs alternatives names the nearest peers that do not."""
        own = [f for f in a["formats"] or [] if isinstance(f, str)]
        if not own:
            return nothing_to_measure(n)
        shares = {f: g.count("formats", f) - 1 for f in own}  # peers with it, the artifact itself left out
        rarest = min(own, key=lambda f: (shares[f], f))
        typical = g.median_without("formats", len(a["formats"]))
        without = [i for i in self.nearest_by_downloads(a, g) if rarest not in (self.artifacts[i]["formats"] or [])]
        return {
            "unique": f"Ships {rarest}; {share_of(shares[rarest], n)} {WORDS.plural_verb('does', shares[rarest])}."
            if distinctive(shares[rarest], n)
            else None,
            "vs_alternatives": f"Of its nearest alternatives by downloads, {join(without)} "
            f"{WORDS.plural_verb('ships', len(without))} no {rarest}."
            if without
            else None,
            "basis": {
                "measure": "formats",
                "format": rarest,
                "peers_with": shares[rarest],
                "peers": n,
                "share": pct(shares[rarest], n),
                "value": len(own),
                "peer_median": typical,
                "without": without,
            },
        }

    def lines_evals(self, a, g, n, group, evidence: list[dict] = ()):
        shown = {(e.get("dataset"), e.get("metric")) for e in evidence if e.get("metric")}
        results = [
            e for e in self.peers.results(a["id"]) if ((e["dataset_name"] or e["dataset"]), e["metric"]) in shown
        ]
        if not results:
            return nothing_to_measure(n)
        e = results[0]
        measure = result_measure(e)
        reporting = g.stating(measure)
        if reporting < 2:
            text = f"No other {one_of(group)} reports {e['metric']} on {e['dataset']}."
            return {
                "unique": text,
                "vs_alternatives": None,
                "basis": {
                    "measure": "eval",
                    "dataset": e["dataset"],
                    "metric": e["metric"],
                    "value": e["value"],
                    "peers": 0,
                },
            }
        below = g.below(measure, e["value"], a["id"])
        peer_median = g.median_without(measure, e["value"])
        close = g.nearest(measure, e["value"], a["id"])
        return {
            "unique": f"{e['metric']} {e['value']:.4g} on {e['dataset']}: {rank_among(below, reporting - 1, 'above', 'reports')}.",
            "vs_alternatives": f"{e['metric']} {e['value']:.4g} vs a peer median of {peer_median:.4g} on the same dataset "
            f"and metric{named(close, lambda v: f'{v:.4g}')}.",
            "basis": {
                "nearest": close,
                "measure": "eval",
                "dataset": e["dataset"],
                "metric": e["metric"],
                "value": e["value"],
                "peers": reporting - 1,
                "peers_below": below,
                "peer_median": peer_median,
            },
        }

    def shared_lines(self, a, g, n, group, measure: str, noun: str):
        """Unique: a name no peer shares. vs alternatives: the most downloaded peers sharing its most shared name."""
        own = sorted({v for v in a[measure] or [] if isinstance(v, str)})
        if not own:
            return nothing_to_measure(n)
        counts = {v: g.count(measure, v) for v in own}
        name = max(own, key=lambda v: (counts[v], v))
        rarest = min(own, key=lambda v: (counts[v], v))
        shared = counts[name] - 1
        sharing = [i for i in g.top_holders(measure, name) if i != a["id"]][:3]
        return {
            "unique": f"No other {one_of(group)} lists {rarest} as {noun}." if counts[rarest] == 1 else None,
            "vs_alternatives": f"{sentence_start(share_of(shared, n))} also {WORDS.plural_verb('lists', shared)} "
            f"{name} as {noun}, the most downloaded being {join(sharing)}."
            if sharing
            else None,
            "basis": {
                "measure": measure,
                "name": name,
                "peers_with": shared,
                "peers": n,
                "share": pct(shared, n),
                "rarest": rarest,
                "sharing": sharing,
            },
        }

    def lines_training_data(self, a, g, n, group):
        return self.shared_lines(a, g, n, group, "datasets", "training data")

    def lines_base_model(self, a, g, n, group):
        return self.shared_lines(a, g, n, group, "base_models", "base model")

    def section_lines(self, a, g, n, group, section: str, noun: str):
        """Unique only when few peers document it; vs alternatives names the nearest peers that do not."""
        has = section in (a["card_sections"] or [])
        peers_with = g.count("card_sections", section) - (1 if has else 0)
        without = [
            i for i in self.nearest_by_downloads(a, g) if section not in (self.artifacts[i]["card_sections"] or [])
        ]
        return {
            "unique": f"Documents {noun}; {share_of(peers_with, n)} {WORDS.plural_verb('does', peers_with)}."
            if has and distinctive(peers_with, n)
            else None,
            "vs_alternatives": f"Of its nearest alternatives by downloads, {join(without)} "
            f"{WORDS.plural_verb('documents', len(without))} no {noun}."
            if has and without
            else None,
            "basis": {
                "measure": "card_section",
                "section": section,
                "peers_with": peers_with,
                "peers": n,
                "share": pct(peers_with, n),
                "without": without,
            },
        }

    def lines_uses(self, a, g, n, group):
        return self.section_lines(a, g, n, group, "intended_uses", "intended uses")

    def lines_limitations(self, a, g, n, group):
        return self.section_lines(a, g, n, group, "limitations", "limitations")

    def lines_curation(self, a, g, n, group):
        return self.section_lines(a, g, n, group, "curation", "curation")

    def lines_inference(self, a, g, n, group):
        peers_with = g.count("inference", a["inference"]) - 1
        return {
            "unique": f"{sentence_start(share_of(peers_with, n))} {WORDS.plural_verb('offers', peers_with)} the same hosted inference ({a['inference']}).",
            "vs_alternatives": f"Deployable without custom serving code, unlike {n - peers_with} of {n} {group}.",
            "basis": {
                "measure": "inference",
                "mode": a["inference"],
                "peers_with": peers_with,
                "peers": n,
                "share": pct(peers_with, n),
                "peers_without": n - peers_with,
            },
        }

    # -- records ---------------------------------------------------------------------------------

    def times_matched_after(self, pairs: list[tuple[str, str]]) -> dict[str, int]:
        """How many stored records each artifact of these pairs is in once they are stored too: a record
        shows that count (a pair stored already is not counted again)."""
        matched: dict[str, int] = {}
        for a_id, b_id in pairs:
            new = comparison_state(self.db, f"{a_id}|{b_id}") is None
            for artifact_id in (a_id, b_id):
                matched[artifact_id] = matched.get(artifact_id, times_matched(self.db, artifact_id)) + new
        return matched

    def is_current(self, a_id: str, b_id: str) -> bool:
        """The stored record was made from these sides' commits and scores, by this method: it stands."""
        return comparison_stands(self.db, f"{a_id}|{b_id}")

    def matched(self, matched, artifact_id: str) -> int:
        count = matched.get(artifact_id)
        return times_matched(self.db, artifact_id) if count is None else count

    def record(self, a_id: str, b_id: str, times_matched=None, capabilities: bool = True) -> dict:
        """The "A vs B" record; without `capabilities` (what `comparisons` stores: the sides are stored apart)
        it counts each side's capabilities instead of holding them."""
        a, b = self.artifacts[a_id], self.artifacts[b_id]
        sa, sb = self.scores.get(a_id), self.scores.get(b_id)
        if sa is None or sb is None:
            raise DatabaseError("run `hubcrawl rank` first: the artifacts have no scores yet")
        matched = times_matched if times_matched is not None else {}  # a mapping (or a RowCache) of counts
        name_a, name_b = a["repo_id"], b["repo_id"]
        caps_a, caps_b = (self.side(a_id), self.side(b_id)) if capabilities else (None, None)
        n_a, n_b = (len(caps_a), len(caps_b)) if capabilities else (self.count(a_id), self.count(b_id))
        features = [
            {"name": "Type", "a": a["kind"].capitalize(), "b": b["kind"].capitalize()},
            {
                "name": "Score",
                "a": f"{sa['overall']:g}/100",
                "b": f"{sb['overall']:g}/100",
                "a_value": sa["overall"],
                "b_value": sb["overall"],
            },
        ]
        for part in PARTS:
            features.append(
                {
                    "name": PART_LABELS[part],
                    "key": part,
                    "a": f"{sa[part]:.2f}",
                    "b": f"{sb[part]:.2f}",
                    "a_value": sa[part],
                    "b_value": sb[part],
                }
            )
        features += [{"name": "Pricing", "a": a["pricing"], "b": b["pricing"]}]
        features += [{"name": name, "a": show(a), "b": show(b)} for name, show in DESCRIPTIVE_ROWS]
        features += [
            {"name": "Capabilities", "a": f"{n_a} decomposed", "b": f"{n_b} decomposed"},
            {"name": "Times Matched", "a": self.matched(matched, a_id), "b": self.matched(matched, b_id)},
        ]
        winner, loser = (name_a, name_b) if sa["overall"] >= sb["overall"] else (name_b, name_a)
        hi, lo = max(sa["overall"], sb["overall"]), min(sa["overall"], sb["overall"])
        tied = sa["overall"] == sb["overall"]
        summary = (
            f"{name_a} and {name_b} tie at {hi:g}/100."
            if tied
            else f"{winner} ranks higher at {hi:g}/100 vs {loser} at {lo:g}/100."
        )
        summary += f" {n_a} vs {n_b} decomposed capabilities, each measured against its own peers."
        return {
            "title": f"{name_a} vs {name_b}",
            "summary": summary,
            "a": {"kind": a["kind"], "repo_id": a["repo_id"], "id": a_id},
            "b": {"kind": b["kind"], "repo_id": b["repo_id"], "id": b_id},
            "features": features,
            **({"capabilities": {"a": caps_a, "b": caps_b}} if capabilities else {}),
            "verdict": verdict(name_a, name_b, sa, sb),
            "method_version": METHOD["version"],
            "created_at": self.created_at,
        }

    def stored_row(self, record: dict) -> dict:
        """The `comparisons` row: the record without its capability lists, which each side's
        `comparison_sides` row holds once (the `comparison_records` view joins them back)."""
        a_id, b_id = record["a"]["id"], record["b"]["id"]
        head = {k: v for k, v in record.items() if k != "capabilities"}
        return {
            "id": f"{a_id}|{b_id}",
            "a_id": a_id,
            "b_id": b_id,
            "title": record["title"],
            "record": to_json(head),
            "a_sha": self.artifacts[a_id]["sha"],
            "b_sha": self.artifacts[b_id]["sha"],
            "a_overall": self.scores[a_id]["overall"],
            "b_overall": self.scores[b_id]["overall"],
            "method_version": METHOD["version"],
            "created_at": record["created_at"],
        }


def architecture_summary(a: dict) -> str:
    """The config facts a reader compares first, from the artifact's config.json (— when none was read)."""
    facts = a.get("architecture") or {}
    parts = [
        template.format(f"{facts[name]['value']:,}")
        for name, template in (
            ("layers", "{} layers"),
            ("hidden_size", "hidden {}"),
            ("heads", "{} heads"),
            ("kv_heads", "{} KV heads"),
            ("context_length", "{} positions"),
        )
        if name in facts
    ]
    return ", ".join(parts) or "—"


def size_cell(a: dict) -> str:
    if a["kind"] == "model":
        return f"{human_count(a['parameters'])} parameters" if a["parameters"] else "—"
    if a["rows"]:
        return f"{human_count(a['rows'])} rows"
    categories = [c for c in a.get("size_categories") or [] if c.lower() != "unknown"]
    return f"{', '.join(categories)} rows (size category)" if categories else "—"


def languages_cell(a: dict) -> str:
    langs = a["languages"] or []
    return ", ".join(langs[:3]) + (f" (+{len(langs) - 3} more)" if len(langs) > 3 else "") if langs else "—"


# Rows of the feature table that describe each side (the reference rows around them stay as users know them).
DESCRIPTIVE_ROWS = (
    ("Name", lambda a: a["display_name"] or a["repo_id"].split("/")[-1]),
    ("Licence", lambda a: a["license"] or "—"),
    ("Task", lambda a: a["task"] or "—"),
    ("Parameters / Rows", size_cell),
    ("Languages", languages_cell),
    ("Base model", lambda a: ", ".join((a["base_models"] or [])[:2]) or "—"),
    ("Formats", lambda a: ", ".join((a["formats"] or [])[:6]) or "—"),
    ("Hosted inference", lambda a: a["inference"] or "—"),
    ("Architecture", architecture_summary),
    ("Last updated", lambda a: (a["last_modified"] or "")[:10] or "—"),
)


def verdict(name_a: str, name_b: str, sa: dict, sb: dict) -> str:
    """Who scores higher, which parts each leads on, and each part's signed share of the gap in points."""
    weights = METHOD["weights"]
    contributions = {p: 100 * weights[p] * (sa[p] - sb[p]) for p in PARTS}
    a_leads = [PART_LABELS[p].lower() for p in PARTS if sa[p] > sb[p]]
    b_leads = [PART_LABELS[p].lower() for p in PARTS if sb[p] > sa[p]]
    if sa["overall"] == sb["overall"]:
        head = f"{name_a} and {name_b} tie at {sa['overall']:g}/100."
    else:
        winner_is_a = sa["overall"] > sb["overall"]
        winner, loser = (name_a, name_b) if winner_is_a else (name_b, name_a)
        ws, ls = (sa, sb) if winner_is_a else (sb, sa)
        head = f"{winner} scores higher at {ws['overall']:g}/100 vs {loser} at {ls['overall']:g}/100."
    sides = []
    if a_leads:
        sides.append(f"{name_a} leads on {join(a_leads)}")
    if b_leads:
        sides.append(f"{name_b} is stronger on {join(b_leads)}")
    body = (" " + ", while ".join(sides) + ".") if sides else " They are level on every part."
    if any(round(c, 1) for c in contributions.values()):
        # Signed, in points of the overall score (A minus B): they add up to the gap, up to rounding.
        signed = ", ".join(f"{PART_LABELS[p].lower()} {points(contributions[p])}" for p in PARTS)
        body += f" Each part's share of the difference ({name_a} minus {name_b}, in points): {signed}."
    return head + body


def points(value: float) -> str:
    """+12.3 / −2.1 / 0.0: a part's signed contribution, with a real minus sign."""
    value = round(value, 1)
    return "0.0" if value == 0 else f"{'+' if value > 0 else '−'}{abs(value):.1f}"


def join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def render_markdown(record: dict) -> str:
    a, b = record["a"]["repo_id"], record["b"]["repo_id"]
    lines = [f"# {record['title']}", "", record["summary"], "", f"| Feature | {a} | {b} |", "|---|---|---|"]
    lines += [f"| {f['name']} | {f['a']} | {f['b']} |" for f in record["features"]]
    for side, name in (("a", a), ("b", b)):
        lines += ["", f"## {name} Capabilities", render_capabilities(record["capabilities"][side])]
    lines += ["## Verdict", "", record["verdict"], ""]
    return "\n".join(lines)


def render_capabilities(caps: list[dict]) -> str:
    lines = []
    for cap in caps:
        lines += ["", f"### {cap['title']}", "", cap["text"]]
        for label, key in (("Unique", "unique"), ("vs alternatives", "vs_alternatives")):
            if cap.get(key):  # a line with nothing distinctive to say is left out, not filled
                lines += ["", f"**{label}:** {cap[key]}"]
    return "\n".join(lines + [""])


def fmt(value: float) -> str:
    """Whole numbers with separators; halves from medians kept."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


WORDS = inflect.engine()  # plurals and verb agreement


def counted(n: int, noun: str) -> str:
    """`1 peer`, `2,431 peers`."""
    return f"{n:,} {WORDS.plural_noun(noun, n)}"


def one_of(group: str) -> str:
    """`question-answering models` -> `question-answering model`; `datasets tagged “other”` -> `dataset tagged …`."""
    head, tagged, tail = group.partition(" tagged ")
    return (WORDS.singular_noun(head) or head) + tagged + tail


def share_of(k: int, n: int) -> str:
    """How many of the n peers: `none of the 5 peers`, `2 of the 5 peers (40%)`, `all 5 peers`, `the one peer`."""
    if n == 1:
        return "the one peer" if k else "no peer"
    if k == 0:
        return f"none of the {n:,} peers"
    if k == n:
        return "both peers" if n == 2 else f"all {n:,} peers"
    return f"{k:,} of the {n:,} peers ({pct(k, n)}%)"


def rank_among(below: int, n: int, word: str, verb: str) -> str:
    """Where a value stands among the n peers that state (or report) one: `more than 3 of the 49 peers
    that state it`, `more than all 49 …`, `more than the one peer that states it`, `not more than any …`."""
    peers = f"the one peer that {verb} it" if n == 1 else f"the {n:,} peers that {WORDS.plural_verb(verb, n)} it"
    if below == 0:
        return f"not {word} any of {peers}"
    if below == n:
        return f"{word} {peers}" if n == 1 else f"{word} all {peers[4:]}"
    return f"{word} {below:,} of {peers}"


def named(close: list[tuple[float, str]], show) -> str:
    """`; nearest: 40,100 for org/a, 30,200 for org/b` — the closest peers by name, with their values."""
    return "; nearest: " + ", ".join(f"{show(v)} for {i}" for v, i in close) if close else ""


def sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def nothing_to_measure(peers: int) -> dict:
    """A capability whose measure the artifact does not state: no line rather than another capability's line."""
    return {"unique": None, "vs_alternatives": None, "basis": {"peers": peers}}


def distinctive(peers_with: int, peers: int) -> bool:
    """Something at most a third of the peers have is worth a Unique line; what most have is not."""
    return 3 * peers_with <= peers


def pct(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def pairs_for_all(db, per_artifact: int) -> list[tuple[str, str]]:
    """Each artifact's K strongest match-graph neighbours, as unordered pairs (no all-pairs pass), all at once
    (`compare --all` pages through them instead: see `stage_pairs`)."""
    stage_pairs(db, per_artifact)
    return list(staged_pairs(db))


# One line-maker per aspect, found once: an aspect without one is an error at import, not a silent fallback.
LINE_MAKERS = {aspect: getattr(Comparator, f"lines_{aspect}") for aspect in ASPECTS}
