"""HTML for people: comparison records and artifact pages, rendered with Jinja2.

Autoescaping is on for every template: card-derived text (capability quotes, titles) can hold any
markup a card author wrote, and it must show as text, never run. The score chart is inline SVG: no
script on any page.
"""

from __future__ import annotations

import hashlib
import json
import re

from jinja2 import Environment, PackageLoader, select_autoescape

from hubcrawl.crawler.capabilities import human_count
from hubcrawl.crawler.clock import parse_iso
from hubcrawl.crawler.compare import PART_LABELS, WORDS
from hubcrawl.crawler.items import hub_page_url
from hubcrawl.crawler.ranking import PARTS

ENV = Environment(loader=PackageLoader("hubcrawl.crawler", "templates"), autoescape=select_autoescape(["html"]))
CHART_PARTS = [{"key": part, "label": PART_LABELS[part]} for part in PARTS]  # the score parts, in method order
COLORS = ("#0969da", "#bf8700")


def page_file(key: str) -> str:
    """A safe, short file name for an artifact id or a pair of them: the readable part in plain
    characters, cut to 100, and a hash of the whole key, so that two keys never share a name and
    no name passes the file system's 255-byte limit (`datasets/a/b` -> `datasets__a__b-1f2e….html`)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key.replace("/", "__")).strip("._")[:100]
    return f"{readable}-{hashlib.sha1(key.encode()).hexdigest()[:10]}.html"


def page_link(artifact_id: str, pages: dict[str, str], root: str | None) -> str | None:
    """The site's page of an artifact, relative to the page linking to it; None when the site has none."""
    return f"{root}artifacts/{pages[artifact_id]}" if root is not None and artifact_id in pages else None


def render_compare(record: dict, endpoint: str, pages: dict[str, str] | None = None, root: str | None = None) -> str:
    """A comparison page: standalone (`compare --format html`, `root` None) it links to the Hub; in the site it
    links to the index and to both artifacts' pages as well."""
    # Score rows by their part's key (records made before rows carried one: by its label).
    by_label = {label: key for key, label in PART_LABELS.items()}
    values = {f.get("key") or by_label.get(f["name"]): f for f in record["features"]}
    sides = []
    for index, side in enumerate(("a", "b")):
        scores = {p["key"]: values[p["key"]][f"{side}_value"] for p in CHART_PARTS}
        sides.append(
            {
                "key": side,
                "name": record[side]["repo_id"],
                "color": COLORS[index],
                "scores": scores,
                "hub": hub_page_url(endpoint, record[side]["kind"], record[side]["repo_id"]),
                "page": page_link(record[side]["id"], pages or {}, root),
            }
        )
    return ENV.get_template("compare.html").render(
        title=record["title"], record=record, parts=CHART_PARTS, sides=sides, root=root
    )


def render_artifact(view: dict, comparisons: list[dict], pages: dict[str, str], root: str = "../") -> str:
    """An artifact page of the site: score and its parts, fields, downloads over the crawl runs, lineage,
    capabilities with their evidence, reported results and the comparisons it is in."""
    scores = {p["key"]: view["scores"].get(p["key"]) or 0 for p in CHART_PARTS}
    sides = [{"name": view["repo_id"], "color": COLORS[0], "scores": scores}]
    fields = [
        (label, field_text(key, view[key])) for key, label in ARTIFACT_FIELDS if view.get(key) not in (None, "", [], {})
    ]
    return ENV.get_template("artifact.html").render(
        title=view["repo_id"],
        view=view,
        fields=fields,
        parts=CHART_PARTS,
        sides=sides,
        trend=trend_chart(view["history"]),
        lineage=lineage_graph(view, pages, root),
        comparisons=comparisons,
        root=root,
    )


def render_index(title: str, artifacts: list[dict]) -> str:
    """The site's index: artifacts grouped by kind, then by task (the largest groups first), best score first."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for a in artifacts:
        groups.setdefault((a["kind"], a["task"] or "no task declared"), []).append(a)
    kinds = []
    for kind in ("model", "dataset"):
        tasks = sorted(((t, rows) for (k, t), rows in groups.items() if k == kind), key=lambda g: (-len(g[1]), g[0]))
        if tasks:
            kinds.append({"kind": kind, "label": f"{kind.capitalize()}s", "tasks": tasks})
    return ENV.get_template("index.html").render(title=title, kinds=kinds, total=len(artifacts), root="")


# The artifact page's field table: (view key, label), in reading order.
ARTIFACT_FIELDS = (
    ("license", "Licence"),
    ("pricing", "Pricing"),
    ("tasks", "Tasks"),
    ("parameters", "Parameters"),
    ("rows", "Rows"),
    ("context_length", "Context length"),
    ("formats", "Formats"),
    ("libraries", "Libraries"),
    ("languages", "Languages"),
    ("base_models", "Base models"),
    ("datasets", "Training data"),
    ("downloads", "Downloads (30 days)"),
    ("likes", "Likes"),
    ("last_modified", "Last updated"),
    ("times_matched", "Times matched"),
)
TREND = {"width": 420, "height": 160, "left": 44, "right": 16, "top": 12, "bottom": 28}


def trend_chart(history: list[dict]) -> dict | None:
    """Points of the downloads-over-time chart (30-day downloads as each crawl run saw them), placed by time,
    from a zero baseline so that a small change looks small; None without any observation."""
    seen = [(parse_iso(h["seen_at"]), h["downloads"]) for h in history]
    seen = [(when, downloads) for when, downloads in seen if when is not None and isinstance(downloads, int)]
    if not seen:
        return None
    g = TREND
    plot_w, plot_h = g["width"] - g["left"] - g["right"], g["height"] - g["top"] - g["bottom"]
    first, last = seen[0][0], seen[-1][0]
    span = (last - first).total_seconds()
    top = max(d for _, d in seen) or 1
    points = []
    for when, downloads in seen:
        x = g["left"] + (plot_w * (when - first).total_seconds() / span if span else plot_w / 2)
        y = g["top"] + plot_h * (1 - downloads / top)
        points.append({"x": round(x, 1), "y": round(y, 1), "label": f"{when:%Y-%m-%d %H:%M}: {downloads:,}"})
    runs = WORDS.plural("crawl run", len(seen))
    caption = (
        f"30-day downloads as {len(seen)} {runs} saw them, from {human_count(seen[0][1])} on {first:%Y-%m-%d} "
        f"to {human_count(seen[-1][1])} on {last:%Y-%m-%d}."
        if len(seen) > 1
        else f"One crawl run has seen it so far ({human_count(seen[0][1])} on {first:%Y-%m-%d}): "
        "each later run adds a point."
    )
    return g | {
        "points": points,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points),
        "top_label": human_count(top),
        # Runs of one day are told apart by their time.
        "first_label": f"{first:%Y-%m-%d}" if first.date() != last.date() else f"{first:%H:%M}",
        "last_label": f"{last:%Y-%m-%d}" if first.date() != last.date() else f"{last:%H:%M}",
        "bottom_y": g["height"] - g["bottom"],
        "caption": caption,
    }


LINEAGE = {"width": 400, "node_w": 190, "node_h": 24, "row": 30, "label_h": 20, "gap": 20, "centre_w": 260}


def lineage_graph(view: dict, pages: dict[str, str], root: str) -> dict | None:
    """Boxes and lines of the lineage graph, top to bottom (narrow enough for a phone): what the artifact was
    made from, the artifact, what was made from it; two boxes a row, each linking to its page in the site,
    else to the Hub."""
    lineage = view["lineage"]
    if not lineage["upstream"] and not lineage["downstream"]:
        return None
    g = LINEAGE
    labels, nodes = [], []

    def place(side: str, y: float) -> float:
        """The side's groups from `y` down: a label, then the group's boxes two a row; where they end."""
        for group in lineage[side]:
            labels.append({"x": 0, "y": y + 14, "text": group["label"]})
            y += g["label_h"]
            for index, node in enumerate(group["nodes"]):
                link = page_link(node["id"], pages, root) or node["url"]
                x, row = (index % 2) * (g["width"] - g["node_w"]), index // 2
                nodes.append({"x": x, "y": y + row * g["row"], "side": side, "link": link, "name": node["repo_id"]})
            y += g["row"] * ((len(group["nodes"]) + 1) // 2)
        return y + g["gap"] if lineage[side] else y

    centre = {"x": (g["width"] - g["centre_w"]) / 2, "y": place("upstream", 0), "name": view["repo_id"]}
    height = place("downstream", centre["y"] + g["node_h"] + g["gap"])
    lines = [
        {
            "x1": node["x"] + g["node_w"] / 2,
            "y1": node["y"] + (g["node_h"] if node["side"] == "upstream" else 0),
            "x2": g["width"] / 2,
            "y2": centre["y"] + (0 if node["side"] == "upstream" else g["node_h"]),
        }
        for node in nodes
    ]
    return g | {"height": height, "labels": labels, "nodes": nodes, "centre": centre, "lines": lines}


# Counts shown with their size word as well as their digits in `hubcrawl show`.
COUNTED_FIELDS = ("parameters", "rows", "bytes", "download_bytes")


def render_artifact_text(view: dict) -> list[str]:
    """`hubcrawl show` for people: the fields that hold something, lists as lists, counts readable,
    then the capabilities with their evidence and the reported results."""
    lines = []
    for key, value in view.items():
        if key in ("capabilities", "eval_results") or value in (None, "", [], {}):
            continue
        lines.append(f"{key:>16}: {field_text(key, value)}")
    for cap in view["capabilities"]:
        sources = sorted({str(e.get("section") or e.get("field") or e.get("source")) for e in cap["evidence"]})
        lines.append(f"\n* {cap['title']}\n  {cap['text']}\n  evidence: {', '.join(sources)}")
    if view["eval_results"]:
        lines.append("\nreported results:")
        for e in view["eval_results"]:
            where = ", ".join(str(part) for part in (e["dataset_name"] or e["dataset"], e["split"]) if part)
            name = e["metric_name"] if e.get("metric_name") else e["metric"]
            lines.append(f"  {name} {e['value']:.4g} on {where or 'an unnamed dataset'} ({e['source']})")
    return lines


def field_text(key: str, value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in COUNTED_FIELDS and isinstance(value, int):
        return f"{human_count(value)} ({value:,})" if value >= 1000 else f"{value:,}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(
            str(v) if not isinstance(v, (dict, list)) else json.dumps(v, ensure_ascii=False) for v in value
        )
    if isinstance(value, dict):
        return ", ".join(f"{k} {field_text(k, v)}" for k, v in value.items() if v not in (None, "", [], {}))
    return str(value)
